/**
 * The bounds of one read in the library (read-budget.ts): text and
 * metadata past MAX_RESULT_FIELD_BYTES fail the read, a large read stops
 * when its signal is aborted, and a read answered in slices gives the same
 * hits as one answered at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Collection, type Database } from '../../../src/index.js';
import { MAX_RESULT_FIELD_BYTES, READ_SLICE } from '../../../src/core/options.js';

const NOTE = 60_000;
/** Enough documents of a 60 KB note for their metadata to pass the field budget. */
const HEAVY = Math.ceil(MAX_RESULT_FIELD_BYTES / NOTE) + 10;

let db: Database;
let docs: Collection;

beforeAll(async () => {
  db = await openDatabase();
  docs = await db.createCollection('docs', { dimension: 2 });
  await docs.upsert(Array.from({ length: HEAVY }, (_, i) => ({
    id: `d${i}`,
    vector: [1, i + 1],
    text: `common words here ${i % 7 === 0 ? 'rare' : ''}`,
    metadata: { i, note: 'n'.repeat(NOTE) },
  })));
});

afterAll(async () => {
  await db.close();
});

describe('read budget', () => {
  it('fails a search, a list page and a getMany whose text and metadata pass MAX_RESULT_FIELD_BYTES', async () => {
    const limit = expect.objectContaining({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/MAX_RESULT_FIELD_BYTES/) });
    await expect(docs.search({ vector: [1, 3], k: HEAVY, exact: true })).rejects.toEqual(limit);
    await expect(docs.list({ limit: HEAVY })).rejects.toEqual(limit);
    await expect(docs.getMany(Array.from({ length: HEAVY }, (_, i) => `d${i}`))).rejects.toEqual(limit);
    // Without the metadata the same reads answer.
    expect(await docs.search({ vector: [1, 3], k: HEAVY, exact: true, include: ['text'] })).toHaveLength(HEAVY);
    expect((await docs.list({ limit: HEAVY, include: [] })).documents).toHaveLength(HEAVY);
  });

  it('answers a search in slices with the hits and scores of the same search answered at once', async () => {
    const k = READ_SLICE * 2 + 7;
    for (const query of [{ vector: [1, 40], exact: true }, { text: 'common rare' }, { vector: [1, 40], text: 'common rare' }]) {
      // With fields and more than READ_SLICE hits (or candidates to fuse) a search goes in slices; without fields at once.
      const sliced = await docs.search({ ...query, k, include: ['text'] });
      const whole = await docs.search({ ...query, k, include: [] });
      expect(sliced.length).toBeGreaterThan(READ_SLICE);
      expect(sliced.map(({ text: _text, ...hit }) => hit)).toEqual(whole);
      expect(sliced.every((hit) => hit.text === `common words here ${Number(hit.id.slice(1)) % 7 === 0 ? 'rare' : ''}`)).toBe(true);
    }
  });

  it('stops a read in slices once its signal is aborted', async () => {
    const controller = new AbortController();
    const reading = docs.list({ limit: HEAVY, include: ['text'], signal: controller.signal });
    controller.abort();
    await expect(reading).rejects.toMatchObject({ code: 'REQUEST_ABORTED' });
    const getting = docs.getMany(Array.from({ length: HEAVY }, (_, i) => `d${i}`), { include: [], signal: AbortSignal.abort() });
    await expect(getting).rejects.toMatchObject({ code: 'REQUEST_ABORTED' });
    await expect(docs.search({ vector: [1, 2], signal: 'stop' as unknown as AbortSignal })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('reads in slices while writes land', () => {
  // Found by `npm run bench:fuzz`: a list page read in slices threw on a row deleted during a turn (500),
  // and a search returned hits without ids, or with the score of the document a reused label held before.
  it('return only current documents, each with its own fields and score', async () => {
    const local = await openDatabase();
    try {
      const col = await local.createCollection('moving', { dimension: 2, metric: 'l2' });
      const vectorOf = (id: string) => (id.startsWith('new') ? [1000 + Number(id.slice(3)), 1] : [Number(id.slice(1)), 0]);
      const document = (id: string) => ({ id, vector: vectorOf(id), text: `text of ${id} common` });
      await col.upsert(Array.from({ length: 3_000 }, (_, i) => document(`d${i}`)));
      for (let round = 0; round < 3; round++) {
        const query = [round * 100, 0];
        const reads = [
          col.search({ vector: query, k: 3_000, exact: true, include: ['text'] }),
          col.search({ vector: query, text: 'common', k: 3_000, include: ['text'] }),
          col.list({ limit: 3_000, include: ['text'] }).then((page) => page.documents.map((doc) => ({ ...doc, score: undefined }))),
        ];
        // Deletes and new documents (which take the freed labels) land during the reads' turns.
        const doomed = Array.from({ length: 1_000 }, (_, i) => `d${round * 1_000 + i}`);
        await col.delete(doomed);
        await col.upsert(Array.from({ length: 1_000 }, (_, i) => document(`new${round * 1_000 + i}`)));
        for (const hits of await Promise.all(reads)) {
          const ids = hits.map((hit) => hit.id);
          expect(ids.every((id) => typeof id === 'string')).toBe(true);
          expect(new Set(ids).size).toBe(ids.length);
          for (const hit of hits) expect(hit.text).toBe(`text of ${hit.id} common`);
        }
        const exact = (await reads[0]) as { id: string; score: number }[];
        for (const hit of exact) {
          const [x, y] = vectorOf(hit.id);
          expect(hit.score).toBeCloseTo(-((x! - query[0]!) ** 2 + (y! - query[1]!) ** 2), 0);
        }
      }
    } finally {
      await local.close();
    }
  });
});
