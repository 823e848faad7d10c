/**
 * Writes and collection lifecycles that fail part way change nothing
 * (issue 23, defects 2 and 3). A failure is injected into one index, the
 * graph, or the store's commit, on the Nth call of a batch, so part of the
 * batch was already applied in memory when it fails: count, get, list,
 * every kind of search and the version must equal what they were before,
 * and so must the store after a reopen. A collection whose creation fails
 * leaves no row behind; a drop that fails leaves the collection usable.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Bm25Index } from '../../../src/core/keyword/bm25-index.js';
import { MetadataIndex } from '../../../src/core/filter/metadata-index.js';
import { SegmentedGraph } from '../../../src/core/graph/segmented-graph.js';
import { DocumentTable, Store } from '../../../src/core/storage/store.js';
import { FlatIndex } from '../../../src/core/vector/flat-index.js';
import { openDatabase, type Collection, type Database, type DocumentInput } from '../../../src/index.js';
import { randomVectors } from '../../fixtures/random.js';

const DIM = 8;
const silent = { info: () => {}, warn: () => {}, error: () => {} };
const dirs: string[] = [];

afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-write-failures-'));
  dirs.push(dir);
  return dir;
}

const data = randomVectors(200, DIM, 23);
const vector = (i: number) => data.subarray(i * DIM, (i + 1) * DIM);

function doc(i: number, version = 0): DocumentInput {
  return { id: `d${i}`, vector: vector(i + 100 * version), text: `document ${i} ${version === 0 ? 'common' : 'rewritten'} words`, metadata: { group: (i + version) % 3 } };
}

/** Throws on the `n`th call of `method` from now on (and only then); the other calls run as usual. */
function failOnCall(target: object, method: string, n: number): void {
  const original = (target as Record<string, (...args: unknown[]) => unknown>)[method]!;
  let calls = 0;
  vi.spyOn(target as Record<string, (...args: unknown[]) => unknown>, method).mockImplementation(function (this: unknown, ...args: unknown[]) {
    if (++calls === n) throw new Error(`injected failure in ${method}`);
    return original.apply(this, args);
  });
}

/** The store's transaction fails at its commit, after the whole in-memory apply ran. */
function failAtCommit(method: 'put' | 'remove'): void {
  type Write = (this: DocumentTable, what: unknown, version: number, apply?: () => void) => void;
  const original = DocumentTable.prototype[method] as Write;
  const failing: Write = function (what, version, apply) {
    original.call(this, what, version, () => {
      apply?.();
      throw new Error('injected failure at commit');
    });
  };
  vi.spyOn(DocumentTable.prototype, method).mockImplementationOnce(failing as never);
}

/** Everything a reader can see of the collection. */
async function visible(col: Collection) {
  // Graph inserts on worker threads done: a pending label is scored by the exact kernel, a graph node by hnswlib (float sums in another order).
  await col.indexed();
  const queries = [3, 17, 42, 150].map((i) => vector(i));
  const ids = Array.from({ length: 40 }, (_, i) => `d${i}`).concat(['n0', 'n1', 'n2', 'n3']);
  return {
    count: col.count,
    version: col.version,
    list: (await col.list({ limit: 1000, include: ['vector', 'text', 'metadata'] })).documents,
    get: await col.getMany(ids),
    countWhere: await col.countWhere({ group: 1 }),
    exact: await Promise.all(queries.map((q) => col.search({ vector: q, k: 10, exact: true, include: [] }))),
    graph: await Promise.all(queries.map((q) => col.search({ vector: q, k: 10, exact: false, include: [] }))),
    filtered: await Promise.all(queries.map((q) => col.search({ vector: q, k: 10, filter: { group: 1 }, include: [] }))),
    keyword: await col.search({ text: 'common words', k: 10, include: [] }),
    rewritten: await col.search({ text: 'rewritten', k: 10, include: [] }),
    hybrid: await col.search({ vector: queries[0]!, text: 'document', k: 10, include: [] }),
  };
}

async function seeded(path: string, workers: number): Promise<{ db: Database; col: Collection }> {
  const db = await openDatabase({ path, logger: silent, workers });
  const col = await db.createCollection('docs', { dimension: DIM, hnsw: { segments: 2 } });
  await col.upsert(Array.from({ length: 40 }, (_, i) => doc(i)));
  // Freed labels, so the failing batch reuses some and takes new ones past the end too.
  await col.delete(['d5', 'd9']);
  return { db, col };
}

