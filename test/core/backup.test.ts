/**
 * Database.backup and restoreBackup: a backup taken while a writer runs
 * opens (after a restore) as the source stood at the versions it reports,
 * every document and vector bit for bit, searches answering as a database
 * built afresh from those documents; snapshots asked for during a backup
 * wait for it (a snapshot between the copy of the snapshot files and the
 * copy of the store would prune deletions the copied snapshot needs); the
 * refusals; in-memory databases.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, restoreBackup, type Collection, type Database, type Document, type Metadata } from '../../src/index.js';
import { Store } from '../../src/core/storage/store.js';
import { rejectedCode } from '../fixtures/errors.js';
import { rng } from '../fixtures/random.js';
import { scifactDocuments, scifactQueries } from '../fixtures/scifact.js';

const DIMENSION = 16;

interface Stored {
  vector: Float32Array;
  text: string | undefined;
  metadata: Metadata | undefined;
}
type Model = Map<string, Stored>;

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-backup-'));
  dirs.push(dir);
  return dir;
}

/** A logger that keeps what it is told; `problems` are the warnings and errors. */
function recorder() {
  const info: string[] = [];
  const problems: string[] = [];
  return { info, problems, logger: { info: (m: string) => info.push(m), warn: (m: string) => problems.push(m), error: (m: string) => problems.push(m) } };
}

async function exported(collection: Collection): Promise<Map<string, Document>> {
  const out = new Map<string, Document>();
  for await (const document of collection.export()) out.set(document.id, document);
  return out;
}

function bytesOf(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** Every document equal to the model's: same ids, vectors bit for bit, text and metadata. */
function expectSameDocuments(actual: Map<string, Document>, expected: Model): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [id, want] of expected) {
    const got = actual.get(id)!;
    expect(bytesOf(got.vector!).equals(bytesOf(want.vector!)), `vector of ${id}`).toBe(true);
    expect(got.text, `text of ${id}`).toBe(want.text);
    expect(got.metadata, `metadata of ${id}`).toEqual(want.metadata);
  }
}

/** A fresh in-memory database holding exactly the model's documents: what searches on a faithful copy must answer. */
async function oracleOf(model: Model, options: { metric: 'cosine' | 'l2' }): Promise<{ db: Database; docs: Collection }> {
  const db = await openDatabase({ workers: 0 });
  const docs = await db.createCollection('docs', { dimension: DIMENSION, metric: options.metric });
  const documents = [...model].map(([id, d]) => ({ id, vector: d.vector, ...(d.text === undefined ? {} : { text: d.text }), ...(d.metadata === undefined ? {} : { metadata: d.metadata }) }));
  for (let i = 0; i < documents.length; i += 1000) await docs.upsert(documents.slice(i, i + 1000));
  return { db, docs };
}

/** Exact vector searches, keyword searches and a filtered count give the same ids and scores on both. */
async function expectSameAnswers(copy: Collection, oracle: Collection, seed: number): Promise<void> {
  const next = rng(seed);
  for (let q = 0; q < 5; q++) {
    const vector = Float32Array.from({ length: DIMENSION }, () => next() * 2 - 1);
    const want = await oracle.search({ vector, k: 25, exact: true, include: [] });
    expect(await copy.search({ vector, k: 25, exact: true, include: [] })).toEqual(want);
  }
  for (const text of scifactQueries(8)) {
    const want = await oracle.search({ text, k: 20, include: [] });
    expect(want.length).toBeGreaterThan(0);
    expect(await copy.search({ text, k: 20, include: [] }), text).toEqual(want);
  }
  expect(await copy.countWhere({ even: true })).toBe(await oracle.countWhere({ even: true }));
}

function modelOf(documents: readonly { id: string; vector: Float32Array; text?: string; metadata?: Metadata }[]): Model {
  return new Map(documents.map((d) => [d.id, { vector: d.vector, text: d.text, metadata: d.metadata }]));
}

