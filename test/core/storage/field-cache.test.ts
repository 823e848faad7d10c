import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FieldCache } from '../../../src/core/storage/field-cache.js';
import { openDatabase, type Database } from '../../../src/index.js';

const fields = (text: string) => ({ text, metadata: null });

describe('FieldCache', () => {
  it('keeps entries within its capacity, dropping the least recently used first', () => {
    // Each entry: 96 bytes of overhead plus its characters, so nine of 106 bytes fit.
    const cache = new FieldCache(1_000);
    const scope = cache.scope();
    for (let label = 1; label <= 9; label++) scope.set(label, fields('x'.repeat(10)));
    expect(scope.get(1)?.text).toBe('x'.repeat(10)); // 1 is now the most recently used
    scope.set(10, fields('y'.repeat(10)));
    expect(scope.get(2)).toBeUndefined();
    expect([1, 3, 9, 10].map((label) => scope.get(label) !== undefined)).toEqual([true, true, true, true]);
    expect(cache.stats).toMatchObject({ entries: 9, bytes: 9 * 106 });
    expect(cache.stats.bytes).toBeLessThanOrEqual(cache.capacity);
  });

  it('counts hits and misses, and forgets a label on request', () => {
    const cache = new FieldCache(10_000);
    const scope = cache.scope();
    scope.set(7, { text: 'a', metadata: '{"n":1}' });
    expect(scope.get(7)).toMatchObject({ text: 'a', metadata: '{"n":1}' });
    scope.forget(7);
    expect(scope.get(7)).toBeUndefined();
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1, entries: 0, bytes: 0 });
  });

  it('keeps the scopes of different collections apart', () => {
    const cache = new FieldCache(10_000);
    const first = cache.scope();
    const second = cache.scope();
    first.set(0, fields('first'));
    expect(second.get(0)).toBeUndefined();
    second.set(0, fields('second'));
    expect(first.get(0)?.text).toBe('first');
  });

  it('keeps nothing with capacity 0, and no document larger than an eighth of the cache', () => {
    const off = new FieldCache(0).scope();
    off.set(1, fields(''));
    expect(off.get(1)).toBeUndefined();
    const small = new FieldCache(8 * 200);
    small.scope().set(1, fields('z'.repeat(500)));
    expect(small.stats.entries).toBe(0);
  });
});

describe('hits read through the field cache', () => {
  let db: Database;
  afterEach(async () => db.close());

  it('serves repeated hits from memory, and a write to a document is seen by the next search', async () => {
    db = await openDatabase({ workers: 0 });
    const docs = await db.createCollection('docs', { dimension: 2, metric: 'l2' });
    await docs.upsert([
      { id: 'a', vector: [0, 0], text: 'old text', metadata: { tag: 'old' } },
      { id: 'b', vector: [5, 5], text: 'other' },
    ]);
    const first = await docs.search({ vector: [0, 0], k: 1 });
    const again = await docs.search({ vector: [0, 0], k: 1 });
    expect(again).toEqual(first);
    expect(db.fieldCacheStats.hits).toBeGreaterThanOrEqual(1);

    await docs.upsert([{ id: 'a', vector: [0, 0], text: 'new text', metadata: { tag: 'new' } }]);
    const [updated] = await docs.search({ vector: [0, 0], k: 1 });
    expect(updated).toEqual({ id: 'a', score: updated!.score, text: 'new text', metadata: { tag: 'new' } });

    // The deleted document's label goes to the next new document, which must not inherit its fields.
    await docs.delete(['a']);
    await docs.upsert([{ id: 'c', vector: [0, 0] }]);
    const [reused] = await docs.search({ vector: [0, 0], k: 1 });
    expect(reused).toEqual({ id: 'c', score: reused!.score });
  });

  it('returns each hit a metadata object of its own', async () => {
    db = await openDatabase({ workers: 0 });
    const docs = await db.createCollection('docs', { dimension: 2, metric: 'l2' });
    await docs.upsert([{ id: 'a', vector: [0, 0], metadata: { tags: ['x'] } }]);
    const [hit] = await docs.search({ vector: [0, 0], k: 1 });
    (hit!.metadata!.tags as string[]).push('changed by the caller');
    const [next] = await docs.search({ vector: [0, 0], k: 1 });
    expect(next!.metadata).toEqual({ tags: ['x'] });
  });

  it('always returns what the store holds, however small the cache, under random writes and searches', async () => {
    // Room for about ten of the twelve documents: reads keep evicting, and most entries live long enough to go stale.
    db = await openDatabase({ workers: 0, fieldCache: 1_200 });
    const ids = 'abcdefghijkl'.split('');
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('upsert' as const), id: fc.constantFrom(...ids), text: fc.string({ maxLength: 12 }), n: fc.integer() }),
      fc.record({ kind: fc.constant('delete' as const), id: fc.constantFrom(...ids) }),
      fc.record({ kind: fc.constant('search' as const), at: fc.integer({ min: 0, max: ids.length - 1 }) }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 60 }), async (operations) => {
        const collection = await db.createCollection(`model${run++}`, { dimension: 2, metric: 'l2' });
        const model = new Map<string, { text: string; n: number }>();
        const check = async (at: number) => {
          const hits = await collection.search({ vector: [at, 0], k: ids.length });
          expect(hits.length).toBe(model.size);
          for (const hit of hits) {
            const stored = model.get(hit.id)!;
            expect({ text: hit.text ?? '', n: hit.metadata?.n }).toEqual(stored);
          }
        };
        for (const op of operations) {
          if (op.kind === 'upsert') {
            const at = ids.indexOf(op.id);
            await collection.upsert([{ id: op.id, vector: [at, 0], ...(op.text ? { text: op.text } : {}), metadata: { n: op.n } }]);
            model.set(op.id, { text: op.text, n: op.n });
          } else if (op.kind === 'delete') {
            await collection.delete([op.id]);
            model.delete(op.id);
          } else {
            await check(op.at);
          }
        }
        await check(0);
      }),
      { numRuns: 40 },
    );
    expect(db.fieldCacheStats.bytes).toBeLessThanOrEqual(1_200);
  });

  it('rejects a fieldCache that is not a non-negative integer of bytes', async () => {
    await expect(openDatabase({ fieldCache: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    db = await openDatabase({ fieldCache: 0 });
  });
});
