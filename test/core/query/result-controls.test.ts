/**
 * Result controls (issue 19, item 4) on every kind of search, each against
 * a brute-force reference computed here from the whole ranked list (an
 * exact search of every document): offset pages, minScore, groupBy, mmr,
 * and search by example (like / unlike), with filters and explain.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Collection, type Database, type SearchHit, type SearchRequest } from '../../../src/index.js';
import { GROUP_POOL_FACTOR } from '../../../src/core/options.js';
import { randomVectors, rng } from '../../fixtures/random.js';
import { rejectedCode } from '../../fixtures/errors.js';

const DIM = 16;
const COUNT = 400;
const WORDS = ['river', 'stone', 'apple', 'cloud', 'engine', 'garden', 'signal', 'harbor'];
const vectors = randomVectors(COUNT, DIM, 31);
const vector = (i: number) => vectors.slice(i * DIM, (i + 1) * DIM);
const next = rng(32);
const texts = Array.from({ length: COUNT }, () => Array.from({ length: 5 }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' '));

let db: Database;
let docs: Collection;

beforeAll(async () => {
  db = await openDatabase({ workers: 0, logger: { info() {}, warn() {}, error() {} } });
  docs = await db.createCollection('docs', { dimension: DIM, metric: 'cosine' });
  await docs.upsert(Array.from({ length: COUNT }, (_, i) => ({
    id: `d${i}`, vector: vector(i), text: texts[i], metadata: { source: `s${i % 7}`, n: i, nested: { part: i % 3 } },
  })));
});

afterAll(async () => {
  await db.close();
});

const ids = (hits: readonly SearchHit[]) => hits.map((hit) => hit.id);
const query = vector(3).map((x, i) => x + 0.3 * Math.sin(i));

/**
 * Every document this search could return, best first: the reference the
 * controls are checked against. A hybrid search's fused scores depend on
 * how many candidates each side fetched (HYBRID_DEPTH, 100, for every pool
 * up to it), so its reference is its first 100.
 */
async function everything(request: SearchRequest): Promise<SearchHit[]> {
  const hybrid = request.text !== undefined && (request.vector !== undefined || request.like !== undefined);
  return docs.search({ ...request, k: hybrid ? 100 : COUNT, include: ['metadata'] });
}


describe('offset', () => {
  const kinds: [string, SearchRequest][] = [
    ['exact vector', { vector: query, exact: true }],
    ['filtered exact vector', { vector: query, exact: true, filter: { n: { $lt: 250 } } }],
    ['keyword', { text: 'apple harbor' }],
    ['hybrid', { vector: query, text: 'apple harbor' }],
    ['HNSW with one ef for every page', { vector: query, exact: false, ef: 64 }],
  ];
  for (const [kind, request] of kinds) {
    it(`pages of a ${kind} search add up to one longer search`, async () => {
      const pages: SearchHit[] = [];
      for (let offset = 0; offset < 30; offset += 10) pages.push(...(await docs.search({ ...request, k: 10, offset, include: [] })));
      const whole = await docs.search({ ...request, k: 30, include: [] });
      expect(ids(pages)).toEqual(ids(whole));
      expect(new Set(ids(pages)).size).toBe(30);
    });
  }

  it('refuses an offset that would reach past MAX_K', async () => {
    expect(await rejectedCode(docs.search({ vector: query, k: 10, offset: 9_995 }))).toBe('INVALID_ARGUMENT');
    expect(await rejectedCode(docs.search({ vector: query, offset: -1 }))).toBe('INVALID_ARGUMENT');
  });
});

describe('minScore', () => {
  it('keeps only hits scoring at least it, on vector, keyword and hybrid searches, filtered too', async () => {
    for (const request of [
      { vector: query, exact: true },
      { text: 'apple river' },
      { vector: query, text: 'apple river', filter: { source: { $in: ['s1', 's2'] } } },
    ] as SearchRequest[]) {
      const all = await everything(request);
      const threshold = all[12]!.score;
      const expected = all.filter((hit) => hit.score >= threshold).slice(0, 20);
      const hits = await docs.search({ ...request, k: 20, minScore: threshold, include: [] });
      expect(ids(hits)).toEqual(ids(expected));
      expect(hits.every((hit) => hit.score >= threshold)).toBe(true);
    }
  });
});