describe('Database.backup', () => {
  it('copies a database while a writer runs: the restored copy is the source at the versions it reports', async () => {
    const root = tempDir();
    const corpus = scifactDocuments(3000, DIMENSION);
    const source = await openDatabase({ path: join(root, 'data'), workers: 2, snapshotAfter: 200, logger: recorder().logger });
    const docs = await source.createCollection('docs', { dimension: DIMENSION, metric: 'cosine' });
    const model: Model = new Map();
    const put = async (batch: typeof corpus) => {
      const { version } = await docs.upsert(batch);
      for (const d of batch) model.set(d.id, { vector: d.vector, text: d.text, metadata: d.metadata });
      return version;
    };
    for (let i = 0; i < 2000; i += 500) await put(corpus.slice(i, i + 500));
    await source.snapshot();
    // Changes between the snapshot and the backup: the copy must replay them, deletions included.
    const gone = [...model.keys()].filter((_, i) => i % 17 === 0);
    await docs.delete(gone);
    for (const id of gone) model.delete(id);

    // Every version the writer makes, with the documents as they stood then.
    const states = new Map<number, Model>([[docs.version, new Map(model)]]);
    const next = rng(5);
    let stop = false;
    let during = 0;
    let backingUp = false;
    let fresh = 2000;
    const writer = (async () => {
      while (!stop) {
        const ids = [...model.keys()];
        const pick = () => ids[Math.floor(next() * ids.length)]!;
        const op = Math.floor(next() * 4);
        let version: number;
        if (op === 0 && fresh < corpus.length) {
          version = await put(corpus.slice(fresh, fresh + 40));
          fresh += 40;
        } else if (op === 1) {
          // New vectors for stored documents (graph nodes replaced).
          const batch = [...new Set(Array.from({ length: 15 }, pick))].map((id) => ({ ...model.get(id)!, id, vector: Float32Array.from({ length: DIMENSION }, () => next() * 2 - 1) }));
          version = (await docs.upsert(batch)).version;
          for (const d of batch) model.set(d.id, { vector: d.vector, text: d.text, metadata: d.metadata });
        } else if (op === 2) {
          const batch = [...new Set(Array.from({ length: 12 }, pick))];
          version = (await docs.delete(batch)).version;
          for (const id of batch) model.delete(id);
        } else {
          const id = pick();
          version = (await docs.update([{ id, set: { touched: true } }])).version;
          const stored = model.get(id)!;
          model.set(id, { ...stored, metadata: { ...stored.metadata, touched: true } });
        }
        states.set(version, new Map(model));
        if (backingUp) during++;
        await nextTurn();
      }
    })();
    while (states.size < 10) await sleep(1);
    backingUp = true;
    const result = await source.backup(join(root, 'backup'));
    backingUp = false;
    const after = states.size + 5;
    while (states.size < after) await sleep(1);
    stop = true;
    await writer;

    expect(during, 'writes committed while the backup ran').toBeGreaterThan(0);
    expect(result.collections).toHaveLength(1);
    const { version, snapshot } = result.collections[0]!;
    expect(snapshot).toBe(true);
    expect(result.bytes).toBeGreaterThan(0);
    expect(docs.version).toBeGreaterThan(version);
    const expected = states.get(version);
    expect(expected, `the writer made version ${version}`).toBeDefined();
    await source.close();

    const restored = await restoreBackup(join(root, 'backup'), join(root, 'restored'));
    expect(restored.collections).toEqual(result.collections);
    const log = recorder();
    const copy = await openDatabase({ path: join(root, 'restored'), workers: 0, logger: log.logger });
    try {
      // Opened from the copied snapshot plus the store's later changes, not rebuilt: the pair was consistent.
      expect(log.problems).toEqual([]);
      expect(log.info.some((line) => /restored snapshot v\d+ and replayed/.test(line))).toBe(true);
      const restoredDocs = copy.collection('docs');
      expect(restoredDocs.version).toBe(version);
      expectSameDocuments(await exported(restoredDocs), expected!);
      const oracle = await oracleOf(expected!, { metric: 'cosine' });
      try {
        await expectSameAnswers(restoredDocs, oracle.docs, 9);
      } finally {
        await oracle.db.close();
      }
    } finally {
      await copy.close();
    }
  }, 120_000);

  it('holds off a snapshot asked for during the backup, so the copy keeps the deletions its snapshot needs', async () => {
    // The naive order (copy the snapshot files, let a snapshot run, copy the store) pairs an old snapshot
    // with a store whose deletion log the new snapshot pruned: on open, a deleted document whose id came
    // back under another label is never removed from the graph, exact and keyword indexes of the copy.
    const root = tempDir();
    const corpus = scifactDocuments(400, DIMENSION, 21);
    const source = await openDatabase({ path: join(root, 'data'), workers: 0, logger: recorder().logger });
    const docs = await source.createCollection('docs', { dimension: DIMENSION, metric: 'l2' });
    await docs.upsert(corpus);
    await source.snapshot();
    const [a, b] = [corpus[10]!, corpus[11]!];
    await docs.delete([a.id, b.id]);
    // a comes back under b's freed label, with other text: its old label must be removed on replay.
    const back = { id: a.id, vector: Float32Array.from({ length: DIMENSION }, (_, i) => i / 10), text: 'zebra quagga okapi', metadata: { n: -1 } };
    await docs.upsert([back]);
    const model = modelOf(corpus.filter((d) => d.id !== a.id && d.id !== b.id));
    model.set(back.id, { vector: back.vector, text: back.text, metadata: back.metadata });

    let snapshotDone = false;
    let snapshotDoneBeforeStoreCopy: boolean | undefined;
    let snapshot: Promise<boolean> | undefined;
    const copyStore = Store.prototype.backup;
    vi.spyOn(Store.prototype, 'backup').mockImplementation(async function (this: Store, file: string, stepPages: number) {
      // Between the copy of the snapshot files and the copy of the store: the window a snapshot must not use.
      snapshot = docs.snapshot().then((written) => {
        snapshotDone = true;
        return written;
      });
      await sleep(100);
      snapshotDoneBeforeStoreCopy = snapshotDone;
      return copyStore.call(this, file, stepPages);
    });
    const result = await source.backup(join(root, 'backup'));
    expect(snapshotDoneBeforeStoreCopy).toBe(false);
    // It runs once the backup is over.
    expect(await snapshot).toBe(true);
    expect(result.collections).toEqual([{ name: 'docs', version: docs.version, snapshot: true }]);
    const tombstones = docs.info.tombstones;
    await source.close();

    await restoreBackup(join(root, 'backup'), join(root, 'restored'));
    const log = recorder();
    const copy = await openDatabase({ path: join(root, 'restored'), workers: 0, logger: log.logger });
    const oracle = await oracleOf(model, { metric: 'l2' });
    try {
      expect(log.problems).toEqual([]);
      const restoredDocs = copy.collection('docs');
      expectSameDocuments(await exported(restoredDocs), model);
      expect(restoredDocs.info.tombstones).toBe(tombstones);
      // a's old vector and text are nowhere: the exact scan and BM25 (whose document count and
      // lengths a leftover would change) answer as a database holding just these documents.
      expect(await restoredDocs.search({ vector: a.vector, k: 5, exact: true, include: [] })).toEqual(await oracle.docs.search({ vector: a.vector, k: 5, exact: true, include: [] }));
      const words = a.metadata.title;
      expect(await restoredDocs.search({ text: words, k: 10, include: [] })).toEqual(await oracle.docs.search({ text: words, k: 10, include: [] }));
      await expectSameAnswers(restoredDocs, oracle.docs, 3);
    } finally {
      await copy.close();
      await oracle.db.close();
    }
  }, 60_000);

  it('backs up an in-memory database: the copy opens by building its indexes from the store', async () => {
    const root = tempDir();
    const db = await openDatabase({ workers: 0 });
    const corpus = scifactDocuments(300, DIMENSION, 3);
    await (await db.createCollection('docs', { dimension: DIMENSION, metric: 'l2' })).upsert(corpus);
    await db.createCollection('empty', { dimension: 4 });
    await db.createAlias('current', 'docs');
    const result = await db.backup(join(root, 'backup'));
    await db.close();
    expect(result.collections).toEqual([
      { name: 'docs', version: 1, snapshot: false },
      { name: 'empty', version: 0, snapshot: false },
    ]);
    expect(readdirSync(join(root, 'backup'))).toEqual(['quiver.db']);
    const log = recorder();
    const copy = await openDatabase({ path: join(root, 'backup'), workers: 0, logger: log.logger });
    try {
      expect(log.problems).toEqual(["collection 'docs': no snapshot; rebuilding from the store (300 documents)"]);
      expectSameDocuments(await exported(copy.collection('current')), modelOf(corpus));
      expect(copy.listAliases()).toEqual([{ alias: 'current', collection: 'docs' }]);
      expect(copy.collection('empty').count).toBe(0);
    } finally {
      await copy.close();
    }
  });

  it('leaves out the snapshot of a collection dropped during the backup, and close waits for a backup', async () => {
    const root = tempDir();
    const source = await openDatabase({ path: join(root, 'data'), workers: 0 });
    const keep = await source.createCollection('keep', { dimension: 4 });
    const drop = await source.createCollection('drop', { dimension: 4 });
    await keep.upsert([{ id: 'k', vector: [1, 2, 3, 4] }]);
    await drop.upsert([{ id: 'd', vector: [4, 3, 2, 1] }]);
    await source.snapshot();
    const copyStore = Store.prototype.backup;
    let closed = false;
    vi.spyOn(Store.prototype, 'backup').mockImplementation(async function (this: Store, file: string, stepPages: number) {
      await source.dropCollection('drop');
      // close() is called now, but waits for the backup.
      void source.close().then(() => (closed = true));
      await sleep(20);
      expect(closed).toBe(false);
      return copyStore.call(this, file, stepPages);
    });
    const result = await source.backup(join(root, 'backup'));
    expect(result.collections.map((c) => c.name)).toEqual(['keep']);
    expect(readdirSync(join(root, 'backup', 'snapshots'))).toEqual(['1']);
    while (!closed) await sleep(1);
    const copy = await openDatabase({ path: join(root, 'backup'), workers: 0 });
    expect(copy.listCollections().map((c) => c.name)).toEqual(['keep']);
    await copy.close();
  });

  it('refuses a target that holds anything or lies in the data directory, and leaves nothing when it fails', async () => {
    const root = tempDir();
    const db = await openDatabase({ path: join(root, 'data'), workers: 0 });
    await (await db.createCollection('docs', { dimension: 4 })).upsert([{ id: 'a', vector: [1, 2, 3, 4] }]);
    try {
      const full = mkdtempSync(join(root, 'full-'));
      writeFileSync(join(full, 'something'), 'x');
      writeFileSync(join(root, 'a-file'), 'x');
      for (const target of [full, join(root, 'a-file'), join(root, 'data'), join(root, 'data', 'inside'), '']) expect(await rejectedCode(db.backup(target)), target).toBe('INVALID_ARGUMENT');
      expect(readdirSync(full)).toEqual(['something']);
      expect(existsSync(join(root, 'data', 'inside'))).toBe(false);
      // A failure half-way (here: the store copy) leaves no half backup behind.
      vi.spyOn(Store.prototype, 'backup').mockRejectedValueOnce(new Error('disk full'));
      await expect(db.backup(join(root, 'failed'))).rejects.toThrow('disk full');
      expect(existsSync(join(root, 'failed'))).toBe(false);
      // An empty directory that exists is fine.
      const empty = mkdtempSync(join(root, 'empty-'));
      expect((await db.backup(empty)).collections).toHaveLength(1);
    } finally {
      await db.close();
    }
    expect(await rejectedCode(db.backup(join(root, 'after-close')))).toBe('DATABASE_CLOSED');
  });
});

