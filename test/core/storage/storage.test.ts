import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Collection, type Database, type SearchRequest } from '../../../src/index.js';
import { randomVectors, rng } from '../../fixtures/random.js';

const DIM = 16;
const COUNT = 3000;

function recorder() {
  const lines: string[] = [];
  const logger = {
    info: () => {},
    warn: (message: string) => lines.push(message),
    error: (message: string) => lines.push(message),
  };
  return { lines, logger };
}

const data = randomVectors(COUNT, DIM, 11);
const row = (i: number) => data.subarray(i * DIM, (i + 1) * DIM);
const queries = randomVectors(20, DIM, 12);
const query = (q: number) => queries.subarray(q * DIM, (q + 1) * DIM);

async function fill(collection: Collection): Promise<void> {
  await collection.upsert(
    Array.from({ length: COUNT }, (_, i) => ({ id: `d${i}`, vector: row(i), text: `doc ${i}`, metadata: { group: i % 10 } })),
  );
  await collection.delete(Array.from({ length: 300 }, (_, i) => `d${i * 7}`));
  await collection.upsert(Array.from({ length: 50 }, (_, i) => ({ id: `d${i * 11 + 1}`, vector: row((i * 13) % COUNT) })));
}

const probes: Omit<SearchRequest, 'vector'>[] = [
  { k: 10, exact: true },
  { k: 10, exact: false },
  { k: 10, filter: { group: 3 } },
  { k: 5, exact: false, filter: { group: { $lt: 5 } } },
];

/** Documents in GROUPED: enough that reading the metadata index after open takes several turns. */
const GROUPED = 20_000;
const groupedVector = (i: number) => Float32Array.of(i % 7, i % 11, i % 13, 1);

/** A database in `dir` (workers: 0) with GROUPED documents d<i>, metadata { group: i % 10 }. */
async function groupedCollection(dir: string): Promise<{ db: Database; docs: Collection }> {
  const db = await openDatabase({ path: dir, workers: 0 });
  const docs = await db.createCollection('docs', { dimension: 4, metric: 'l2' });
  for (let start = 0; start < GROUPED; start += 5000) {
    await docs.upsert(Array.from({ length: 5000 }, (_, j) => ({ id: `d${start + j}`, vector: groupedVector(start + j), metadata: { group: (start + j) % 10 } })));
  }
  return { db, docs };
}

async function answers(collection: Collection) {
  // Graph inserts run on worker threads; until they finish, pending documents are scanned
  // exactly, which can rank better than the finished graph. Compare finished states.
  await collection.indexed();
  const out: unknown[] = [];
  for (let q = 0; q < 20; q++) for (const probe of probes) out.push(await collection.search({ ...probe, vector: query(q) }));
  return out;
}

