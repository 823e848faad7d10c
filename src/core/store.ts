/**
 * The store of record: SQLite through better-sqlite3, one file per data
 * directory (or an in-memory database when no path is given). Collection
 * configs live in `collections`; each collection's documents live in their
 * own table `docs_<id>`, keyed by label (the rowid) with a unique index on
 * the caller's id, so a dropped collection is one DROP TABLE.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

export const DATABASE_FILE = 'quiver.db';
const SCHEMA_VERSION = 1;

export interface StoredCollection {
  id: number;
  name: string;
  config: string;
  version: number;
}

export interface DocumentRow {
  label: number;
  id: string;
  vector: Float32Array;
  text?: string | undefined;
  /** Metadata as JSON text. */
  metadata?: string | undefined;
}

interface RawRow {
  label: number;
  id: string;
  vector: Buffer;
  text: string | null;
  metadata: string | null;
}

export class Store {
  readonly #db: BetterSqlite3.Database;
  readonly #tables = new Map<number, DocumentTable>();

  private constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  /** Opens (creating when needed) the store in directory `path`, or in memory. */
  static open(path?: string): Store {
    let db: BetterSqlite3.Database;
    if (path === undefined) {
      db = new BetterSqlite3(':memory:');
    } else {
      mkdirSync(path, { recursive: true });
      db = new BetterSqlite3(join(path, DATABASE_FILE));
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('busy_timeout = 5000');
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS collections (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        config TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 0
      );
    `);
    db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    return new Store(db);
  }

  collections(): StoredCollection[] {
    return this.#db.prepare('SELECT id, name, config, version FROM collections ORDER BY id').all() as StoredCollection[];
  }

  createCollection(name: string, config: string): StoredCollection {
    return this.#db.transaction(() => {
      const { lastInsertRowid } = this.#db.prepare('INSERT INTO collections (name, config) VALUES (?, ?)').run(name, config);
      const id = Number(lastInsertRowid);
      this.#db.exec(`
        CREATE TABLE ${tableName(id)} (
          label INTEGER PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          vector BLOB NOT NULL,
          text TEXT,
          metadata TEXT
        );
      `);
      return { id, name, config, version: 0 };
    })();
  }

  dropCollection(id: number): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM collections WHERE id = ?').run(id);
      this.#db.exec(`DROP TABLE IF EXISTS ${tableName(id)}`);
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

  close(): void {
    this.#db.close();
  }
}

/** One collection's documents. Every write is one transaction that also bumps the collection version. */
export class DocumentTable {
  readonly #db: BetterSqlite3.Database;
  readonly #put: BetterSqlite3.Statement;
  readonly #delete: BetterSqlite3.Statement;
  readonly #setVersion: BetterSqlite3.Statement;
  readonly #byId: BetterSqlite3.Statement;
  readonly #byLabel: BetterSqlite3.Statement;
  readonly #fieldsByLabel: BetterSqlite3.Statement;
  readonly #all: BetterSqlite3.Statement;
  readonly #id: number;

  constructor(db: BetterSqlite3.Database, collectionId: number) {
    const table = tableName(collectionId);
    this.#db = db;
    this.#id = collectionId;
    this.#put = db.prepare(`INSERT OR REPLACE INTO ${table} (label, id, vector, text, metadata) VALUES (?, ?, ?, ?, ?)`);
    this.#delete = db.prepare(`DELETE FROM ${table} WHERE label = ?`);
    this.#setVersion = db.prepare('UPDATE collections SET version = ? WHERE id = ?');
    this.#byId = db.prepare(`SELECT label, id, vector, text, metadata FROM ${table} WHERE id = ?`);
    this.#byLabel = db.prepare(`SELECT label, id, vector, text, metadata FROM ${table} WHERE label = ?`);
    this.#fieldsByLabel = db.prepare(`SELECT text, metadata FROM ${table} WHERE label = ?`);
    this.#all = db.prepare(`SELECT label, id, vector, metadata FROM ${table} ORDER BY label`);
  }

  /** Writes rows (replacing any at the same label or id) and sets the version, atomically. */
  put(rows: readonly DocumentRow[], version: number): void {
    this.#db.transaction(() => {
      for (const row of rows) {
        this.#put.run(row.label, row.id, vectorBlob(row.vector), row.text ?? null, row.metadata ?? null);
      }
      this.#setVersion.run(version, this.#id);
    })();
  }

  /** Removes rows by label and sets the version, atomically. */
  remove(labels: readonly number[], version: number): void {
    this.#db.transaction(() => {
      for (const label of labels) this.#delete.run(label);
      this.#setVersion.run(version, this.#id);
    })();
  }

  byId(id: string): DocumentRow | undefined {
    const raw = this.#byId.get(id) as RawRow | undefined;
    return raw && toRow(raw);
  }

  byLabel(label: number): DocumentRow | undefined {
    const raw = this.#byLabel.get(label) as RawRow | undefined;
    return raw && toRow(raw);
  }

  /** Text and metadata JSON of a label, for search results. */
  fields(label: number): { text: string | null; metadata: string | null } | undefined {
    return this.#fieldsByLabel.get(label) as { text: string | null; metadata: string | null } | undefined;
  }

  /** Every row's label, id, vector and metadata JSON in label order, for rebuilding in-memory indexes. */
  *scan(): IterableIterator<{ label: number; id: string; vector: Float32Array; metadata: string | undefined }> {
    for (const raw of this.#all.iterate() as IterableIterator<Omit<RawRow, 'text'>>) {
      yield { label: raw.label, id: raw.id, vector: blobVector(raw.vector), metadata: raw.metadata ?? undefined };
    }
  }
}

function tableName(collectionId: number): string {
  if (!Number.isSafeInteger(collectionId)) throw new TypeError(`collection id ${collectionId}`);
  return `docs_${collectionId}`;
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
    id: raw.id,
    vector: blobVector(raw.vector),
    text: raw.text ?? undefined,
    metadata: raw.metadata ?? undefined,
  };
}