describe('holding snapshots', () => {
  it('runs the snapshots asked for during nested holds once, after the last hold ends', async () => {
    const root = tempDir();
    const log = recorder();
    const db = await openDatabase({ path: join(root, 'data'), workers: 0, snapshotAfter: 10, logger: log.logger });
    const docs = await db.createCollection('docs', { dimension: 4 });
    const written = () => log.info.filter((line) => /snapshot v\d+ written/.test(line)).length;
    const first = await docs.holdSnapshots();
    const second = await docs.holdSnapshots();
    // Writes past snapshotAfter ask for snapshots in the background; an explicit one waits too.
    for (let i = 0; i < 5; i++) await docs.upsert(Array.from({ length: 30 }, (_, j) => ({ id: `d${i}-${j}`, vector: [1, i, j, 1] })));
    const asked = docs.snapshot();
    await sleep(50);
    expect(written()).toBe(0);
    first();
    first();
    await sleep(20);
    expect(written()).toBe(0);
    second();
    expect(await asked).toBe(true);
    await sleep(20);
    expect(written()).toBe(1);
    expect(log.info.some((line) => line.includes(`snapshot v${docs.version} written`))).toBe(true);
    await db.close();
  });
});

describe('restoreBackup', () => {
  async function backupOf(root: string): Promise<string> {
    const db = await openDatabase({ path: join(root, 'data'), workers: 0 });
    await (await db.createCollection('docs', { dimension: 4 })).upsert([{ id: 'a', vector: [1, 2, 3, 4], text: 'alpha' }]);
    await db.snapshot();
    await db.backup(join(root, 'backup'));
    await db.close();
    return join(root, 'backup');
  }

  it('refuses a target holding data, a source that is not a backup, and a data directory in use', async () => {
    const root = tempDir();
    const backup = await backupOf(root);
    expect(await rejectedCode(restoreBackup(backup, join(root, 'data')))).toBe('INVALID_ARGUMENT');
    expect(await rejectedCode(restoreBackup(join(root, 'nothing'), join(root, 'to')))).toBe('INVALID_ARGUMENT');
    expect(await rejectedCode(restoreBackup(backup, backup))).toBe('INVALID_ARGUMENT');
    expect(await rejectedCode(restoreBackup(backup, join(backup, 'inside')))).toBe('INVALID_ARGUMENT');
    const open = await openDatabase({ path: join(root, 'data'), workers: 0 });
    try {
      expect(await rejectedCode(restoreBackup(join(root, 'data'), join(root, 'to')))).toBe('INVALID_ARGUMENT');
    } finally {
      await open.close();
    }
    expect(existsSync(join(root, 'to'))).toBe(false);
    // The backup itself was never written to.
    expect(readdirSync(backup).sort()).toEqual(['quiver.db', 'snapshots']);
  });

  it('refuses a damaged backup with DATA_DAMAGED and restores nothing', async () => {
    const root = tempDir();
    const backup = await backupOf(root);
    writeFileSync(join(backup, 'quiver.db'), Buffer.alloc(8192, 7));
    expect(await rejectedCode(restoreBackup(backup, join(root, 'to')))).toBe('DATA_DAMAGED');
    expect(existsSync(join(root, 'to'))).toBe(false);
  });
});
