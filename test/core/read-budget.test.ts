/**
 * The bounds of one read in the library (read-budget.ts): text and
 * metadata past MAX_RESULT_FIELD_BYTES fail the read, a large read stops
 * when its signal is aborted, and a read answered in slices gives the same
 * hits as one answered at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Collection, type Database } from '../../src/index.js';
import { MAX_RESULT_FIELD_BYTES, READ_SLICE } from '../../src/core/options.js';

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
