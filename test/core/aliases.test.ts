/**
 * Aliases (issue 19, item 5): another name for a collection, for every read
 * and write, switched atomically, dropped, listed, and kept across a reopen.
 */
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/index.js';
import { databasesPerTest } from '../fixtures/databases.js';
import { rejectedCode } from '../fixtures/errors.js';

const { open, tempDir } = databasesPerTest({ workers: 0 });

/** Two versions of one corpus: v1 and v2 hold the same ids, told apart by their text. */
async function twoVersions(db: Database): Promise<void> {
  for (const version of ['v1', 'v2']) {
    const docs = await db.createCollection(`docs-${version}`, { dimension: 2, metric: 'l2' });
    await docs.upsert([
      { id: 'a', vector: [1, 0], text: `apple ${version}` },
      { id: 'b', vector: [0, 1], text: `banana ${version}` },
    ]);
  }
}


describe('aliases', () => {
  it('read and write through the alias reach the collection it names', async () => {
    const db = await open();
    await twoVersions(db);
    await db.createAlias('docs', 'docs-v1');
    expect(db.hasCollection('docs')).toBe(true);
    expect(db.collection('docs')).toBe(db.collection('docs-v1'));
    await db.collection('docs').upsert([{ id: 'c', vector: [1, 1], text: 'cherry' }]);
    expect(await db.collection('docs-v1').get('c')).not.toBeNull();
    expect((await db.collection('docs').search({ text: 'apple', k: 1 }))[0]!.text).toBe('apple v1');
    expect(db.listAliases()).toEqual([{ alias: 'docs', collection: 'docs-v1' }]);
  });

  it('switches atomically: searches running across the switch each answer from one version, never an error', async () => {
    const db = await open();
    await twoVersions(db);
    await db.createAlias('docs', 'docs-v1');
    const seen = new Set<string>();
    let switched = false;
    const searches = (async () => {
      for (let i = 0; i < 400; i++) {
        const [hit] = await db.collection('docs').search({ text: 'apple', k: 1 });
        seen.add(`${switched ? 'after' : 'before'}:${hit!.text}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await db.switchAlias('docs', 'docs-v2');
    switched = true;
    await searches;
    expect([...seen].filter((entry) => entry.startsWith('after'))).toEqual(['after:apple v2']);
    expect(seen.has('before:apple v1')).toBe(true);
    expect(db.listAliases()).toEqual([{ alias: 'docs', collection: 'docs-v2' }]);
  });

  it('refuses names already taken, aliases of what does not exist, and dropping a collection by its alias', async () => {
    const db = await open();
    await twoVersions(db);
    await db.createAlias('docs', 'docs-v1');
    expect(await rejectedCode(() => db.createAlias('docs', 'docs-v2'))).toBe('ALIAS_EXISTS');
    expect(await rejectedCode(() => db.createAlias('docs-v2', 'docs-v1'))).toBe('COLLECTION_EXISTS');
    expect(await rejectedCode(() => db.createCollection('docs', { dimension: 2 }))).toBe('ALIAS_EXISTS');
    expect(await rejectedCode(() => db.createAlias('other', 'missing'))).toBe('COLLECTION_NOT_FOUND');
    expect(await rejectedCode(() => db.createAlias('other', 'docs'))).toBe('COLLECTION_NOT_FOUND');
    expect(await rejectedCode(() => db.createAlias('bad name', 'docs-v1'))).toBe('INVALID_COLLECTION_NAME');
    expect(await rejectedCode(() => db.switchAlias('missing', 'docs-v2'))).toBe('ALIAS_NOT_FOUND');
    expect(await rejectedCode(() => db.switchAlias('docs', 'missing'))).toBe('COLLECTION_NOT_FOUND');
    expect(await rejectedCode(() => db.dropCollection('docs'))).toBe('INVALID_ARGUMENT');
    expect(await rejectedCode(() => db.dropAlias('missing'))).toBe('ALIAS_NOT_FOUND');
    // Nothing refused changed anything.
    expect(db.listAliases()).toEqual([{ alias: 'docs', collection: 'docs-v1' }]);
    expect(db.listCollections().map((c) => c.name)).toEqual(['docs-v1', 'docs-v2']);
  });

  it('drop removes the alias only; dropping a collection removes its aliases', async () => {
    const db = await open();
    await twoVersions(db);
    await db.createAlias('docs', 'docs-v1');
    await db.createAlias('latest', 'docs-v2');
    await db.createAlias('newest', 'docs-v2');
    await db.dropAlias('docs');
    expect(db.hasCollection('docs')).toBe(false);
    expect(db.collection('docs-v1').count).toBe(2);
    await db.dropCollection('docs-v2');
    expect(db.listAliases()).toEqual([]);
    expect(await rejectedCode(() => db.collection('latest'))).toBe('COLLECTION_NOT_FOUND');
    // The names are free again.
    await db.createCollection('latest', { dimension: 2 });
  });

  it('are kept across a reopen, switched and dropped alike', async () => {
    const path = tempDir('quiver-aliases-');
    let db = await open(path);
    await twoVersions(db);
    await db.createAlias('docs', 'docs-v1');
    await db.createAlias('old', 'docs-v1');
    await db.switchAlias('docs', 'docs-v2');
    await db.dropAlias('old');
    await db.close();
    db = await open(path);
    expect(db.listAliases()).toEqual([{ alias: 'docs', collection: 'docs-v2' }]);
    expect((await db.collection('docs').search({ text: 'banana', k: 1 }))[0]!.text).toBe('banana v2');
  });
});
