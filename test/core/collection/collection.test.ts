import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Collection, type Database } from '../../../src/index.js';

const v = (...values: number[]) => Float32Array.from(values);

describe('library API', () => {
  let db: Database;
  let docs: Collection;

  beforeEach(async () => {
    db = await openDatabase();
    docs = await db.createCollection('docs', { dimension: 3, metric: 'cosine' });
  });
  afterEach(async () => db.close());

  it('upserts, gets and searches documents with text and metadata', async () => {
    await docs.upsert([
      { id: 'a', vector: [1, 0, 0], text: 'alpha', metadata: { lang: 'en', n: 1 } },
      { id: 'b', vector: v(0, 1, 0) },
    ]);
    expect(docs.count).toBe(2);
    expect(await docs.get('a')).toEqual({ id: 'a', vector: v(1, 0, 0), text: 'alpha', metadata: { lang: 'en', n: 1 } });
    expect(await docs.get('b')).toEqual({ id: 'b', vector: v(0, 1, 0) });
    expect(await docs.get('missing')).toBeNull();
    const hits = await docs.search({ vector: [0.9, 0.1, 0], k: 2 });
    expect(hits.map((hit) => hit.id)).toEqual(['a', 'b']);
    expect(hits[0]).toMatchObject({ text: 'alpha', metadata: { lang: 'en', n: 1 } });
    expect(hits[0]!.score).toBeCloseTo(0.9 / Math.hypot(0.9, 0.1), 5);
  });

  it('returns the vector exactly as written, even for cosine collections', async () => {
    await docs.upsert([{ id: 'a', vector: [3, 4, 0] }]);
    expect((await docs.get('a'))!.vector).toEqual(v(3, 4, 0));
  });

  it('applies writes in the order they were called, even when none is awaited', async () => {
    const upserted = docs.upsert([{ id: 'a', vector: [1, 0, 0] }, { id: 'b', vector: [0, 1, 0] }]);
    const deleted = docs.delete(['a']);
    const replaced = docs.upsert([{ id: 'b', vector: [0, 0, 1], text: 'last' }]);
    const versions = await Promise.all([upserted, deleted, replaced]);
    expect(versions.map((result) => result.version)).toEqual([1, 2, 3]);
    expect(await docs.get('a')).toBeNull();
    expect(await docs.get('b')).toEqual({ id: 'b', vector: v(0, 0, 1), text: 'last' });
    expect(docs.count).toBe(1);
  });

  it('shows a batch to searches all at once, never a part of it', async () => {
    const batch = Array.from({ length: 200 }, (_, i) => ({ id: `d${i}`, vector: [1, i / 200, 0] }));
    const upserted = docs.upsert(batch);
    let settled = false;
    void upserted.then(() => (settled = true));
    const seen: number[] = [];
    while (!settled) {
      seen.push(docs.count, (await docs.search({ vector: [1, 0, 0], k: 1000, exact: true })).length);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await upserted;
    expect(seen.every((n) => n === 0)).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(docs.count).toBe(200);
  });

  it('upserting an existing id replaces the document', async () => {
    await docs.upsert([{ id: 'a', vector: [1, 0, 0], text: 'old', metadata: { v: 1 } }]);
    await docs.upsert([{ id: 'a', vector: [0, 0, 1] }]);
    expect(docs.count).toBe(1);
    expect(await docs.get('a')).toEqual({ id: 'a', vector: v(0, 0, 1) });
    const [hit] = await docs.search({ vector: [0, 0, 1], k: 1 });
    expect(hit).toMatchObject({ id: 'a' });
    expect(hit!.score).toBeCloseTo(1, 6);
  });

  it('deletes by id; a deleted id never comes back and its label is reused', async () => {
    await docs.upsert([
      { id: 'a', vector: [1, 0, 0] },
      { id: 'b', vector: [0, 1, 0] },
    ]);
    expect(await docs.delete(['a', 'missing', 'a'])).toMatchObject({ deleted: 1 });
    expect(docs.count).toBe(1);
    expect(await docs.get('a')).toBeNull();
    expect((await docs.search({ vector: [1, 0, 0], k: 10 })).map((hit) => hit.id)).toEqual(['b']);
    await docs.upsert([{ id: 'c', vector: [1, 0, 0] }]);
    expect((await docs.search({ vector: [1, 0, 0], k: 10 })).map((hit) => hit.id)).toEqual(['c', 'b']);
  });

  it('bumps the version on every write and not on reads or no-op deletes', async () => {
    const start = docs.version;
    await docs.upsert([{ id: 'a', vector: [1, 0, 0] }]);
    expect(docs.version).toBe(start + 1);
    await docs.search({ vector: [1, 0, 0] });
    await docs.get('a');
    await docs.delete(['nope']);
    expect(docs.version).toBe(start + 1);
    await docs.delete(['a']);
    expect(docs.version).toBe(start + 2);
  });

  it('include selects the returned fields', async () => {
    await docs.upsert([{ id: 'a', vector: [1, 0, 0], text: 't', metadata: { m: true } }]);
    expect(await docs.search({ vector: [1, 0, 0], include: [] })).toEqual([{ id: 'a', score: expect.any(Number) }]);
    const [hit] = await docs.search({ vector: [1, 0, 0], include: ['vector', 'text'] });
    expect(hit).toEqual({ id: 'a', score: expect.any(Number), text: 't', vector: v(1, 0, 0) });
  });

  it('returns each hit its own text and metadata, for more hits than one read of the store takes', async () => {
    // Hits' fields are read 100 labels a statement (store.ts fieldsOf); 250 hits take three, the last partial.
    await docs.upsert(Array.from({ length: 300 }, (_, i) => ({
      id: `d${i}`, vector: [1, i / 300, (i % 7) / 7], ...(i % 3 === 0 ? {} : { text: `text ${i}` }), ...(i % 5 === 0 ? {} : { metadata: { i } }),
    })));
    const hits = await docs.search({ vector: [1, 0.5, 0.5], k: 250, exact: true });
    expect(hits).toHaveLength(250);
    for (const hit of hits) {
      const i = Number(hit.id.slice(1));
      expect(hit.text).toBe(i % 3 === 0 ? undefined : `text ${i}`);
      expect(hit.metadata).toEqual(i % 5 === 0 ? undefined : { i });
    }
  });

  it('lists, looks up and drops collections', async () => {
    await db.createCollection('other', { dimension: 2, metric: 'l2' });
    expect(db.listCollections().map((c) => c.name)).toEqual(['docs', 'other']);
    expect(db.collection('other').info).toMatchObject({ dimension: 2, metric: 'l2', count: 0 });
    await db.dropCollection('other');
    expect(db.hasCollection('other')).toBe(false);
    await db.createCollection('other', { dimension: 4 });
    expect(db.collection('other').metric).toBe('cosine');
  });

  it('refuses ids that are not well-formed Unicode, and keeps ids with surrogate pairs exactly', async () => {
    for (const id of ['\ud800', 'a\udc00', '\udc00\ud800']) {
      await expect(docs.upsert([{ id, vector: [1, 0, 0] }])).rejects.toMatchObject({ code: 'INVALID_ID' });
      await expect(docs.get(id)).rejects.toMatchObject({ code: 'INVALID_ID' });
    }
    expect(docs.count).toBe(0);
    await docs.upsert([{ id: '\ud83c\udf3b sunflower', vector: [1, 0, 0] }, { id: '\ud83c\udf3c blossom', vector: [0, 1, 0] }]);
    expect((await docs.list({})).documents.map((doc) => doc.id).sort()).toEqual(['\ud83c\udf3b sunflower', '\ud83c\udf3c blossom']);
  });

  it('metadata Dates are stored as ISO strings', async () => {
    await docs.upsert([{ id: 'a', vector: [1, 0, 0], metadata: { at: new Date(0) } }]);
    expect((await docs.get('a'))!.metadata).toEqual({ at: '1970-01-01T00:00:00.000Z' });
  });

  it('search reports bad requests and closed collections by rejecting, never by throwing', async () => {
    await docs.upsert([{ id: 'a', vector: [1, 0, 0] }]);
    let pending: Promise<unknown> | undefined;
    expect(() => (pending = docs.search({ vector: [1, 0, 0], k: 0 }))).not.toThrow();
    await expect(pending).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => (pending = docs.search({ vector: [1, 0], k: 1 }))).not.toThrow();
    await expect(pending).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
    await db.dropCollection('docs');
    expect(() => (pending = docs.search({ vector: [1, 0, 0], k: 1 }))).not.toThrow();
    await expect(pending).rejects.toMatchObject({ code: 'COLLECTION_NOT_FOUND' });
  });

  it('behaves like a Map under random upserts and deletes', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('upsert' as const), id: fc.constantFrom(...ids), x: fc.integer({ min: 1, max: 9 }) }),
      fc.record({ kind: fc.constant('delete' as const), id: fc.constantFrom(...ids) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 40 }), async (operations) => {
        const collection = await db.createCollection('model', { dimension: 3, metric: 'l2' });
        const model = new Map<string, number>();
        for (const op of operations) {
          if (op.kind === 'upsert') {
            await collection.upsert([{ id: op.id, vector: [op.x, 0, 0] }]);
            model.set(op.id, op.x);
          } else {
            await collection.delete([op.id]);
            model.delete(op.id);
          }
        }
        expect(collection.count).toBe(model.size);
        for (const id of ids) {
          const doc = await collection.get(id);
          expect(doc === null ? undefined : doc.vector![0]).toBe(model.get(id));
        }
        const hits = await collection.search({ vector: [0, 0, 0], k: 10, include: [] });
        expect(hits.map((hit) => hit.id).sort()).toEqual([...model.keys()].sort());
        await db.dropCollection('model');
      }),
      { numRuns: 40 },
    );
  });
});

describe('a database with a path', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quiver-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps collections and documents across close and reopen', async () => {
    const db = await openDatabase({ path: dir });
    const docs = await db.createCollection('docs', { dimension: 2, metric: 'l2' });
    await docs.upsert([
      { id: 'a', vector: [0, 0], text: 'origin' },
      { id: 'b', vector: [5, 5] },
      { id: 'c', vector: [9, 9] },
    ]);
    await docs.delete(['b']);
    const before = await docs.search({ vector: [1, 1], k: 3 });
    await db.close();

    const reopened = await openDatabase({ path: dir });
    const again = reopened.collection('docs');
    expect(again.count).toBe(2);
    expect(again.version).toBe(docs.version);
    expect(await again.search({ vector: [1, 1], k: 3 })).toEqual(before);
    await again.upsert([{ id: 'd', vector: [1, 1] }]);
    expect((await again.search({ vector: [1, 1], k: 1 }))[0]!.id).toBe('d');
    await reopened.close();
  });
});
