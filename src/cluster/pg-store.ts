/**
 * The store of record in cluster mode: PostgreSQL. It holds every
 * collection's settings, each document's latest state (a tombstone once
 * deleted) stamped with the collection version that wrote it, the nodes and
 * their heartbeats, and which node holds which shard.
 *
 * A write bumps its collection's version under the collection row's lock
 * inside the transaction that writes its rows, so versions commit in order
 * and without gaps: when a reader sees version v committed it sees every
 * version before it (a sequence would not do: transactions commit out of
 * their sequence order). A replica that read every row newer than its
 * version in one snapshot (REPEATABLE READ) holds the collection's state at
 * that snapshot's version exactly.
 *
 * The driver (`postgres`) is loaded only when cluster mode is configured.
 */
import { createError, isQuiverError } from '../core/errors.js';

/** The driver's query function, typed as far as this module uses it. */
export type Sql = import('postgres').Sql;
export type TransactionSql = import('postgres').TransactionSql;

/** The channel NOTIFY wakes replicas on; the payload is the collection's uid and version. */
export const CHANGES_CHANNEL = 'quiver_changes';

/** One collection as the cluster records it. */
export interface ClusterCollectionRow {
  name: string;
  uid: string;
  /** The collection's stored options (collection-options.ts storedOptions), as JSON. */
  options: string;
  shards: number;
  replicas: number;
  hash: string;
  version: number;
  count: number;
}

/** A document's latest state, as a replica applies it. */
export interface DocumentRow {
  id: string;
  version: number;
  deleted: boolean;
  vector: Buffer | null;
  text: string | null;
  metadata: string | null;
}