/** Three documents replaced (new vector, text, metadata), two reusing freed labels, three past the end. */
const batch = [doc(1, 1), { ...doc(0), id: 'n0' }, doc(2, 1), { ...doc(7), id: 'n1' }, doc(3, 1), { ...doc(8), id: 'n2' }, { ...doc(11), id: 'n3' }, doc(5, 1)];

type Fault = [string, () => void];

const upsertFaults: Fault[] = [
  ['the graph, 4th insert', () => failOnCall(SegmentedGraph.prototype, 'add', 4)],
  ['the exact index, 5th row', () => failOnCall(FlatIndex.prototype, 'add', 5)],
  ['the keyword index, 3rd document', () => failOnCall(Bm25Index.prototype, 'add', 3)],
  ['the metadata index, 6th document', () => failOnCall(MetadataIndex.prototype, 'add', 6)],
  ['the commit, after the whole batch was applied', () => failAtCommit('put')],
];

const deleteFaults: Fault[] = [
  ['the graph, 2nd removal', () => failOnCall(SegmentedGraph.prototype, 'remove', 2)],
  ['the exact index, 3rd removal', () => failOnCall(FlatIndex.prototype, 'remove', 3)],
  ['the keyword index, 2nd removal', () => failOnCall(Bm25Index.prototype, 'remove', 2)],
  ['the metadata index, 2nd removal', () => failOnCall(MetadataIndex.prototype, 'remove', 2)],
  ['the commit, after every removal was applied', () => failAtCommit('remove')],
];

/** Runs `write` with `fault` injected; checks it is rejected and changed nothing, now and after a reopen; then the same write succeeds. */
async function expectNothingChanged(workers: number, fault: () => void, write: (col: Collection) => Promise<unknown>, expectCount: (before: number) => number): Promise<void> {
  const path = tempDir();
  const { db, col } = await seeded(path, workers);
  const before = await visible(col);
  fault();
  await expect(write(col)).rejects.toThrow(/injected failure/);
  vi.restoreAllMocks();
  expect(await visible(col)).toEqual(before);
  await db.close();

  const reopened = await openDatabase({ path, logger: silent, workers });
  const again = reopened.collection('docs');
  expect(again.info.state).toBe('ready');
  expect(await visible(again)).toEqual(before);
  // The ids and free labels are as they were: the same write now goes through whole.
  await write(again);
  expect(again.count).toBe(expectCount(before.count));
  expect(again.version).toBe(before.version + 1);
  await reopened.close();
}

describe('a batch that fails part way through its in-memory apply', () => {
  for (const [where, fault] of upsertFaults) {
    it(`upsert failing in ${where}: rejected, nothing of it visible or stored, version unchanged`, async () => {
      await expectNothingChanged(0, fault, (col) => col.upsert(batch), (count) => count + 5);
    });
  }

  for (const [where, fault] of deleteFaults) {
    it(`delete failing in ${where}: rejected, every document still there, version unchanged`, async () => {
      await expectNothingChanged(0, fault, (col) => col.delete(['d3', 'd4', 'd6', 'd8']), (count) => count - 4);
    });
  }

  it('deleteWhere failing in the graph: rejected, every document still there, version unchanged', async () => {
    await expectNothingChanged(0, () => failOnCall(SegmentedGraph.prototype, 'remove', 3), (col) => col.deleteWhere({ group: 2 }), (count) => count - 12);
  });

  it('with the graph on worker threads: an upsert failing in the keyword index changes nothing', async () => {
    await expectNothingChanged(2, () => failOnCall(Bm25Index.prototype, 'add', 4), (col) => col.upsert(batch), (count) => count + 5);
  });

  it('when even putting the touched documents back fails, rebuilds the indexes from the store: still nothing of the batch visible', async () => {
    const path = tempDir();
    const { db, col } = await seeded(path, 0);
    const before = await visible(col);
    // Fails the batch's 3rd keyword insert, then the undo's 1st.
    const add = Bm25Index.prototype.add;
    let calls = 0;
    vi.spyOn(Bm25Index.prototype, 'add').mockImplementation(function (this: Bm25Index, label: number, text: string) {
      calls++;
      if (calls === 3 || calls === 4) throw new Error('injected failure in add');
      return add.call(this, label, text);
    });
    await expect(col.upsert(batch)).rejects.toThrow(/injected failure/);
    vi.restoreAllMocks();
    expect(col.info.state).toBe('ready');
    expect(await visible(col)).toEqual(before);
    await db.close();
  });
});

