import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Collection, type Database } from '../../../src/index.js';
import { rng } from '../../fixtures/random.js';

const DIM = 8;
const WORDS = ['apple', 'banana', 'cherry', 'delta', 'echo', 'falcon', 'galaxy', 'harbor', 'island', 'jungle', 'kernel', 'lemon'];

function corpus(count: number, seed: number) {
  const next = rng(seed);
  return Array.from({ length: count }, (_, i) => ({
    id: `d${i}`,
    vector: Float32Array.from({ length: DIM }, () => next() * 2 - 1),
    text: Array.from({ length: 3 + Math.floor(next() * 8) }, () => WORDS[Math.floor(next() * next() * WORDS.length)]).join(' '),
    metadata: { group: i % 4 },
  }));
}

describe('keyword and hybrid search', () => {
  let db: Database;
  let docs: Collection;
  const documents = corpus(600, 9);
  const query = Float32Array.from({ length: DIM }, (_, d) => Math.sin(d));

  beforeAll(async () => {
    db = await openDatabase();
    docs = await db.createCollection('docs', { dimension: DIM, metric: 'cosine' });
    await docs.upsert(documents);
    await docs.upsert([
      { id: 'zh1', vector: query, text: '北京是中华人民共和国的首都', metadata: { group: 9 } },
      { id: 'zh2', vector: query, text: '上海是中国最大的城市之一', metadata: { group: 9 } },
      { id: 'ja1', vector: query, text: '東京は日本の首都です', metadata: { group: 9 } },
      { id: 'lonely', vector: query.map((x) => -x), text: 'zeppelin', metadata: { group: 8 } },
    ]);
  });
  afterAll(async () => db.close());

  it('keyword only: BM25 ranks documents containing the terms', async () => {
    const hits = await docs.search({ text: 'kernel lemon', k: 10, include: ['text'] });
    expect(hits.length).toBe(10);
    for (const hit of hits) expect(hit.text).toMatch(/kernel|lemon/);
    for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
  });

  it('Chinese and Japanese queries find Chinese and Japanese documents', async () => {
    expect((await docs.search({ text: '中国的首都', k: 2 })).map((hit) => hit.id)).toContain('zh1');
    expect((await docs.search({ text: '上海', k: 1 }))[0]!.id).toBe('zh2');
    expect((await docs.search({ text: '日本の首都', k: 1 }))[0]!.id).toBe('ja1');
  });

  it('filters restrict keyword and hybrid search', async () => {
    for (const request of [{ text: 'apple banana' }, { text: 'apple banana', vector: query }]) {
      const hits = await docs.search({ ...request, k: 20, filter: { group: 2 }, include: ['metadata'] });
      expect(hits.length).toBeGreaterThan(0);
      for (const hit of hits) expect(hit.metadata).toEqual({ group: 2 });
    }
  });

  it('alpha 1 gives the vector order, alpha 0 the keyword order (0 is not "unset")', async () => {
    const vector = await docs.search({ vector: query, k: 10, exact: true, include: [] });
    const keyword = await docs.search({ text: 'cherry delta', k: 10, include: [] });
    const pureVector = await docs.search({ vector: query, text: 'cherry delta', alpha: 1, k: 10, exact: true, include: [] });
    const pureKeyword = await docs.search({ vector: query, text: 'cherry delta', alpha: 0, k: 10, exact: true, include: [] });
    expect(pureVector.map((hit) => hit.id)).toEqual(vector.map((hit) => hit.id));
    expect(pureKeyword.map((hit) => hit.keywordScore)).toEqual(keyword.map((hit) => expect.closeTo(hit.score, 4)));
  });

  it('each hit carries its parts, and the fused score follows relativeScore', async () => {
    const hits = await docs.search({ vector: query, text: 'echo falcon', alpha: 0.3, k: 5, exact: true, include: [] });
    for (const hit of hits) {
      expect(typeof hit.vectorScore).toBe('number');
      expect(typeof hit.keywordScore).toBe('number');
      expect(hit.score).toBeGreaterThanOrEqual(0);
      expect(hit.score).toBeLessThanOrEqual(1);
    }
    const exact = await docs.search({ vector: query, k: 1, exact: true, include: [] });
    const top = hits.find((hit) => hit.id === exact[0]!.id);
    if (top) expect(top.vectorScore).toBeCloseTo(exact[0]!.score, 6);
  });

  it('the top k does not change with k', async () => {
    for (const fusion of ['relativeScore', 'rrf'] as const) {
      const five = await docs.search({ vector: query, text: 'galaxy harbor', fusion, k: 5, exact: true, include: [] });
      const fifty = await docs.search({ vector: query, text: 'galaxy harbor', fusion, k: 50, exact: true, include: [] });
      expect(fifty.slice(0, 5)).toEqual(five);
    }
  });

  it('a single keyword hit, and a query no document contains, still fuse', async () => {
    const single = await docs.search({ vector: query, text: 'zeppelin', k: 3, alpha: 0, exact: true, include: [] });
    expect(single[0]!.id).toBe('lonely');
    expect(single[0]!.keywordScore).toBeGreaterThan(0);
    const none = await docs.search({ vector: query, text: 'nonexistentword', k: 5, exact: true, include: [] });
    const vector = await docs.search({ vector: query, k: 5, exact: true, include: [] });
    expect(none.map((hit) => hit.id)).toEqual(vector.map((hit) => hit.id));
    expect(none.every((hit) => hit.keywordScore === 0)).toBe(true);
  });

  it('alpha weights rrf too: 1 gives the vector order, 0 the keyword order', async () => {
    const vector = await docs.search({ vector: query, k: 10, exact: true, include: [] });
    const keyword = await docs.search({ text: 'cherry delta', k: 10, include: [] });
    const vectorOnly = await docs.search({ vector: query, text: 'cherry delta', fusion: 'rrf', alpha: 1, k: 10, exact: true, include: [] });
    const keywordOnly = await docs.search({ vector: query, text: 'cherry delta', fusion: 'rrf', alpha: 0, k: 10, exact: true, include: [] });
    expect(vectorOnly.map((hit) => hit.id)).toEqual(vector.map((hit) => hit.id));
    expect(keywordOnly.map((hit) => hit.id)).toEqual(keyword.map((hit) => hit.id));
  });

  it('rrf sums 1 / (60 + rank) over the two lists', async () => {
    const [top] = await docs.search({ vector: query, text: 'island', fusion: 'rrf', k: 1, exact: true, include: [] });
    expect(top!.score).toBeGreaterThan(1 / 61 - 1e-9);
    expect(top!.score).toBeLessThanOrEqual(2 / 61 + 1e-9);
  });

  it('explains keyword and hybrid plans', async () => {
    expect((await docs.search({ text: 'apple', explain: true })).explain.plan).toBe('keyword');
    const hybrid = await docs.search({ vector: query, text: 'apple', explain: true });
    expect(hybrid.explain).toMatchObject({ plan: 'hybrid', depth: 100 });
    expect(['exact', 'hnsw']).toContain(hybrid.explain.vectorPlan);
  });

  it('rejects malformed hybrid requests', async () => {
    await expect(docs.search({ k: 3 } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(docs.search({ text: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(docs.search({ text: 'a', vector: query, alpha: 2 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(docs.search({ text: 'a', fusion: 'max' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('replacing or deleting a document updates the keyword index', async () => {
    await docs.upsert([{ id: 'swap', vector: query, text: 'quokka' }]);
    expect((await docs.search({ text: 'quokka', k: 1 }))[0]!.id).toBe('swap');
    await docs.upsert([{ id: 'swap', vector: query, text: 'wombat' }]);
    expect(await docs.search({ text: 'quokka', k: 1 })).toEqual([]);
    await docs.delete(['swap']);
    expect(await docs.search({ text: 'wombat', k: 1 })).toEqual([]);
  });
});

describe('keyword index persistence', () => {
  it('survives a restart from the snapshot and replays text written after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-bm25-'));
    try {
      const db = await openDatabase({ path: dir });
      const docs = await db.createCollection('docs', { dimension: DIM, metric: 'l2' });
      await docs.upsert(corpus(300, 4));
      await docs.snapshot();
      await docs.upsert([{ id: 'late', vector: new Float32Array(DIM), text: 'platypus' }]);
      await docs.delete(['d1']);
      const before = await docs.search({ text: 'apple platypus', k: 20 });
      // As a crash would leave it: the late writes are only in the store, not in the snapshot.
      cpSync(dir, `${dir}-crashed`, { recursive: true });
      await db.close();
      for (const path of [`${dir}-crashed`, dir]) {
        const reopened = await openDatabase({ path });
        expect(await reopened.collection('docs').search({ text: 'apple platypus', k: 20 })).toEqual(before);
        await reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}-crashed`, { recursive: true, force: true });
    }
  });
});