describe('storage', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quiver-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same answers before and after reopening, from a snapshot, without rebuilding', async () => {
    const db = await openDatabase({ path: dir });
    const docs = await db.createCollection('docs', { dimension: DIM, metric: 'l2' });
    await fill(docs);
    const before = await answers(docs);
    await db.close();
    expect(readdirSync(join(dir, 'snapshots'))).toHaveLength(1);

    const { lines, logger } = recorder();
    const reopened = await openDatabase({ path: dir, logger });
    expect(await answers(reopened.collection('docs'))).toEqual(before);
    expect(lines).toEqual([]);
    await reopened.close();
  });

  it('keeps the vector last in a new collection\'s table, and reads and writes a table with it third (made before) alike', async () => {
    const db = await openDatabase({ path: dir });
    await fill(await db.createCollection('docs', { dimension: DIM, metric: 'l2' }));
    const before = await answers(db.collection('docs'));
    await db.close();
    const raw = new BetterSqlite3(join(dir, 'quiver.db'));
    const table = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'docs_%' AND name NOT LIKE '%deletions%'").pluck().get() as string);
    const columns = () => (raw.prepare(`SELECT name FROM pragma_table_info('${table}') ORDER BY cid`).pluck().all() as string[]);
    expect(columns()).toEqual(['label', 'id', 'seq', 'text', 'metadata', 'vector']);
    // The layout collections had before: the vector third.
    raw.exec(`
      CREATE TABLE old (label INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, seq INTEGER NOT NULL, vector BLOB NOT NULL, text TEXT, metadata TEXT);
      INSERT INTO old (label, id, seq, vector, text, metadata) SELECT label, id, seq, vector, text, metadata FROM ${table};
      DROP TABLE ${table};
      ALTER TABLE old RENAME TO ${table};
      CREATE INDEX ${table}_seq ON ${table} (seq);
    `);
    expect(columns()).toEqual(['label', 'id', 'seq', 'vector', 'text', 'metadata']);
    raw.close();
    const reopened = await openDatabase({ path: dir });
    const docs = reopened.collection('docs');
    expect(await answers(docs)).toEqual(before);
    await docs.upsert([{ id: 'new', vector: row(5), text: 'new doc', metadata: { group: 42 } }]);
    expect(await docs.get('new')).toMatchObject({ text: 'new doc', metadata: { group: 42 } });
    expect((await docs.search({ vector: row(5), k: 2, filter: { group: 42 } }))[0]).toMatchObject({ id: 'new', text: 'new doc' });
    await reopened.close();
  });

  it('answers graph searches while the vector rows stream in after open; exact and hybrid searches and writes wait for them', async () => {
    const db = await openDatabase({ path: dir, workers: 0 });
    const docs = await db.createCollection('docs', { dimension: DIM, metric: 'l2' });
    await fill(docs);
    const exactBefore = await docs.search({ vector: query(0), k: 10, exact: true });
    const graphBefore = await docs.search({ vector: query(0), k: 10, exact: false });
    const hybridBefore = await docs.search({ vector: query(1), text: 'doc', k: 5 });
    await db.close();

    const reopened = await openDatabase({ path: dir, workers: 0 });
    const again = reopened.collection('docs');
    const order: string[] = [];
    const exact = again.search({ vector: query(0), k: 10, exact: true }).then((hits) => (order.push('exact'), hits));
    const hybrid = again.search({ vector: query(1), text: 'doc', k: 5 }).then((hits) => (order.push('hybrid'), hits));
    const write = again.upsert([{ id: 'late', vector: query(0) }]).then((result) => (order.push('write'), result));
    const graph = again.search({ vector: query(0), k: 10, exact: false }).then((hits) => (order.push('graph'), hits));
    const keyword = again.search({ text: 'doc 17', k: 3 }).then((hits) => (order.push('keyword'), hits));
    // Reading the rows takes the thread pool at least a turn of the event loop; the graph (on this
    // thread, workers: 0) and keyword searches answer within this one.
    await new Promise((resolve) => setImmediate(resolve));
    expect(order.sort()).toEqual(['graph', 'keyword']);
    expect(await graph).toEqual(graphBefore);
    expect(await exact).toEqual(exactBefore);
    expect(await hybrid).toEqual(hybridBefore);
    expect((await write).upserted).toBe(1);
    expect((await keyword)[0]!.id).toBe('d17');
    expect(order.slice(2).sort()).toEqual(['exact', 'hybrid', 'write']);
    expect((await again.search({ vector: query(0), k: 1, exact: true }))[0]!.id).toBe('late');
    await reopened.close();
  });

  it('reads the metadata index in the background after open; writes made meanwhile are in it', async () => {
    const count = GROUPED;
    const { db, docs } = await groupedCollection(dir);
    await db.close();

    const reopened = await openDatabase({ path: dir, workers: 0 });
    const again = reopened.collection('docs');
    const expected = new Map(Array.from({ length: count }, (_, i) => [`d${i}`, i % 10] as [string, number | undefined]));
    // Writes at both ends of the label range, one event-loop turn apart, while the index is read page by page.
    const steps: (() => Promise<unknown>)[] = [
      () => again.upsert(Array.from({ length: 100 }, (_, i) => ({ id: `d${i}`, vector: groupedVector(i), metadata: { group: 100 } }))),
      () => again.upsert(Array.from({ length: 100 }, (_, i) => ({ id: `d${count - 1 - i}`, vector: groupedVector(i), metadata: { group: 100 } }))),
      () => again.delete(Array.from({ length: 100 }, (_, i) => `d${100 + i}`)),
      () => again.delete(Array.from({ length: 100 }, (_, i) => `d${count - 200 + i}`)),
      () => again.upsert(Array.from({ length: 50 }, (_, i) => ({ id: `new${i}`, vector: groupedVector(i) }))),
      () => again.upsert(Array.from({ length: 50 }, (_, i) => ({ id: `d${count / 2 + i}`, vector: groupedVector(i), metadata: { group: 100 } }))),
    ];
    for (const step of steps) {
      await step();
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (let i = 0; i < 100; i++) {
      expected.set(`d${i}`, 100);
      expected.set(`d${count - 1 - i}`, 100);
      expected.delete(`d${100 + i}`);
      expected.delete(`d${count - 200 + i}`);
    }
    for (let i = 0; i < 50; i++) {
      expected.set(`new${i}`, undefined);
      expected.set(`d${count / 2 + i}`, 100);
    }
    const countOf = (group: number | undefined) => [...expected.values()].filter((g) => g === group).length;
    expect(await again.countWhere({ group: 100 })).toBe(countOf(100));
    for (const group of [0, 3, 9]) expect(await again.countWhere({ group })).toBe(countOf(group));
    expect(await again.countWhere({ group: { $exists: false } })).toBe(50);
    await reopened.close();
  });

  it('answers a filtered search sent right after open once the metadata index is read, answering others meanwhile', async () => {
    const count = GROUPED;
    const { db, docs } = await groupedCollection(dir);
    const filtered = { vector: groupedVector(3), k: 5, filter: { group: 3 }, exact: false, include: ['metadata' as const] };
    const before = await docs.search(filtered);
    await db.close();
    // A snapshot without the metadata index (format 4): the index is read from the store after open.
    downgradeSnapshot(join(dir, 'snapshots', readdirSync(join(dir, 'snapshots'))[0]!), 4);

    const reopened = await openDatabase({ path: dir, workers: 0 });
    const again = reopened.collection('docs');
    const order: string[] = [];
    const waiting = again.search(filtered).then((hits) => (order.push('filtered'), hits));
    // An unfiltered search sent after it is answered first: the filtered one waits for the index without blocking.
    const plain = again.search({ vector: groupedVector(3), k: 5, exact: false }).then((hits) => (order.push('plain'), hits));
    expect(await waiting).toEqual(before);
    await plain;
    expect(order).toEqual(['plain', 'filtered']);
    expect((await waiting).every((hit) => hit.metadata?.group === 3)).toBe(true);
    await reopened.close();
  });

  for (const format of [3, 4] as const) {
    it(`reads a snapshot of format ${format} (${format === 3 ? 'f32 rows before int8 codes had sections of their own' : 'no metadata index: read from the store'}) without rebuilding`, async () => {
      const db = await openDatabase({ path: dir });
      const docs = await db.createCollection('docs', { dimension: DIM, metric: 'l2' });
      await fill(docs);
      const before = await answers(docs);
      await db.close();
      downgradeSnapshot(join(dir, 'snapshots', readdirSync(join(dir, 'snapshots'))[0]!), format);

      const { lines, logger } = recorder();
      const reopened = await openDatabase({ path: dir, logger });
      expect(await answers(reopened.collection('docs'))).toEqual(before);
      expect(lines).toEqual([]);
      await reopened.close();
    });
  }

  it('keeps the metadata index in the snapshot: filters answer at once after open, with the writes replayed after it', async () => {
    const db = await openDatabase({ path: dir, workers: 0 });
    const docs = await db.createCollection('docs', { dimension: DIM, metric: 'l2' });
    await fill(docs);
    await docs.snapshot();
    // After the snapshot: a document changes group, one loses its metadata, one is deleted, one is new.
    await docs.upsert([{ id: 'd1', vector: row(1), metadata: { group: 77, tags: ['a', 'b'] } }, { id: 'd2', vector: row(2) }, { id: 'n1', vector: row(3), metadata: { group: 77 } }]);
    await docs.delete(['d4']);
    const filters = [{ group: 77 }, { group: 4 }, { group: { $exists: false } }, { tags: 'b' }, { group: { $gte: 5, $lt: 8 } }];
    const counts = await Promise.all(filters.map((filter) => docs.countWhere(filter)));
    expect(counts[0]).toBe(2);
    const crashed = `${dir}-crashed`;
    cpSync(dir, crashed, { recursive: true });
    await db.close();

    const reopened = await openDatabase({ path: crashed, workers: 0 });
    try {
      const again = reopened.collection('docs');
      // Answered in this turn: the index came with the snapshot, not from the store in the background.
      const order: string[] = [];
      const filtered = again.search({ vector: row(1), k: 3, exact: false, filter: { group: 77 } }).then((hits) => (order.push('filtered'), hits));
      const plain = again.search({ vector: row(1), k: 3, exact: false }).then((hits) => (order.push('plain'), hits));
      await Promise.all([filtered, plain]);
      expect(order).toEqual(['filtered', 'plain']);
      expect((await filtered).map((hit) => hit.id).sort()).toEqual(['d1', 'n1']);
      expect(await Promise.all(filters.map((filter) => again.countWhere(filter)))).toEqual(counts);
    } finally {
      await reopened.close();
      rmSync(crashed, { recursive: true, force: true });
    }
  });

  it('replays writes made after the last snapshot (a crash before close)', async () => {
    const db = await openDatabase({ path: dir });
    const docs = await db.createCollection('docs', { dimension: DIM, metric: 'cosine' });
    await fill(docs);
    await docs.snapshot();
    // Changes after the snapshot: deletes (freeing labels), label reuse, replacements.
    await docs.delete(Array.from({ length: 100 }, (_, i) => `d${i * 3 + 2}`));
    await docs.upsert(Array.from({ length: 120 }, (_, i) => ({ id: `new${i}`, vector: row(COUNT - 1 - i), metadata: { group: 3 } })));
    await docs.upsert([{ id: 'd5', vector: row(9) }]);
    const before = await answers(docs);

    // Copy the directory as a crash would leave it: store and WAL as committed, snapshot older.
    const crashed = `${dir}-crashed`;
    cpSync(dir, crashed, { recursive: true });
    const { lines, logger } = recorder();
    const recovered = await openDatabase({ path: crashed, logger });
    const again = recovered.collection('docs');
    expect(again.count).toBe(docs.count);
    expect(await answers(again)).toEqual(before);
    expect(lines).toEqual([]);
    await recovered.close();
    await db.close();
    rmSync(crashed, { recursive: true, force: true });
  });

  for (const [damage, hurt] of [
    ['a flipped byte in the graph file', (snap: string) => flipByte(join(snap, fileLike(snap, 'hnsw.')))],
    ['a truncated arena file', (snap: string) => truncateSync(join(snap, fileLike(snap, 'arena.')), 100)],
    ['a flipped byte in the vector rows', (snap: string) => flipByte(join(snap, fileLike(snap, 'arena.')), 100)],
    ['a flipped byte in the keyword index section', (snap: string) => flipByte(join(snap, fileLike(snap, 'arena.')), sectionByte(snap, 'keyword'))],
    ['a flipped byte in the metadata index section', (snap: string) => flipByte(join(snap, fileLike(snap, 'arena.')), sectionByte(snap, 'metadata'))],
    ['a missing graph file', (snap: string) => rmSync(join(snap, fileLike(snap, 'hnsw.')))],
    ['a garbled manifest', (snap: string) => writeFileSync(join(snap, 'manifest.json'), '{"format": 1, "vers')],
    ['a manifest newer than the store', (snap: string) => bumpManifestVersion(snap)],
    ['a manifest holding null', (snap: string) => writeFileSync(join(snap, 'manifest.json'), 'null')],
    ['a manifest holding an array', (snap: string) => writeFileSync(join(snap, 'manifest.json'), '[5]')],
    ['a manifest whose highWater is 1e12', (snap: string) => editManifest(snap, (manifest) => ({ ...manifest, highWater: 1e12 }))],
    ['a manifest whose highWater is negative', (snap: string) => editManifest(snap, (manifest) => ({ ...manifest, highWater: -3 }))],
    ['a manifest whose highWater is a string', (snap: string) => editManifest(snap, (manifest) => ({ ...manifest, highWater: '10' }))],
    ['a manifest without sections', (snap: string) => editManifest(snap, (manifest) => ({ ...manifest, sections: null }))],
    ['a manifest whose version is not a number', (snap: string) => editManifest(snap, (manifest) => ({ ...manifest, version: 'x' }))],
  ] as const) {
    it(`rebuilds from the store, with a warning, after ${damage}`, async () => {
      const db = await openDatabase({ path: dir });
      const docs = await db.createCollection('docs', { dimension: DIM, metric: 'l2' });
      await fill(docs);
      const before = await answers(docs);
      await db.close();

      hurt(join(dir, 'snapshots', readdirSync(join(dir, 'snapshots'))[0]!));
      const { lines, logger } = recorder();
      const reopened = await openDatabase({ path: dir, logger });
      // Vector rows are checked when they load, just after open or at the first exact search.
      expect(await answers(reopened.collection('docs'))).toEqual(before);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/rebuilding from the store/);
      await reopened.close();

      // The rebuilt state was snapshotted on close: the next open is clean.
      const third = recorder();
      const clean = await openDatabase({ path: dir, logger: third.logger });
      expect(third.lines).toEqual([]);
      await clean.close();
    });
  }

  it('checkpoints the WAL on a thread of its own, and a reopen sees every commit', async () => {
    const db = await openDatabase({ path: dir });
    const docs = await db.createCollection('docs', { dimension: DIM, metric: 'l2' });
    for (let from = 0; from < COUNT; from += 100) {
      await docs.upsert(Array.from({ length: 100 }, (_, i) => ({ id: `d${from + i}`, vector: row(from + i) })));
    }
    // The checkpoint thread runs every 250 ms; commits no longer checkpoint below 10,000 pages.
    const deadline = Date.now() + 5_000;
    while (db.checkpoints.frames === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(db.checkpoints).toMatchObject({ errors: 0 });
    expect(db.checkpoints.frames).toBeGreaterThan(0);
    await db.close();
    const reopened = await openDatabase({ path: dir });
    expect(reopened.collection('docs').count).toBe(COUNT);
    expect(await reopened.collection('docs').get('d2999')).toMatchObject({ id: 'd2999' });
    await reopened.close();
  });

  it('close finishes in a process with nothing else to do (the checkpoint thread is awaited, not abandoned)', () => {
    // dist/ is built by pretest; a fresh process whose only work is open + close.
    const script = `
      const { openDatabase } = await import(${JSON.stringify(pathToFileURL(join(process.cwd(), 'dist/index.js')).href)});
      const db = await openDatabase({ path: ${JSON.stringify(dir)}, workers: 0 });
      await (await db.createCollection('x', { dimension: 2 })).upsert([{ id: 'a', vector: [1, 2] }]);
      await db.close();
      console.log('closed');`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('closed');
    expect(result.status).toBe(0);
  });

  it('one broken collection does not stop the others from opening', async () => {
    const db = await openDatabase({ path: dir });
    await (await db.createCollection('good', { dimension: 2 })).upsert([{ id: 'a', vector: [1, 0] }]);
    await db.createCollection('bad', { dimension: 2 });
    await db.close();
    const raw = new BetterSqlite3(join(dir, 'quiver.db'));
    raw.prepare("UPDATE collections SET config = 'not json' WHERE name = 'bad'").run();
    raw.close();

    const { lines, logger } = recorder();
    const reopened = await openDatabase({ path: dir, logger });
    expect(lines.some((line) => line.includes("'bad'"))).toBe(true);
    expect(await reopened.collection('good').get('a')).not.toBeNull();
    expect(reopened.listCollections()).toEqual([
      expect.objectContaining({ name: 'good', state: 'ready', count: 1 }),
      expect.objectContaining({ name: 'bad', state: 'unavailable', reason: expect.any(String) }),
    ]);
    await reopened.dropCollection('bad');
    expect(reopened.hasCollection('bad')).toBe(false);
    await reopened.close();
  });

  it('refuses a second open of the same data directory at once, and allows it after close', async () => {
    const db = await openDatabase({ path: dir });
    const started = performance.now();
    await expect(openDatabase({ path: dir })).rejects.toMatchObject({ code: 'DATABASE_LOCKED' });
    expect(performance.now() - started).toBeLessThan(1000);
    await db.close();
    const again = await openDatabase({ path: dir });
    await again.close();
  });

  it("durability 'fsync' stores and reopens like the default", async () => {
    const db = await openDatabase({ path: dir, durability: 'fsync' });
    await (await db.createCollection('docs', { dimension: 2 })).upsert([{ id: 'a', vector: [1, 2] }]);
    await db.close();
    const reopened = await openDatabase({ path: dir, durability: 'fsync' });
    expect((await reopened.collection('docs').get('a'))!.vector).toEqual(Float32Array.of(1, 2));
    await reopened.close();
  });

  it('dropping a collection removes its snapshot', async () => {
    const db = await openDatabase({ path: dir });
    await (await db.createCollection('docs', { dimension: 2 })).upsert([{ id: 'a', vector: [1, 2] }]);
    await db.snapshot();
    expect(readdirSync(join(dir, 'snapshots'))).toHaveLength(1);
    await db.dropCollection('docs');
    expect(readdirSync(join(dir, 'snapshots'))).toHaveLength(0);
    await db.close();
  });
});

