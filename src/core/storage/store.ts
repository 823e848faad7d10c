/**
 * The store of record: SQLite through better-sqlite3, one file per data
 * directory (or an in-memory database when no path is given), in WAL mode.
 *
 * | table            | rows                                                 |
 * |------------------|------------------------------------------------------|
 * | collections      | id, name, config JSON, version (bumped by each write)|
 * | docs_<id>        | label (rowid), id, seq, vector blob, text, metadata  |
 * | deletions_<id>   | seq, label, id of deletes not yet in a snapshot      |
 *
 * `seq` is the collection version of the write that produced a row, so the
 * rows and deletions newer than a snapshot's version are exactly what must
 * be replayed on top of it. One upsert or delete call is one transaction,
 * and it is acknowledged only after it commits. A write's transaction also
 * runs the caller's in-memory apply (`put`, `remove`, `createCollection`
 * take it): a failure there rolls the store back, so the store never holds
 * what memory could not take.
 *
 * Durability: in WAL mode a commit is appended to the WAL with write(2)
 * before the call returns, so it survives a process crash (kill -9) with
 * `synchronous=NORMAL` (the default here); `synchronous=FULL` (durability
 * 'fsync') also fsyncs the WAL at every commit, surviving power loss.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { createError } from '../errors.js';
import { startWorker } from '../threads.js';
import type { Metadata } from '../validate.js';

export const DATABASE_FILE = 'quiver.db';
export const LOCK_FILE = 'quiver.lock';

/** `process`: survives a crash of the process (kill -9). `fsync`: also survives power loss, at the cost of an fsync per commit. */
export type Durability = 'process' | 'fsync';
const SCHEMA_VERSION = 1;

export interface StoredCollection {
  id: number;
  /** Random and never reused: tells a re-created collection from the one dropped under the same name. */
  uid: string;
  name: string;
  config: string;
  version: number;
}

export interface DocumentRow {
  label: number;
  /** Collection version of the write that stored this row (set by the store). */
  seq?: number;
  id: string;
  vector: Float32Array;
  text?: string | undefined;
  /** Metadata as JSON text. */
  metadata?: string | undefined;
}

/** A row to write: `replaces` when its id already holds its label (the row is replaced in place). */
export interface RowWrite extends DocumentRow {
  replaces: boolean;
  /** A replaced row whose vector equals the stored one: the indexes keep theirs (see prepareWrites). */
  keepsVector?: boolean;
}

/** A row's text and metadata JSON, written by `patch` (undefined: none). */
export interface FieldsWrite {
  label: number;
  text: string | undefined;
  metadata: string | undefined;
}

interface RawRow {
  label: number;
  seq: number;
  id: string;
  vector: Buffer;
  text: string | null;
  metadata: string | null;
}

/**
 * With the checkpoint thread running, a commit checkpoints only once the WAL
 * passes this many pages (40 MiB): a safety net should that thread stop.
 * SQLite's default, 1,000 pages, is what applies without it.
 */
const BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000;

export interface CheckpointStats {
  /** WAL frames the checkpoint thread copied into the database file. */
  frames: number;
  errors: number;
}

export class Store {
  readonly #db: BetterSqlite3.Database;
  readonly #tables = new Map<number, DocumentTable>();
  readonly #lock: BetterSqlite3.Database | undefined;
  #checkpointer: Worker | undefined;
  readonly #checkpoints: CheckpointStats = { frames: 0, errors: 0 };

  private constructor(db: BetterSqlite3.Database, lock: BetterSqlite3.Database | undefined) {
    this.#db = db;
    this.#lock = lock;
  }