describe('creating a collection', () => {
  it('that fails after its row was added leaves no row and no entry: the name can be created again, and a restart is clean', async () => {
    const path = tempDir();
    const db = await openDatabase({ path, logger: silent, workers: 0 });
    await (await db.createCollection('kept', { dimension: DIM })).upsert([doc(0)]);

    vi.spyOn(SegmentedGraph, 'create').mockImplementationOnce(() => {
      throw new Error('injected failure making the collection');
    });
    await expect(db.createCollection('docs', { dimension: DIM })).rejects.toThrow(/injected failure/);
    expect(db.hasCollection('docs')).toBe(false);
    expect(db.listCollections().map((c) => c.name)).toEqual(['kept']);

    // The commit itself failing, after the collection was made in memory: it is freed, not registered.
    const create = Store.prototype.createCollection as (name: string, config: string, open: (stored: unknown) => unknown) => unknown;
    vi.spyOn(Store.prototype, 'createCollection').mockImplementationOnce(function (this: Store, name: string, config: string, open?: (stored: never) => unknown) {
      return create.call(this, name, config, (stored) => {
        open!(stored as never);
        throw new Error('injected failure at commit');
      });
    } as never);
    await expect(db.createCollection('docs', { dimension: DIM })).rejects.toThrow(/injected failure/);
    expect(db.hasCollection('docs')).toBe(false);

    const docs = await db.createCollection('docs', { dimension: DIM });
    await docs.upsert([doc(1), doc(2)]);
    await db.close();

    const reopened = await openDatabase({ path, logger: silent, workers: 0 });
    expect(reopened.listCollections().map((c) => [c.name, c.state, 'count' in c ? c.count : undefined])).toEqual([['kept', 'ready', 1], ['docs', 'ready', 2]]);
    expect((await reopened.collection('docs').search({ vector: vector(2), k: 1 }))[0]!.id).toBe('d2');
    await reopened.close();
  });

  it('removes snapshot files left under its id by a dropped collection whose files could not be removed', async () => {
    const path = tempDir();
    const db = await openDatabase({ path, logger: silent, workers: 0 });
    await db.createCollection('first', { dimension: DIM });
    await db.dropCollection('first');
    // What a drop that could not remove its files leaves: the next collection gets the same id (1).
    const stale = join(path, 'snapshots', '1');
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'manifest.json'), '{"version": 1}');
    await db.createCollection('second', { dimension: DIM });
    expect(existsSync(join(stale, 'manifest.json'))).toBe(false);
    await db.close();
  });
});

describe('dropping a collection', () => {
  it('that fails in the store leaves it usable and stored; once it succeeds it is gone, after a restart too', async () => {
    const path = tempDir();
    const db = await openDatabase({ path, logger: silent, workers: 0 });
    const docs = await db.createCollection('docs', { dimension: DIM });
    await docs.upsert([doc(0), doc(1)]);
    vi.spyOn(Store.prototype, 'dropCollection').mockImplementationOnce(() => {
      throw new Error('injected failure dropping');
    });
    await expect(db.dropCollection('docs')).rejects.toThrow(/injected failure/);
    expect(db.collection('docs')).toBe(docs);
    await docs.upsert([doc(2)]);
    expect((await docs.search({ vector: vector(2), k: 1 }))[0]!.id).toBe('d2');
    await db.close();

    const reopened = await openDatabase({ path, logger: silent, workers: 0 });
    expect(reopened.collection('docs').count).toBe(3);
    await reopened.dropCollection('docs');
    expect(reopened.hasCollection('docs')).toBe(false);
    await reopened.close();
    const last = await openDatabase({ path, logger: silent, workers: 0 });
    expect(last.listCollections()).toEqual([]);
    await last.close();
  });
});