describe('compaction', () => {
  it('after a delete-heavy workload, rebuilds the graph without tombstones and keeps recall, while searches go on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-compact-'));
    try {
      const db = await openDatabase({ path: dir });
      const docs = await db.createCollection('docs', { dimension: DIM, metric: 'l2' });
      await docs.upsert(Array.from({ length: COUNT }, (_, i) => ({ id: `d${i}`, vector: row(i) })));
      const victims = Array.from({ length: 810 }, (_, i) => `d${i * 3}`);
      await docs.delete(victims.slice(0, 800)); // below the automatic threshold of 1000
      expect(docs.info.tombstones).toBe(800);

      const compaction = docs.compact();
      // Searches and writes proceed while the graph is rebuilt.
      const during = await docs.search({ vector: query(0), k: 10, exact: false, include: [] });
      expect(during).toHaveLength(10);
      await docs.delete(victims.slice(800));
      await docs.upsert([{ id: 'late', vector: query(1) }]);
      expect(await compaction).toBe(true);
      // Deletes that land after the rebuild copied a node leave tombstones in the new graph; nothing else does.
      expect(docs.info.tombstones).toBeLessThanOrEqual(10);

      const gone = new Set(victims);
      let found = 0;
      for (let q = 0; q < 20; q++) {
        const exact = new Set((await docs.search({ vector: query(q), k: 10, exact: true, include: [] })).map((h) => h.id));
        const approximate = await docs.search({ vector: query(q), k: 10, exact: false, include: [] });
        expect(approximate.some((hit) => gone.has(hit.id))).toBe(false);
        found += approximate.filter((hit) => exact.has(hit.id)).length;
      }
      expect(found / 200).toBeGreaterThanOrEqual(0.95);
      expect((await docs.search({ vector: query(1), k: 1, exact: false, include: [] }))[0]!.id).toBe('late');

      // The compacted graph was snapshotted and reopens as it was.
      const tombstones = docs.info.tombstones;
      await db.close();
      const reopened = await openDatabase({ path: dir });
      expect(reopened.collection('docs').info).toMatchObject({ tombstones, count: COUNT - 810 + 1 });
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts by itself once tombstones pass 20% of the graph', async () => {
    const db = await openDatabase();
    const docs = await db.createCollection('docs', { dimension: DIM, metric: 'l2' });
    const next = rng(5);
    await docs.upsert(Array.from({ length: 6000 }, (_, i) => ({ id: `d${i}`, vector: Float32Array.from({ length: DIM }, next) })));
    await docs.delete(Array.from({ length: 1300 }, (_, i) => `d${i}`));
    expect(docs.info.tombstones).toBe(1300);
    await docs.compact(); // joins the compaction already running
    expect(docs.info.tombstones).toBe(0);
    await db.close();
  });
});