/** A document row to write: a state, or a tombstone (`deleted`). */
export interface DocumentWrite {
  id: string;
  shard: number;
  deleted: boolean;
  vector: Buffer | null;
  text: string | null;
  metadata: string | null;
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS quiver_collections (
     name text PRIMARY KEY,
     uid text NOT NULL UNIQUE,
     options text NOT NULL,
     shards int NOT NULL,
     replicas int NOT NULL,
     hash text NOT NULL,
     version bigint NOT NULL DEFAULT 0,
     count bigint NOT NULL DEFAULT 0,
     created timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE IF NOT EXISTS quiver_documents (
     collection text NOT NULL,
     id text NOT NULL,
     shard int NOT NULL,
     version bigint NOT NULL,
     deleted boolean NOT NULL,
     vector bytea,
     text text,
     metadata text,
     PRIMARY KEY (collection, id))`,
  `CREATE INDEX IF NOT EXISTS quiver_documents_changes ON quiver_documents (collection, shard, version)`,
  `CREATE TABLE IF NOT EXISTS quiver_aliases (
     alias text PRIMARY KEY,
     collection text NOT NULL REFERENCES quiver_collections (name) ON DELETE CASCADE)`,
  `CREATE TABLE IF NOT EXISTS quiver_nodes (
     node_id text PRIMARY KEY,
     advertise text,
     heartbeat timestamptz NOT NULL,
     started timestamptz NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS quiver_placement (
     collection text NOT NULL,
     shard int NOT NULL,
     node_id text NOT NULL,
     state text NOT NULL,
     applied bigint NOT NULL,
     PRIMARY KEY (collection, shard, node_id))`,
];

/** A lock id for schema changes, so that nodes starting together create the tables once. */
const SCHEMA_LOCK = 0x71756976;
/** A lock id for collection names and aliases, which share one namespace. */
const NAMES_LOCK = 0x71756977;

/** Postgres error classes that mean "not reachable now" rather than "this request is wrong". */
function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  return /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|CONNECTION_|57P0|08)/.test(code);
}

/** `error` as the cluster reports it: unreachable PostgreSQL is CLUSTER_UNAVAILABLE; a QuiverError as it is. */
export function storeError(error: unknown, what: string): Error {
  if (isQuiverError(error)) return error;
  if (isUnavailable(error)) return createError('CLUSTER_UNAVAILABLE', what, `PostgreSQL does not answer (${(error as Error).message})`);
  return error as Error;
}

export class PgStore {
  readonly sql: Sql;

  private constructor(sql: Sql) {
    this.sql = sql;
  }

  /** Connects and creates the tables when missing. */
  static async open(url: string, nodeId: string): Promise<PgStore> {
    const { default: postgres } = await import('postgres');
    const sql = postgres(url, {
      max: 8,
      onnotice: () => {},
      connect_timeout: 5,
      connection: { application_name: `quiver:${nodeId}` },
      types: { bigint: postgres.BigInt },
    });
    const store = new PgStore(sql);
    try {
      await sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`;
        for (const statement of SCHEMA) await tx.unsafe(statement);
      });
    } catch (error) {
      await sql.end({ timeout: 1 });
      throw storeError(error, 'start');
    }
    return store;
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 2 });
  }

  async collections(): Promise<ClusterCollectionRow[]> {
    const rows = await this.sql`SELECT name, uid, options, shards, replicas, hash, version, count FROM quiver_collections ORDER BY name`;
    return rows.map(collectionRow);
  }

  async collection(name: string): Promise<ClusterCollectionRow | undefined> {
    const rows = await this.sql`SELECT name, uid, options, shards, replicas, hash, version, count FROM quiver_collections WHERE name = ${name}`;
    return rows.length === 0 ? undefined : collectionRow(rows[0]!);
  }

  /** Records a new collection; COLLECTION_EXISTS when the name is taken, ALIAS_EXISTS when an alias has it. */
  async createCollection(row: Omit<ClusterCollectionRow, 'version' | 'count'>): Promise<void> {
    await this.sql.begin(async (tx) => {
      // Names and aliases share one namespace: the lock orders this against an alias being made.
      await tx`SELECT pg_advisory_xact_lock(${NAMES_LOCK})`;
      const alias = await tx`SELECT collection FROM quiver_aliases WHERE alias = ${row.name}`;
      if (alias.length > 0) throw createError('ALIAS_EXISTS', row.name, alias[0]!.collection as string);
      const inserted = await tx`
        INSERT INTO quiver_collections (name, uid, options, shards, replicas, hash)
        VALUES (${row.name}, ${row.uid}, ${row.options}, ${row.shards}, ${row.replicas}, ${row.hash})
        ON CONFLICT (name) DO NOTHING RETURNING uid`;
      if (inserted.length === 0) throw createError('COLLECTION_EXISTS', row.name);
      await tx`SELECT pg_notify(${CHANGES_CHANNEL}, ${`${row.uid}:0`})`;
    });
  }

  async aliases(): Promise<{ alias: string; collection: string }[]> {
    const rows = await this.sql`SELECT alias, collection FROM quiver_aliases ORDER BY alias`;
    return rows.map((row) => ({ alias: row.alias as string, collection: row.collection as string }));
  }

  /**
   * Creates an alias (ALIAS_EXISTS if it is one, COLLECTION_EXISTS if a
   * collection has the name) or switches one (ALIAS_NOT_FOUND if it is
   * none); COLLECTION_NOT_FOUND when `collection` is not a collection.
   */
  async setAlias(alias: string, collection: string, how: 'create' | 'switch'): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${NAMES_LOCK})`;
      const target = await tx`SELECT uid FROM quiver_collections WHERE name = ${collection}`;
      if (target.length === 0) throw createError('COLLECTION_NOT_FOUND', String(collection));
      const existing = await tx`SELECT collection FROM quiver_aliases WHERE alias = ${alias}`;
      if (how === 'create') {
        if (existing.length > 0) throw createError('ALIAS_EXISTS', alias, existing[0]!.collection as string);
        if ((await tx`SELECT 1 FROM quiver_collections WHERE name = ${alias}`).length > 0) throw createError('COLLECTION_EXISTS', alias);
        await tx`INSERT INTO quiver_aliases (alias, collection) VALUES (${alias}, ${collection})`;
      } else {
        if (existing.length === 0) throw createError('ALIAS_NOT_FOUND', String(alias));
        await tx`UPDATE quiver_aliases SET collection = ${collection} WHERE alias = ${alias}`;
      }
      await tx`SELECT pg_notify(${CHANGES_CHANNEL}, ${`${target[0]!.uid as string}:0`})`;
    });
  }

  async dropAlias(alias: string): Promise<void> {
    const rows = await this.sql`DELETE FROM quiver_aliases WHERE alias = ${alias} RETURNING alias`;
    if (rows.length === 0) throw createError('ALIAS_NOT_FOUND', String(alias));
    await this.sql`SELECT pg_notify(${CHANGES_CHANNEL}, ${'aliases:0'})`;
  }

  /** Drops a collection and its documents and placements in one transaction. */
  async dropCollection(name: string): Promise<void> {
    await this.sql.begin(async (tx) => {
      const rows = await tx`DELETE FROM quiver_collections WHERE name = ${name} RETURNING uid`;
      if (rows.length === 0) throw createError('COLLECTION_NOT_FOUND', name);
      const uid = rows[0]!.uid as string;
      await tx`DELETE FROM quiver_documents WHERE collection = ${uid}`;
      await tx`DELETE FROM quiver_placement WHERE collection = ${uid}`;
      await tx`SELECT pg_notify(${CHANGES_CHANNEL}, ${`${uid}:dropped`})`;
    });
  }

  /**
   * Runs `write` in one transaction holding the collection's row lock, so
   * writes to a collection commit one at a time in version order. `write`
   * gets the transaction and the next version, and returns the rows to
   * write with that version and what the reply reports; the version and the
   * live count are bumped, a NOTIFY wakes replicas, and it commits. A write
   * with no rows bumps nothing.
   */
  async write<T>(
    name: string,
    write: (tx: TransactionSql, collection: ClusterCollectionRow, version: number) => Promise<{ rows: DocumentWrite[]; result: T }>,
  ): Promise<{ result: T; version: number }> {
    try {
      return await this.sql.begin(async (tx) => {
        const locked = await tx`SELECT name, uid, options, shards, replicas, hash, version, count FROM quiver_collections WHERE name = ${name} FOR UPDATE`;
        if (locked.length === 0) throw createError('COLLECTION_NOT_FOUND', name);
        const collection = collectionRow(locked[0]!);
        const version = collection.version + 1;
        const { rows, result } = await write(tx, collection, version);
        if (rows.length === 0) return { result, version: collection.version };
        const ids = rows.map((row) => row.id);
        const [counted] = await tx`SELECT count(*)::int AS live FROM quiver_documents WHERE collection = ${collection.uid} AND id = ANY(${ids}) AND NOT deleted`;
        const after = rows.reduce((n, row) => n + (row.deleted ? 0 : 1), 0);
        for (let from = 0; from < rows.length; from += WRITE_CHUNK) {
          const chunk = rows.slice(from, from + WRITE_CHUNK).map((row) => ({ collection: collection.uid, version, ...row }));
          await tx`
            INSERT INTO quiver_documents ${tx(chunk, 'collection', 'id', 'shard', 'version', 'deleted', 'vector', 'text', 'metadata')}
            ON CONFLICT (collection, id) DO UPDATE SET shard = EXCLUDED.shard, version = EXCLUDED.version, deleted = EXCLUDED.deleted,
              vector = EXCLUDED.vector, text = EXCLUDED.text, metadata = EXCLUDED.metadata`;
        }
        await tx`UPDATE quiver_collections SET version = ${version}, count = count + ${after - (counted!.live as number)} WHERE name = ${name}`;
        await tx`SELECT pg_notify(${CHANGES_CHANNEL}, ${`${collection.uid}:${version}`})`;
        return { result, version };
      });
    } catch (error) {
      throw storeError(error, 'write');
    }
  }

  /** The live rows of `ids` (missing or deleted ones left out), read inside a write's transaction. */
  static async liveRows(tx: TransactionSql, uid: string, ids: readonly string[]): Promise<Map<string, DocumentRow>> {
    const rows = await tx`SELECT id, version, deleted, vector, text, metadata FROM quiver_documents WHERE collection = ${uid} AND id = ANY(${ids as string[]}) AND NOT deleted`;
    return new Map(rows.map((row) => [row.id as string, documentRow(row)]));
  }

  /** Every live row's id, text and metadata, a page at a time, inside a write's transaction (for a write by filter). */
  static async *liveFields(tx: TransactionSql, uid: string): AsyncGenerator<DocumentRow[]> {
    let after = '';
    for (;;) {
      const rows = await tx`
        SELECT id, version, deleted, vector, text, metadata FROM quiver_documents
        WHERE collection = ${uid} AND NOT deleted AND id > ${after} ORDER BY id LIMIT ${SCAN_PAGE}`;
      if (rows.length === 0) return;
      yield rows.map(documentRow);
      after = rows[rows.length - 1]!.id as string;
    }
  }

  /** Live rows of a collection in id order after `after`, `limit` at most (a list page, read from the store of record). */
  async liveAfter(uid: string, after: string, limit: number): Promise<DocumentRow[]> {
    try {
      const rows = await this.sql`
        SELECT id, version, deleted, vector, text, metadata FROM quiver_documents
        WHERE collection = ${uid} AND NOT deleted AND id > ${after} ORDER BY id LIMIT ${limit}`;
      return rows.map(documentRow);
    } catch (error) {
      throw storeError(error, 'list documents');
    }
  }

  /**
   * The changes of one shard after version `applied`, in one snapshot:
   * `pages` yields every row of the shard written after `applied`, and the
   * collection's version in that snapshot is returned, so that once the
   * rows are applied the replica holds the shard at that version. `read`
   * runs inside the snapshot's transaction.
   */
  async changes(uid: string, shard: number, applied: number, read: (pages: AsyncIterable<DocumentRow[]>) => Promise<void>): Promise<number | undefined> {
    try {
      return await this.sql.begin('isolation level repeatable read read only', async (tx) => {
        const rows = await tx`SELECT version FROM quiver_collections WHERE uid = ${uid}`;
        if (rows.length === 0) return undefined;
        const version = Number(rows[0]!.version);
        if (version <= applied) return version;
        const cursor = tx`
          SELECT id, version, deleted, vector, text, metadata FROM quiver_documents
          WHERE collection = ${uid} AND shard = ${shard} AND version > ${applied}`.cursor(CHANGES_PAGE);
        await read(mapPages(cursor));
        return version;
      });
    } catch (error) {
      throw storeError(error, 'read changes');
    }
  }

  /** The collection's current version (for a `strong` read). */
  async version(uid: string): Promise<number | undefined> {
    try {
      const rows = await this.sql`SELECT version FROM quiver_collections WHERE uid = ${uid}`;
      return rows.length === 0 ? undefined : Number(rows[0]!.version);
    } catch (error) {
      throw storeError(error, 'read the version');
    }
  }
}

/** Rows a write inserts per statement (PostgreSQL takes at most 65,535 parameters). */
const WRITE_CHUNK = 500;
/** Rows a write by filter reads per page. */
const SCAN_PAGE = 2000;
/** Rows a replica reads per page while it catches up. */
const CHANGES_PAGE = 1000;

/** A stored vector's bytes as float32 values (copied: the driver's buffers need not be 4-byte aligned). */
export function floatsOf(bytes: Buffer): Float32Array {
  return new Float32Array(Uint8Array.from(bytes).buffer);
}

async function* mapPages(cursor: AsyncIterable<Record<string, unknown>[]>): AsyncGenerator<DocumentRow[]> {
  for await (const rows of cursor) yield rows.map(documentRow);
}

function collectionRow(row: Record<string, unknown>): ClusterCollectionRow {
  return {
    name: row.name as string,
    uid: row.uid as string,
    options: row.options as string,
    shards: row.shards as number,
    replicas: row.replicas as number,
    hash: row.hash as string,
    version: Number(row.version),
    count: Number(row.count),
  };
}

function documentRow(row: Record<string, unknown>): DocumentRow {
  return {
    id: row.id as string,
    version: Number(row.version),
    deleted: row.deleted as boolean,
    vector: (row.vector as Buffer | null) ?? null,
    text: (row.text as string | null) ?? null,
    metadata: (row.metadata as string | null) ?? null,
  };
}

