import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFvecs, readIvecs } from '../../../src/io/vecs.js';
import { openDatabase, type Database, type Metric } from '../../../src/index.js';
import { randomVectors } from '../../fixtures/random.js';
import { sharedData } from '../../fixtures/shared-data.js';

/** Plain JS reference: all scores, sorted best first (ties by insertion order). */
function reference(data: Float32Array, dim: number, query: Float32Array, metric: Metric): { index: number; score: number }[] {
  const count = data.length / dim;
  const queryNorm = Math.hypot(...query);
  const out: { index: number; score: number }[] = [];
  for (let i = 0; i < count; i++) {
    let dot = 0;
    let l2 = 0;
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const x = data[i * dim + d]!;
      dot += x * query[d]!;
      l2 += (x - query[d]!) ** 2;
      norm += x * x;
    }
    const score = metric === 'l2' ? -l2 : metric === 'dot' ? dot : dot / (Math.sqrt(norm) * queryNorm);
    out.push({ index: i, score });
  }
  return out.sort((a, b) => b.score - a.score || a.index - b.index);
}

describe('exact search equals a plain JS reference', () => {
  let db: Database;
  const count = 2000;
  const dim = 37;
  const data = randomVectors(count, dim, 7);
  const queries = randomVectors(20, dim, 8);

  beforeAll(async () => {
    db = await openDatabase();
  });
  afterAll(async () => db.close());

  for (const metric of ['cosine', 'dot', 'l2'] as const) {
    it(`${metric}: same ids in the same order, scores within float tolerance`, async () => {
      const collection = await db.createCollection(`ref-${metric}`, { dimension: dim, metric });
      await collection.upsert(
        Array.from({ length: count }, (_, i) => ({ id: `v${i}`, vector: data.subarray(i * dim, (i + 1) * dim) })),
      );
      for (let q = 0; q < 20; q++) {
        const query = queries.subarray(q * dim, (q + 1) * dim);
        const hits = await collection.search({ vector: query, k: 25, exact: true });
        const expected = reference(data, dim, query, metric).slice(0, 25);
        expect(hits.map((hit) => hit.id)).toEqual(expected.map((e) => `v${e.index}`));
        hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]!.score, 3));
      }
    });
  }

  it('int8 quantisation with f32 re-ranking keeps recall@10 >= 0.99', async () => {
    const collection = await db.createCollection('int8', { dimension: dim, metric: 'l2', quantization: 'int8' });
    await collection.upsert(
      Array.from({ length: count }, (_, i) => ({ id: `v${i}`, vector: data.subarray(i * dim, (i + 1) * dim) })),
    );
    let found = 0;
    for (let q = 0; q < 20; q++) {
      const query = queries.subarray(q * dim, (q + 1) * dim);
      const exact = new Set((await collection.search({ vector: query, k: 10, quantized: false })).map((h) => h.id));
      const quantized = await collection.search({ vector: query, k: 10 });
      found += quantized.filter((hit) => exact.has(hit.id)).length;
      // Re-ranked scores are exact f32 scores.
      const reranked = reference(data, dim, query, 'l2');
      const byId = new Map(reranked.map((e) => [`v${e.index}`, e.score]));
      for (const hit of quantized) expect(hit.score).toBeCloseTo(byId.get(hit.id)!, 3);
    }
    expect(found / 200).toBeGreaterThanOrEqual(0.99);
  });
});

describe('exact L2 search over TEXMEX siftsmall', () => {
  it('reproduces the published ground-truth top-100 sets for all 100 queries (ties aside)', async () => {
    const base = readFvecs(sharedData('siftsmall/siftsmall_base.fvecs'));
    const queries = readFvecs(sharedData('siftsmall/siftsmall_query.fvecs'));
    const truth = readIvecs(sharedData('siftsmall/siftsmall_groundtruth.ivecs'));
    expect([base.count, base.dimension, queries.count, truth.dimension]).toEqual([10_000, 128, 100, 100]);

    const db = await openDatabase();
    const collection = await db.createCollection('siftsmall', { dimension: 128, metric: 'l2' });
    await collection.upsert(
      Array.from({ length: base.count }, (_, i) => ({ id: String(i), vector: base.data.subarray(i * 128, (i + 1) * 128) })),
    );
    for (let q = 0; q < queries.count; q++) {
      const query = queries.data.subarray(q * 128, (q + 1) * 128);
      const hits = await collection.search({ vector: query, k: 100, exact: true, include: [] });
      const expected = Array.from(truth.data.subarray(q * 100, (q + 1) * 100));
      const got = hits.map((hit) => Number(hit.id));
      // Sets must match except where the 100th and 101st distances tie.
      const missing = expected.filter((id) => !got.includes(id));
      const lastScore = hits[99]!.score;
      for (const id of missing) {
        const vector = base.data.subarray(id * 128, (id + 1) * 128);
        const distance = vector.reduce((sum, x, d) => sum + (x - query[d]!) ** 2, 0);
        expect(-distance).toBe(lastScore);
      }
      expect(got[0]).toBe(expected[0]);
    }
    await db.close();
  });
});