describe('groupBy', () => {
  /** The reference grouping: the first groups in order of their best hit, `size` hits each, from the best `pool` candidates. */
  function groups(all: SearchHit[], field: (hit: SearchHit) => unknown, k: number, size: number, offset = 0) {
    const pool = all.slice(0, (offset + k) * size * GROUP_POOL_FACTOR);
    const out = new Map<unknown, string[]>();
    for (const hit of pool) {
      const value = field(hit);
      if (!out.has(value)) {
        if (out.size >= offset + k) continue;
        out.set(value, []);
      }
      if (out.get(value)!.length < size) out.get(value)!.push(hit.id);
    }
    return [...out].slice(offset).map(([value, members]) => members.map((id) => [id, value]));
  }

  it('returns k groups of up to groupSize hits, best group first, each hit with its group', async () => {
    const request: SearchRequest = { vector: query, exact: true };
    const all = await everything(request);
    const hits = await docs.search({ ...request, k: 3, groupBy: 'source', groupSize: 2, include: [] });
    expect(hits.map((hit) => [hit.id, hit.group])).toEqual(groups(all, (hit) => hit.metadata!.source, 3, 2).flat());
  });

  it('groups keyword and filtered hybrid hits by a nested field, with an offset of groups', async () => {
    for (const request of [{ text: 'engine stone' }, { vector: query, text: 'garden', filter: { n: { $gte: 100 } } }] as SearchRequest[]) {
      const all = await everything(request);
      const hits = await docs.search({ ...request, k: 2, offset: 1, groupBy: 'nested.part', groupSize: 3, include: [] });
      expect(hits.map((hit) => [hit.id, hit.group])).toEqual(
        groups(all, (hit) => (hit.metadata!.nested as { part: number }).part, 2, 3, 1).flat(),
      );
    }
  });

  it('leaves out documents without the field, and says how many candidates it chose from', async () => {
    const result = await docs.search({ vector: query, k: 5, groupBy: 'missing', explain: true, include: [] });
    expect(result.hits).toEqual([]);
    expect(result.explain.controls).toEqual({ pool: 5 * GROUP_POOL_FACTOR, aboveMinScore: 5 * GROUP_POOL_FACTOR });
    expect(await rejectedCode(docs.search({ vector: query, groupSize: 2 }))).toBe('INVALID_ARGUMENT');
    expect(await rejectedCode(docs.search({ vector: query, groupBy: 'source', mmr: {} }))).toBe('INVALID_ARGUMENT');
  });
});

describe('mmr', () => {
  /** The reference: greedy maximal marginal relevance over the best `candidates`, written plainly. */
  function mmr(all: SearchHit[], k: number, lambda: number, candidates: number, scaled = true): string[] {
    const pool = all.slice(0, candidates);
    const scores = pool.map((hit) => hit.score);
    const low = Math.min(...scores);
    const high = Math.max(...scores);
    const unit = pool.map((hit) => {
      const v = vector(Number(hit.id.slice(1)));
      const norm = Math.hypot(...v);
      return Array.from(v, (x) => x / norm);
    });
    const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
    const picked: number[] = [];
    while (picked.length < Math.min(k, pool.length)) {
      let best = -1;
      let bestValue = -Infinity;
      pool.forEach((hit, c) => {
        if (picked.includes(c)) return;
        const relevance = !scaled ? hit.score : high > low ? (hit.score - low) / (high - low) : 1;
        const penalty = picked.length === 0 ? 0 : Math.max(...picked.map((p) => cosine(unit[c]!, unit[p]!)));
        const value = lambda * relevance - (1 - lambda) * penalty;
        if (value > bestValue) {
          bestValue = value;
          best = c;
        }
      });
      picked.push(best);
    }
    return picked.map((c) => pool[c]!.id);
  }

  it('re-ranks for diversity as the reference does, on vector, keyword and filtered searches', async () => {
    for (const request of [
      { vector: query, exact: true },
      { text: 'signal cloud' },
      { vector: query, exact: true, filter: { source: { $ne: 's0' } } },
    ] as SearchRequest[]) {
      const all = await everything(request);
      const hits = await docs.search({ ...request, k: 8, mmr: { lambda: 0.3, candidates: 40 }, include: [] });
      expect(ids(hits)).toEqual(mmr(all, 8, 0.3, 40));
      // Scores are the search's own.
      for (const hit of hits) expect(hit.score).toBe(all.find((other) => other.id === hit.id)!.score);
    }
  });

  it('with lambda 1 keeps the search order; the default takes 20 candidates for k 5', async () => {
    const all = await everything({ vector: query, exact: true });
    expect(ids(await docs.search({ vector: query, exact: true, k: 10, mmr: { lambda: 1 } }))).toEqual(ids(all.slice(0, 10)));
    expect(ids(await docs.search({ vector: query, exact: true, k: 5, mmr: {} }))).toEqual(mmr(all, 5, 0.5, 20));
    expect(await rejectedCode(docs.search({ vector: query, k: 50, mmr: { candidates: 10 } }))).toBe('INVALID_ARGUMENT');
    expect(await rejectedCode(docs.search({ vector: query, mmr: { lambda: 2 } }))).toBe('INVALID_ARGUMENT');
  });

  it("with relevance 'score' weighs the score itself (LangChain's MMR), which picks differently from the scaled one", async () => {
    const all = await everything({ vector: query, exact: true });
    const raw = ids(await docs.search({ vector: query, exact: true, k: 8, mmr: { lambda: 0.5, candidates: 40, relevance: 'score' }, include: [] }));
    expect(raw).toEqual(mmr(all, 8, 0.5, 40, false));
    expect(raw).not.toEqual(mmr(all, 8, 0.5, 40));
    expect(await rejectedCode(docs.search({ vector: query, mmr: { relevance: 'raw' as 'score' } }))).toBe('INVALID_ARGUMENT');
  });
});