function fileLike(dir: string, prefix: string): string {
  return readdirSync(dir).find((name) => name.startsWith(prefix))!;
}

/** Flips one byte: at `at` (negative counts from the end), or in the middle. */
function flipByte(path: string, at?: number): void {
  const bytes = readFileSync(path);
  const index = at === undefined ? Math.floor(bytes.length / 2) : at < 0 ? bytes.length + at : at;
  bytes[index] = bytes[index]! ^ 0xff;
  writeFileSync(path, bytes);
}

type Manifest = Record<string, unknown> & { format: number; sections: Record<string, { bytes: number }> };

/** Offset in the arena file of `section`, plus `at` (a byte inside it). */
function sectionByte(snap: string, section: string, at = 10): number {
  const manifest = JSON.parse(readFileSync(join(snap, 'manifest.json'), 'utf8')) as Manifest;
  let offset = 0;
  for (const [name, { bytes }] of Object.entries(manifest.sections)) {
    if (name === section) return offset + at;
    offset += bytes;
  }
  throw new Error(`no ${section} section`);
}

/**
 * Rewrites the snapshot in `snap` as format 4 (no metadata index section:
 * the arena file loses its last section) or format 3 (no encoding, norms or
 * quantizer either, which an f32 snapshot holds empty).
 */
function downgradeSnapshot(snap: string, format: 3 | 4): void {
  const path = join(snap, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest & { files: { arena: { name: string; bytes: number } } };
  expect([manifest.format, manifest.encoding, manifest.sections.norms!.bytes, manifest.sections.quantizer!.bytes]).toEqual([5, 'f32', 0, 0]);
  const arena = join(snap, manifest.files.arena.name);
  manifest.files.arena.bytes -= manifest.sections.metadata!.bytes;
  truncateSync(arena, manifest.files.arena.bytes);
  delete manifest.sections.metadata;
  if (format === 3) {
    delete manifest.encoding;
    delete manifest.sections.norms;
    delete manifest.sections.quantizer;
  }
  writeFileSync(path, JSON.stringify({ ...manifest, format }));
}

/** Rewrites a snapshot's manifest through `edit` (a damaged file's stand-in). */
function editManifest(dir: string, edit: (manifest: Record<string, unknown>) => unknown): void {
  const path = join(dir, 'manifest.json');
  writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>)));
}

function bumpManifestVersion(dir: string): void {
  const path = join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as { version: number };
  manifest.version += 1000;
  writeFileSync(path, JSON.stringify(manifest));
}
