import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HnswIndex } from '../../../src/core/graph/hnsw-index.js';
import { readFvecs, readIvecs } from '../../../src/io/vecs.js';
import { openDatabase, type Collection, type Database } from '../../../src/index.js';
import { rng } from '../../fixtures/random.js';
import { sharedData } from '../../fixtures/shared-data.js';

const DIM = 128;

describe('HNSW on TEXMEX siftsmall', () => {
  let db: Database;
  let sift: Collection;
  const base = readFvecs(sharedData('siftsmall/siftsmall_base.fvecs'));
  const queries = readFvecs(sharedData('siftsmall/siftsmall_query.fvecs'));
  const truth = readIvecs(sharedData('siftsmall/siftsmall_groundtruth.ivecs'));
  const row = (i: number) => base.data.subarray(i * DIM, (i + 1) * DIM);
  const query = (q: number) => queries.data.subarray(q * DIM, (q + 1) * DIM);

  beforeAll(async () => {
    db = await openDatabase();
    sift = await db.createCollection('sift', { dimension: DIM, metric: 'l2' });
    await sift.upsert(
      Array.from({ length: base.count }, (_, i) => ({
        id: String(i),
        vector: row(i),
        metadata: { bucket: i % 1000, half: i % 2 === 0, tags: [`t${i % 10}`, `u${i % 100}`] },
      })),
    );
  });
  afterAll(async () => db.close());

  it('reaches recall@10 >= 0.95 against the published ground truth with default parameters', async () => {
    let found = 0;
    for (let q = 0; q < queries.count; q++) {
      const { hits, explain } = await sift.search({ vector: query(q), k: 10, exact: false, include: [], explain: true });
      expect(explain.plan).toBe('hnsw');
      const expected = new Set(truth.data.subarray(q * 100, q * 100 + 10));
      found += hits.filter((hit) => expected.has(Number(hit.id))).length;
    }
    const recall = found / (queries.count * 10);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });

  it('scores HNSW hits on the same scale as the exact plan', async () => {
    const approximate = await sift.search({ vector: query(0), k: 5, exact: false, include: [] });
    const exact = await sift.search({ vector: query(0), k: 5, exact: true, include: [] });
    expect(approximate.map((hit) => hit.id)).toEqual(exact.map((hit) => hit.id));
    for (const hit of approximate) expect(Math.abs(hit.score - exact.find((e) => e.id === hit.id)!.score)).toBeLessThan(1e-4 * Math.abs(hit.score));
  });

  for (const [name, filter, fraction] of [
    ['50%', { half: true }, 0.5],
    ['10%', { tags: 't3' }, 0.1],
    ['1%', { tags: { $in: ['u7'] } }, 0.01],
    ['0.1%', { bucket: 42 }, 0.001],
  ] as const) {
    it(`filtered search at ${name} selectivity keeps >= 0.95 of the exact filtered top-10`, async () => {
      expect(await sift.countWhere(filter)).toBe(base.count * fraction);
      let found = 0;
      let total = 0;
      for (let q = 0; q < queries.count; q++) {
        const exact = await sift.search({ vector: query(q), k: 10, filter, exact: true, include: [] });
        const planned = await sift.search({ vector: query(q), k: 10, filter, include: [] });
        const expected = new Set(exact.map((hit) => hit.id));
        found += planned.filter((hit) => expected.has(hit.id)).length;
        total += expected.size;
        for (const hit of planned) expect(Number(hit.id) % 1000 === 42 || name !== '0.1%').toBe(true);
      }
      expect(found / total).toBeGreaterThanOrEqual(0.95);
    });
  }

  it('forced HNSW with a broad filter keeps recall and returns only allowed documents', async () => {
    for (const filter of [{ half: true }, { tags: 't3' }]) {
      let found = 0;
      for (let q = 0; q < queries.count; q++) {
        const exact = await sift.search({ vector: query(q), k: 10, filter, exact: true, include: ['metadata'] });
        const { hits } = await sift.search({ vector: query(q), k: 10, filter, exact: false, include: ['metadata'], explain: true });
        const expected = new Set(exact.map((hit) => hit.id));
        found += hits.filter((hit) => expected.has(hit.id)).length;
        for (const hit of hits) {
          if ('half' in filter) expect(hit.metadata!.half).toBe(true);
          else expect(hit.metadata!.tags).toContain('t3');
        }
      }
      expect(found / (queries.count * 10)).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('explains the plan: exact for a selective filter, HNSW without one', async () => {
    const selective = await sift.search({ vector: query(1), filter: { bucket: 7 }, explain: true });
    expect(selective.explain).toMatchObject({ plan: 'exact', candidates: 10, total: base.count, ef: null, forced: false });
    const open = await sift.search({ vector: query(1), exact: false, ef: 100, explain: true });
    expect(open.explain).toMatchObject({ plan: 'hnsw', candidates: base.count, ef: 100, forced: true });
    for (const stage of ['filter', 'search', 'fetch', 'total'] as const) {
      expect(open.explain.timings[stage]).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('HNSW delete and replace', () => {
  it('a deleted id never comes back; a replaced vector is found by its new value', async () => {
    const db = await openDatabase();
    const docs = await db.createCollection('docs', { dimension: 16, metric: 'cosine' });
    const next = rng(3);
    const vectors = Array.from({ length: 3000 }, () => Float32Array.from({ length: 16 }, () => next() * 2 - 1));
    await docs.upsert(vectors.map((vector, i) => ({ id: `d${i}`, vector })));

    const victims = Array.from({ length: 300 }, (_, i) => `d${i * 10}`);
    await docs.delete(victims);
    const gone = new Set(victims);
    for (let i = 0; i < 300; i++) {
      const hits = await docs.search({ vector: vectors[i * 10]!, k: 10, exact: false, include: [] });
      expect(hits.some((hit) => gone.has(hit.id))).toBe(false);
      expect(hits).toHaveLength(10);
    }

    const moved = Float32Array.from({ length: 16 }, (_, d) => (d === 3 ? 1 : 0));
    await docs.upsert([{ id: 'd1', vector: moved }]);
    const [top] = await docs.search({ vector: moved, k: 1, exact: false, include: [] });
    expect(top!.id).toBe('d1');
    const old = await docs.search({ vector: vectors[1]!, k: 3, exact: false, include: [] });
    expect(old.map((hit) => hit.id)).not.toContain('d1');

    // Freed labels are reused by new documents, which are then found.
    await docs.upsert([{ id: 'fresh', vector: vectors[0]! }]);
    const [again] = await docs.search({ vector: vectors[0]!, k: 1, exact: false, include: [] });
    expect(again!.id).toBe('fresh');
    expect(docs.info.tombstones).toBe(299);
    await db.close();
  });
});

describe('HNSW graphs read back empty', () => {
  // Found by `npm run bench:fuzz`: hnswlib reads a graph back with room for none, and growing from none
  // freed its node storage twice ("double free or corruption"), aborting the whole process.
  it('an empty graph saved and read back, or laid out afresh, takes new labels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-empty-graph-'));
    try {
      const params = { m: 16, efConstruction: 50, ef: 10 };
      await new HnswIndex(4, 'l2', params, 64).save(join(dir, 'empty.bin'));
      const read = new HnswIndex(4, 'l2', params, 0, { index: await HnswIndex.read(join(dir, 'empty.bin'), 4, 'l2'), states: new Uint8Array(0) });
      const relaid = new HnswIndex(4, 'l2', params, 64);
      await relaid.relayout(join(dir, 'relaid.bin'));
      for (const graph of [read, relaid]) {
        for (let label = 0; label < 40; label++) graph.add(label, Float32Array.from([label, 1, 2, 3]));
        expect(graph.search(Float32Array.from([7, 1, 2, 3]), 1, 10).labels).toEqual([7]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a collection emptied, optimized and reopened takes documents again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-emptied-'));
    try {
      const db = await openDatabase({ path: dir });
      const docs = await db.createCollection('docs', { dimension: 4, metric: 'l2' });
      await docs.upsert([{ id: 'a', vector: [1, 2, 3, 4] }]);
      await docs.delete(['a']);
      await docs.optimize();
      await db.close();
      const reopened = await openDatabase({ path: dir });
      const again = reopened.collection('docs');
      await again.upsert(Array.from({ length: 40 }, (_, i) => ({ id: `d${i}`, vector: [i, 1, 2, 3] })));
      expect((await again.search({ vector: [7, 1, 2, 3], k: 1, exact: false, include: [] }))[0]!.id).toBe('d7');
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