describe('search by example', () => {
  const unit = (i: number) => {
    const v = vector(i);
    const norm = Math.hypot(...v);
    return Array.from(v, (x) => x / norm);
  };

  it('like searches with the average of the examples, which are left out', async () => {
    const examples = [5, 9, 40];
    const average = unit(0).map((_, d) => examples.reduce((sum, i) => sum + unit(i)[d]!, 0) / examples.length);
    const reference = (await docs.search({ vector: average, exact: true, k: 13, include: [] })).filter((hit) => !examples.includes(Number(hit.id.slice(1))));
    const hits = await docs.search({ like: examples.map((i) => `d${i}`), exact: true, k: 10, include: [] });
    expect(ids(hits)).toEqual(ids(reference).slice(0, 10));
    for (const [hit, expected] of hits.map((hit, i) => [hit, reference[i]!] as const)) expect(hit.score).toBeCloseTo(expected.score, 5);
  });

  it('unlike moves the query away: 2 * avg(like) - avg(unlike), with a filter and text (hybrid)', async () => {
    const like = [5, 9];
    const unlike = [77];
    const q = unit(0).map((_, d) => 2 * ((unit(5)[d]! + unit(9)[d]!) / 2) - unit(77)[d]!);
    const request = { exact: true, k: 10, include: [], filter: { n: { $lt: 300 } }, text: 'apple' } as const;
    const reference = (await docs.search({ ...request, vector: q, k: 13 })).filter((hit) => ![5, 9, 77].includes(Number(hit.id.slice(1))));
    const hits = await docs.search({ ...request, like: like.map((i) => `d${i}`), unlike: unlike.map((i) => `d${i}`) });
    expect(ids(hits)).toEqual(ids(reference).slice(0, 10));
  });

  it('refuses unknown ids, like with vector, and unlike alone', async () => {
    expect(await rejectedCode(docs.search({ like: ['nope'] }))).toBe('DOCUMENT_NOT_FOUND');
    expect(await rejectedCode(docs.search({ like: ['d1'], vector: query }))).toBe('INVALID_ARGUMENT');
    expect(await rejectedCode(docs.search({ unlike: ['d1'], text: 'apple' }))).toBe('INVALID_ARGUMENT');
    expect(await rejectedCode(docs.search({ like: [] }))).toBe('INVALID_ARGUMENT');
  });
});

describe('explain', () => {
  it('reports the candidates the controls chose from and how many passed minScore', async () => {
    const all = await everything({ vector: query, exact: true });
    const result = await docs.search({ vector: query, exact: true, k: 5, offset: 5, minScore: all[7]!.score, explain: true, include: [] });
    expect(ids(result.hits)).toEqual(ids(all.slice(5, 8)));
    expect(result.explain.controls).toEqual({ pool: 10, aboveMinScore: 8 });
  });
});

describe('right after open', () => {
  it('mmr answers while the vector rows still stream in from the snapshot, as it does once they are in', async () => {
    const path = mkdtempSync(join(tmpdir(), 'quiver-controls-open-'));
    try {
      const first = await openDatabase({ path, workers: 0, logger: { info() {}, warn() {}, error() {} } });
      const notes = await first.createCollection('docs', { dimension: DIM, metric: 'cosine' });
      await notes.upsert(Array.from({ length: COUNT }, (_, i) => ({ id: `d${i}`, vector: vector(i), text: texts[i] })));
      await first.close();
      const reopened = await openDatabase({ path, workers: 0, logger: { info() {}, warn() {}, error() {} } });
      // Asked at once: the rows are read in the background after open.
      const early = await reopened.collection('docs').search({ text: 'river stone', k: 6, mmr: { lambda: 0.3 }, include: [] });
      await reopened.collection('docs').indexed();
      const later = await reopened.collection('docs').search({ text: 'river stone', k: 6, mmr: { lambda: 0.3 }, include: [] });
      expect(ids(early)).toEqual(ids(later));
      expect(early).toHaveLength(6);
      await reopened.close();
    } finally {
      rmSync(path, { recursive: true, force: true });
    }
  });
});