  /**
   * Opens (creating when needed) the store in directory `path`, or in memory.
   * A data directory is held by one process at a time: a second open fails
   * at once with DATABASE_LOCKED rather than waiting or corrupting.
   */
  static open(path: string | undefined, durability: Durability = 'process'): Store {
    let db: BetterSqlite3.Database;
    let lock: BetterSqlite3.Database | undefined;
    if (path === undefined) {
      db = new BetterSqlite3(':memory:');
    } else {
      mkdirSync(path, { recursive: true });
      lock = acquireLock(join(path, LOCK_FILE));
      try {
        db = new BetterSqlite3(join(path, DATABASE_FILE));
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${synchronousFor(durability)}`);
      } catch (error) {
        lock.close();
        throw asDamaged(error, join(path, DATABASE_FILE), 'it is the store of record and cannot be rebuilt; restore the data directory from a backup');
      }
    }
    db.pragma('busy_timeout = 5000');
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS collections (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        config TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE IF NOT EXISTS aliases (name TEXT PRIMARY KEY, collection_id INTEGER NOT NULL);
    `);
    db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    const store = new Store(db, lock);
    if (path !== undefined) store.#startCheckpointer(join(path, DATABASE_FILE), durability);
    return store;
  }

  /**
   * Checkpoints move to their own thread (checkpoint-worker.ts): SQLite
   * otherwise checkpoints inside the commit that fills the WAL, and the fsyncs
   * that takes (tens of milliseconds under write load) would stall this
   * thread's event loop. Should the thread fail, commits checkpoint again.
   */
  #startCheckpointer(file: string, durability: Durability): void {
    const worker = startWorker(new URL('./checkpoint-worker.js', import.meta.url), { file, synchronous: synchronousFor(durability) });
    worker.unref();
    worker.on('message', (message: { checkpointed?: number; error?: string }) => {
      if (message.error !== undefined) this.#checkpoints.errors++;
      else this.#checkpoints.frames += message.checkpointed ?? 0;
    });
    const fallBack = () => {
      if (this.#checkpointer !== worker) return;
      this.#checkpointer = undefined;
      if (this.#db.open) this.#db.pragma('wal_autocheckpoint = 1000');
    };
    worker.on('error', fallBack);
    worker.on('exit', fallBack);
    this.#checkpointer = worker;
    this.#db.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
  }

  /** What the checkpoint thread did (zeros for an in-memory store). */
  get checkpoints(): CheckpointStats {
    return { ...this.#checkpoints };
  }

  /** Stops the checkpoint thread (its connection closes cleanly); call before close. */
  async stopCheckpointer(): Promise<void> {
    const worker = this.#checkpointer;
    if (!worker) return;
    this.#checkpointer = undefined;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    // Held until it exits: an unreferenced worker would let the process end with this await pending.
    worker.ref();
    worker.postMessage('stop');
    await exited;
  }

  collections(): StoredCollection[] {
    return this.#db.prepare('SELECT id, uid, name, config, version FROM collections ORDER BY id').all() as StoredCollection[];
  }

  /**
   * Adds a collection's row and tables, and runs `open` on it before the
   * commit: if `open` throws, or the commit fails, nothing of the collection
   * is left in the store (and the caller must undo what `open` made).
   */
  createCollection(name: string, config: string): StoredCollection;
  createCollection<T>(name: string, config: string, open: (stored: StoredCollection) => T): T;
  createCollection(name: string, config: string, open: (stored: StoredCollection) => unknown = (stored) => stored): unknown {
    let id: number | undefined;
    try {
      return this.#db.transaction(() => {
        const stored = this.#addCollection(name, config);
        id = stored.id;
        return open(stored);
      })();
    } catch (error) {
      // A rolled-back id is handed out again: its cached statements name tables that no longer exist.
      if (id !== undefined) this.#tables.delete(id);
      throw error;
    }
  }

  #addCollection(name: string, config: string): StoredCollection {
    const uid = randomUUID();
    const { lastInsertRowid } = this.#db.prepare('INSERT INTO collections (uid, name, config) VALUES (?, ?, ?)').run(uid, name, config);
    const id = Number(lastInsertRowid);
    // The vector last: SQLite reads a row's columns in order, and a 1536-d vector (6 KiB) spills into
    // overflow pages that a read of the text and metadata after it had to walk (a search's hits read
    // those). Statements name their columns, so tables made before this, vector third, work alike.
    this.#db.exec(`
      CREATE TABLE ${tableName(id)} (
        label INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        seq INTEGER NOT NULL,
        text TEXT,
        metadata TEXT,
        vector BLOB NOT NULL
      );
      CREATE INDEX ${tableName(id)}_seq ON ${tableName(id)} (seq);
      CREATE TABLE ${deletionsName(id)} (seq INTEGER NOT NULL, label INTEGER NOT NULL, id TEXT NOT NULL);
      CREATE INDEX ${deletionsName(id)}_seq ON ${deletionsName(id)} (seq);
    `);
    return { id, uid, name, config, version: 0 };
  }

  /** Every alias with the id of the collection it names. */
  aliases(): { name: string; collectionId: number }[] {
    return this.#db.prepare('SELECT name, collection_id AS collectionId FROM aliases ORDER BY name').all() as { name: string; collectionId: number }[];
  }

  /** Points alias `name` at a collection, creating it or moving it in one statement. */
  setAlias(name: string, collectionId: number): void {
    this.#db.prepare('INSERT INTO aliases (name, collection_id) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET collection_id = excluded.collection_id').run(name, collectionId);
  }

  dropAlias(name: string): void {
    this.#db.prepare('DELETE FROM aliases WHERE name = ?').run(name);
  }

  /** Drops a collection's row, tables and aliases in one transaction. */
  dropCollection(id: number): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM aliases WHERE collection_id = ?').run(id);
      this.#db.prepare('DELETE FROM collections WHERE id = ?').run(id);
      this.#db.exec(`DROP TABLE IF EXISTS ${tableName(id)}; DROP TABLE IF EXISTS ${deletionsName(id)}`);
    })();
    this.#tables.delete(id);
  }

  documents(collectionId: number): DocumentTable {
    let table = this.#tables.get(collectionId);
    if (!table) {
      table = new DocumentTable(this.#db, collectionId);
      this.#tables.set(collectionId, table);
    }
    return table;
  }

  /**
   * Copies the store (in memory too) into a new file with SQLite's online backup, `stepPages` pages a turn of
   * the event loop: writes meanwhile are carried into the copy, which ends as the store stood at its last step.
   */
  async backup(file: string, stepPages: number): Promise<number> {
    return (await this.#db.backup(file, { progress: () => stepPages })).totalPages;
  }

  /** Closes the store (the last connection to close checkpoints the WAL into the database file). */
  close(): void {
    if (this.#checkpointer) {
      void this.#checkpointer.terminate();
      this.#checkpointer = undefined;
    }
    this.#db.close();
    this.#lock?.close();
  }
}

/**
 * Holds an exclusive SQLite lock on `file` for the life of the returned
 * connection. SQLite's locks are POSIX advisory locks, released by the OS
 * when the process dies, so a crash never leaves a stale lock behind.
 */
function acquireLock(file: string): BetterSqlite3.Database {
  const lock = new BetterSqlite3(file);
  try {
    lock.pragma('busy_timeout = 0');
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER)');
    lock.exec('BEGIN EXCLUSIVE');
    lock.prepare('DELETE FROM holder').run();
    lock.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
    lock.exec('COMMIT');
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw createError('DATABASE_LOCKED', dirname(file));
    // Not deleted here: two processes finding it damaged at once could each lock a file of their own.
    throw asDamaged(error, file, 'it holds no data, only the lock; delete it once no Quiver process uses this directory, then start again');
  }
  return lock;
}

/** SQLite's "not a database" and "corrupt" errors as DATA_DAMAGED naming `file` and what to do; any other error as it is. */
function asDamaged(error: unknown, file: string, remedy: string): unknown {
  const code = (error as { code?: string }).code;
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' ? createError('DATA_DAMAGED', file, (error as Error).message, remedy) : error;
}

/** A change newer than a snapshot: an upserted row, or a deleted label. */
export type Change =
  | { kind: 'upsert'; seq: number; label: number; id: string; vector: Float32Array; text: string | undefined; metadata: Metadata | undefined }
  | { kind: 'delete'; seq: number; label: number; id: string };

/** One collection's documents. Every write is one transaction that also bumps the collection version. */
/** Labels per statement in DocumentTable.fieldsOf (SQLite allows 32,766 parameters). */
const FIELDS_BATCH = 100;

export class DocumentTable {
  readonly #db: BetterSqlite3.Database;
  readonly #table: string;
  readonly #deletions: string;
  readonly #id: number;
  /**
   * Prepared statements, each made at its first use: the 17 a collection
   * uses took 44 KiB of SQLite memory per collection, most of an empty
   * collection's cost, when all were prepared at creation.
   */
  readonly #statements: Partial<Record<StatementName, BetterSqlite3.Statement>> = {};
  /** `SELECT ... WHERE label IN (?, ...)` by the number of labels, made when first needed. */
  readonly #fieldsOfLabels = new Map<number, BetterSqlite3.Statement>();

  constructor(db: BetterSqlite3.Database, collectionId: number) {
    this.#table = tableName(collectionId);
    this.#deletions = deletionsName(collectionId);
    this.#db = db;
    this.#id = collectionId;
  }

  #statement(name: StatementName): BetterSqlite3.Statement {
    let statement = this.#statements[name];
    if (statement === undefined) {
      statement = this.#db.prepare(statementSql(name, this.#table, this.#deletions));
      if (name === 'vectorByLabel' || name === 'version') statement.pluck();
      this.#statements[name] = statement;
    }
    return statement;
  }

  /**
   * Writes rows and sets the version, atomically, then runs `apply` (the
   * caller's in-memory apply) before the commit: if `apply` throws, nothing
   * is stored. A row that `replaces` replaces the one at its label; any
   * other must find its label and id unused (a conflict fails the whole
   * write).
   */
  put(rows: readonly RowWrite[], version: number, apply: () => void = noop): void {
    this.#db.transaction(() => {
      const insert = this.#statement('insert');
      const replace = this.#statement('replace');
      for (const row of rows) {
        (row.replaces ? replace : insert).run(row.label, row.id, version, vectorBlob(row.vector), row.text ?? null, row.metadata ?? null);
      }
      this.#statement('setVersion').run(version, this.#id);
      apply();
    })();
  }

  /**
   * Replaces rows' text and metadata JSON by label, keeping their vectors,
   * and sets the version, atomically, running `apply` before the commit as
   * `put` does. Every label must hold a row.
   */
  patch(rows: readonly FieldsWrite[], version: number, apply: () => void = noop): void {
    this.#db.transaction(() => {
      const patch = this.#statement('patch');
      for (const row of rows) {
        if (patch.run(version, row.text ?? null, row.metadata ?? null, row.label).changes !== 1) {
          throw new Error(`patch: label ${row.label} holds no row`);
        }
      }
      this.#statement('setVersion').run(version, this.#id);
      apply();
    })();
  }

  /**
   * Removes rows by label, logs the deletions for snapshot replay, and sets
   * the version, atomically, running `apply` before the commit as `put` does.
   */
  remove(labels: readonly number[], version: number, apply: () => void = noop): void {
    this.#db.transaction(() => {
      const remove = this.#statement('delete');
      const log = this.#statement('logDeletion');
      for (const label of labels) {
        const removed = remove.get(label) as { id: string } | undefined;
        if (removed) log.run(version, label, removed.id);
      }
      this.#statement('setVersion').run(version, this.#id);
      apply();
    })();
  }

  /**
   * Bytes this collection's tables and their indexes take in the store
   * file, from SQLite's dbstat (which visits every page: its cost grows
   * with the collection, so this is for `stats`, not for a request path).
   */
  diskBytes(): number {
    const names = this.#db
      .prepare('SELECT name FROM sqlite_schema WHERE tbl_name IN (?, ?)')
      .pluck()
      .all(this.#table, this.#deletions) as string[];
    const pages = this.#db.prepare('SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ? AND aggregate = TRUE').pluck();
    return names.reduce((sum, name) => sum + (pages.get(name) as number), 0);
  }

  /** The collection's version as the store holds it. */
  version(): number {
    return (this.#statement('version').get(this.#id) as number | undefined) ?? 0;
  }

  byId(id: string): DocumentRow | undefined {
    const raw = this.#statement('byId').get(id) as RawRow | undefined;
    return raw && toRow(raw);
  }

  byLabel(label: number): DocumentRow | undefined {
    const raw = this.#statement('byLabel').get(label) as RawRow | undefined;
    return raw && toRow(raw);
  }

  /**
   * Text and metadata JSON of several labels by label, in one statement per
   * FIELDS_BATCH of them: a search's hits read this way cost two thirds of
   * one point read each (10 hits at 100,000 documents: 42 against 64 µs).
   */
  fieldsOf(labels: ArrayLike<number>): Map<number, { text: string | null; metadata: string | null }> {
    const out = new Map<number, { text: string | null; metadata: string | null }>();
    for (let start = 0; start < labels.length; start += FIELDS_BATCH) {
      const n = Math.min(FIELDS_BATCH, labels.length - start);
      let statement = this.#fieldsOfLabels.get(n);
      if (statement === undefined) {
        statement = this.#db.prepare(`SELECT label, text, metadata FROM ${this.#table} WHERE label IN (${new Array(n).fill('?').join(', ')})`);
        this.#fieldsOfLabels.set(n, statement);
      }
      const args = new Array<number>(n);
      for (let i = 0; i < n; i++) args[i] = labels[start + i]!;
      for (const row of statement.all(...args) as { label: number; text: string | null; metadata: string | null }[]) out.set(row.label, row);
    }
    return out;
  }

  /** The metadata JSON of a label, or undefined when the label holds no document. */
  metadataOfLabel(label: number): { metadata: string | null } | undefined {
    const [row] = this.metadataPage(label, 1);
    return row?.label === label ? row : undefined;
  }

  /** The vector of a label as written, or undefined when the label holds no document. */
  vectorOf(label: number): Float32Array | undefined {
    const blob = this.#statement('vectorByLabel').get(label) as Buffer | undefined;
    return blob && blobVector(blob);
  }

  /** Every row's label and id in label order: what a collection needs to serve reads without its indexes. */
  ids(): IterableIterator<{ label: number; id: string }> {
    return this.#statement('ids').iterate() as IterableIterator<{ label: number; id: string }>;
  }

  /** Every row's label, id, vector and text in label order, for rebuilding in-memory indexes. */
  *scan(): IterableIterator<{ label: number; id: string; vector: Float32Array; text: string | undefined }> {
    for (const raw of this.#statement('all').iterate() as IterableIterator<Pick<RawRow, 'label' | 'id' | 'vector' | 'text'>>) {
      yield { label: raw.label, id: raw.id, vector: blobVector(raw.vector), text: raw.text ?? undefined };
    }
  }

  /** Whole rows (vector, text, metadata JSON) of at most `limit` labels from label `from` on, in label order. */
  rowsPage(from: number, limit: number): DocumentRow[] {
    return (this.#statement('rowsPage').all(from, limit) as RawRow[]).map(toRow);
  }

  /** Label and metadata JSON (null: none) of at most `limit` rows from label `from` on, in label order. */
  metadataPage(from: number, limit: number): { label: number; metadata: string | null }[] {
    return this.#statement('metadataPage').all(from, limit) as { label: number; metadata: string | null }[];
  }

  count(): number {
    return (this.#statement('count').get() as { n: number }).n;
  }

  /** The highest label in use, or -1 when empty. */
  maxLabel(): number {
    return (this.#statement('maxLabel').get() as { n: number }).n;
  }

  /** Upserts and deletions with seq > `since`, in seq order (upserts before deletions of equal seq never occur: one call writes one kind). */
  changesSince(since: number): Change[] {
    const upserts = (this.#statement('upsertsSince').all(since) as RawRow[]).map(
      (raw): Change => ({
        kind: 'upsert', seq: raw.seq, label: raw.label, id: raw.id,
        vector: blobVector(raw.vector), text: raw.text ?? undefined,
        metadata: raw.metadata === null ? undefined : (JSON.parse(raw.metadata) as Metadata),
      }),
    );
    const deletions = (this.#statement('deletionsSince').all(since) as { seq: number; label: number; id: string }[]).map(
      (raw): Change => ({ kind: 'delete', ...raw }),
    );
    return [...upserts, ...deletions].sort((a, b) => a.seq - b.seq);
  }

  /** Forgets deletions a snapshot at `seq` already reflects. */
  pruneDeletions(seq: number): void {
    this.#statement('pruneDeletions').run(seq);
  }
}

type StatementName =
  | 'insert' | 'replace' | 'patch' | 'delete' | 'logDeletion' | 'setVersion' | 'version' | 'byId' | 'byLabel' | 'vectorByLabel'
  | 'ids' | 'all' | 'rowsPage' | 'metadataPage' | 'count' | 'maxLabel' | 'upsertsSince' | 'deletionsSince' | 'pruneDeletions';

/** The SQL of a DocumentTable statement over `table` and its `deletions` log. */
function statementSql(name: StatementName, table: string, deletions: string): string {
  switch (name) {
    // A new document's label and id have no row (freed labels lost theirs when deleted), so it needs
    // no conflict handling: a plain INSERT costs about a fifth less than INSERT OR REPLACE.
    case 'insert': return `INSERT INTO ${table} (label, id, seq, vector, text, metadata) VALUES (?, ?, ?, ?, ?, ?)`;
    case 'replace': return `INSERT OR REPLACE INTO ${table} (label, id, seq, vector, text, metadata) VALUES (?, ?, ?, ?, ?, ?)`;
    case 'patch': return `UPDATE ${table} SET seq = ?, text = ?, metadata = ? WHERE label = ?`;
    case 'delete': return `DELETE FROM ${table} WHERE label = ? RETURNING id`;
    case 'logDeletion': return `INSERT INTO ${deletions} (seq, label, id) VALUES (?, ?, ?)`;
    case 'setVersion': return 'UPDATE collections SET version = ? WHERE id = ?';
    case 'version': return 'SELECT version FROM collections WHERE id = ?';
    case 'byId': return `SELECT label, id, seq, vector, text, metadata FROM ${table} WHERE id = ?`;
    case 'byLabel': return `SELECT label, id, seq, vector, text, metadata FROM ${table} WHERE label = ?`;
    case 'vectorByLabel': return `SELECT vector FROM ${table} WHERE label = ?`;
    case 'ids': return `SELECT label, id FROM ${table} ORDER BY label`;
    case 'all': return `SELECT label, id, vector, text FROM ${table} ORDER BY label`;
    case 'rowsPage': return `SELECT label, id, seq, vector, text, metadata FROM ${table} WHERE label >= ? ORDER BY label LIMIT ?`;
    case 'metadataPage': return `SELECT label, metadata FROM ${table} WHERE label >= ? ORDER BY label LIMIT ?`;
    case 'count': return `SELECT count(*) AS n FROM ${table}`;
    case 'maxLabel': return `SELECT coalesce(max(label), -1) AS n FROM ${table}`;
    case 'upsertsSince': return `SELECT label, id, seq, vector, text, metadata FROM ${table} WHERE seq > ? ORDER BY seq`;
    case 'deletionsSince': return `SELECT seq, label, id FROM ${deletions} WHERE seq > ? ORDER BY seq`;
    case 'pruneDeletions': return `DELETE FROM ${deletions} WHERE seq <= ?`;
  }
}

function noop(): void {}

function tableName(collectionId: number): string {
  if (!Number.isSafeInteger(collectionId)) throw new TypeError(`collection id ${collectionId}`);
  return `docs_${collectionId}`;
}

function deletionsName(collectionId: number): string {
  if (!Number.isSafeInteger(collectionId)) throw new TypeError(`collection id ${collectionId}`);
  return `deletions_${collectionId}`;
}

/** Vectors are stored as little-endian float32 bytes. */
function vectorBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

function blobVector(blob: Buffer): Float32Array {
  // Copy: the Buffer may share a pool and be unaligned for a Float32Array view.
  const out = new Float32Array(blob.byteLength / 4);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

function toRow(raw: RawRow): DocumentRow {
  return {
    label: raw.label,
    seq: raw.seq,
    id: raw.id,
    vector: blobVector(raw.vector),
    text: raw.text ?? undefined,
    metadata: raw.metadata ?? undefined,
  };
}

function synchronousFor(durability: Durability): 'NORMAL' | 'FULL' {
  return durability === 'fsync' ? 'FULL' : 'NORMAL';
}
