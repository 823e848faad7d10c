/**
 * The database: a registry of collections over one store. The facade the
 * library exports and the server calls.
 */
import { rmSync } from 'node:fs';
import { treeBytes } from './storage/disk-usage.js';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { AliasInfo, BackupResult, CollectionDiskUsage, CollectionStatus, Logger, SearchEvent } from './api.js';
import { backupDatabase } from './backup.js';
import { Collection, type CollectionMemory, type CollectionServices, type Persistence } from './collection/collection.js';
import { FieldCache, type FieldCacheStats } from './storage/field-cache.js';
import { MemoryBudget } from './collection/memory-budget.js';
import { VectorMemory } from './vector/vector-memory.js';
import { MAX_HEAP_BYTES } from './vector/wasm-heap.js';
import { createError, QuiverError } from './errors.js';
import {
  COLLECTION_NAME_PATTERN,
  DEFAULT_COMPACT_AT,
  DEFAULT_FIELD_CACHE_BYTES,
  DEFAULT_SNAPSHOT_AFTER,
  isIntegerIn,
  MAX_WORKERS,
} from './options.js';
import type { SegmentHosting } from './graph/segmented-graph.js';
import { localHost, sharedPool, type PoolStats } from './graph/hosting/worker-pool.js';

export type { PoolStats } from './graph/hosting/worker-pool.js';
export type { FieldCacheStats } from './storage/field-cache.js';
import { resolveCollectionOptions, storedOptions, type CollectionOptions, type ResolvedCollectionOptions } from './collection/collection-options.js';
import { Store, type CheckpointStats, type Durability, type StoredCollection } from './storage/store.js';
import { SNAPSHOTS_DIR } from './storage/snapshot.js';
import { isPlainObject } from './validate.js';
import type { EmbeddingsLike } from './embedding/embedder.js';

export interface DatabaseOptions {
  /** Data directory; created when missing. Omit for an in-memory database that is gone on close. */
  path?: string;
  /**
   * `process` (default): every acknowledged write survives a crash of the
   * process (kill -9). `fsync`: also survives power loss or an OS crash;
   * each commit waits for an fsync (SQLite `synchronous=FULL`).
   */
  durability?: Durability;
  /** Receives info, warnings (e.g. a snapshot rebuilt from the store) and errors. Default: warnings and errors to stderr. */
  logger?: Logger;
  /**
   * Snapshot a collection once this many documents (or a quarter of the
   * collection, when that is more) changed since its last snapshot. Default
   * DEFAULT_SNAPSHOT_AFTER.
   */
  snapshotAfter?: number;
  /**
   * Worker threads that host the collections' HNSW segments, so graph
   * searches use every core and graph inserts never run on this thread's
   * event loop. Default: the number of cores. 0 keeps every graph on the
   * calling thread (no threads; lowest latency for one query at a time).
   */
  workers?: number;
  /**
   * Bytes the in-memory indexes of all collections may hold: vectors (f32
   * rows, or int8 codes) and HNSW graphs, estimated per document (see
   * `info.memory`), plus each graph's fixed cost once it holds a document
   * (2.5 MiB a segment) and each collection's bookkeeping (128 KiB). A
   * write or a createCollection that would pass it is rejected whole with
   * OUT_OF_MEMORY, nothing stored; a collection that does not fit on open
   * opens degraded (readable, not searchable). Default: no limit but the
   * machine's (writes are also rejected when they would leave the machine
   * less than a tenth of its memory, at most 1 GiB, free).
   */
  memoryLimit?: number;
  /**
   * How vectors are laid out in WebAssembly memory; the defaults suit every
   * size. `chunkBytes`: target size of one chunk of a collection's rows
   * (default 8 MiB); `heapBytes`: largest WebAssembly memory before another
   * is added (default and most: 2 GiB less 64 KiB).
   */
  vectorMemory?: { chunkBytes?: number; heapBytes?: number };
  /**
   * Bytes of document text and metadata kept in memory for search hits, so
   * a search's default `include` need not read the store (see
   * field-cache.ts). Shared by all collections, least recently used out
   * first; not counted in `memoryLimit`. Default DEFAULT_FIELD_CACHE_BYTES
   * (64 MiB); 0 turns it off.
   */
  fieldCache?: number;
  /**
   * In-process embedders by model name, for collections whose `embedder` is
   * `{ provider: 'local', model }`: any object with LangChain's
   * `embedDocuments` / `embedQuery` (LangChain's embeddings classes are).
   */
  embedders?: Record<string, EmbeddingsLike>;
}



type Entry = { id: number; collection: Collection } | { id: number; unavailable: string };

export const defaultLogger: Logger = {
  info: () => {},
  warn: (message) => console.warn(`quiver: ${message}`),
  error: (message) => console.error(`quiver: ${message}`),
};

export class Database {
  readonly path: string | undefined;
  readonly #store: Store;
  readonly #collections = new Map<string, Entry>();
  /** Alias -> the name of the collection it stands for. */
  readonly #aliases = new Map<string, string>();
  readonly #log: Logger;
  readonly #snapshotAfter: number;
  /** Worker threads hosting HNSW segments; 0: segments stay on this thread. */
  readonly workers: number;
  readonly #hosting: SegmentHosting;
  readonly #memory: CollectionMemory;
  #closed = false;
  /** Backups under way: close waits for them. */
  readonly #backups = new Set<Promise<unknown>>();
  readonly #searchListeners = new Set<(event: SearchEvent) => void>();
  readonly #embedders: ReadonlyMap<string, EmbeddingsLike>;

  private constructor(store: Store, path: string | undefined, log: Logger, snapshotAfter: number, workers: number, memory: MemorySettings, embedders: ReadonlyMap<string, EmbeddingsLike>) {
    this.#store = store;
    this.#embedders = embedders;
    this.path = path;
    this.#log = log;
    this.#snapshotAfter = snapshotAfter;
    this.workers = workers;
    this.#memory = {
      vectors: new VectorMemory(memory.vectorMemory),
      budget: new MemoryBudget(memory.memoryLimit, () => this.#indexBytes()),
      fields: new FieldCache(memory.fieldCache),
    };
    if (workers === 0) {
      const local = localHost();
      this.#hosting = { inline: true, host: () => local };
    } else {
      this.#hosting = { inline: false, host: (n) => sharedPool(workers).host(n) };
    }
  }

  /** WAL frames the store's checkpoint thread copied into the database file (data directories only). */
  get checkpoints(): CheckpointStats {
    return this.#store.checkpoints;
  }

  /** Bytes of WebAssembly memory the database's vectors take (all heaps, used or free). */
  get wasmMemoryBytes(): number {
    return this.#memory.vectors.bytes;
  }

  /**
   * The estimated bytes every collection holds in memory (see
   * `memoryLimit`): what a write or a new collection is admitted against.
   */
  get memoryBytes(): number {
    return this.#indexBytes();
  }

  /** The estimated bytes of every collection's in-memory indexes: what `memoryLimit` counts. */
  #indexBytes(): number {
    let bytes = 0;
    for (const entry of this.#collections.values()) if ('collection' in entry) bytes += entry.collection.memoryBytes;
    return bytes;
  }

  /** Size and hit rate of the hits' field cache (see `fieldCache`). */
  get fieldCacheStats(): FieldCacheStats {
    return this.#memory.fields.stats;
  }

  /** Queue depth and waiting time of the worker threads (undefined with `workers: 0`). */
  get workerStats(): PoolStats | undefined {
    return this.workers === 0 ? undefined : sharedPool(this.workers).stats;
  }

  /** @internal Use `openDatabase`. */
  static async open(options: DatabaseOptions): Promise<Database> {
    if (!isPlainObject(options)) throw createError('INVALID_OPTIONS', ['database options must be an object']);
    const {
      path, durability = 'process', logger = defaultLogger, snapshotAfter = DEFAULT_SNAPSHOT_AFTER, workers = availableParallelism(),
      memoryLimit, vectorMemory, fieldCache = DEFAULT_FIELD_CACHE_BYTES, embedders = {}, ...rest
    } = options as Record<string, unknown>;
    const problems = Object.keys(rest).map((key) => `unknown option '${key}'`);
    if (path !== undefined && (typeof path !== 'string' || path.length === 0)) problems.push('path must be a non-empty string');
    if (durability !== 'process' && durability !== 'fsync') problems.push(`durability must be 'process' or 'fsync', got ${String(durability)}`);
    if (!isIntegerIn(snapshotAfter, 1, Number.MAX_SAFE_INTEGER)) problems.push('snapshotAfter must be a positive integer');
    if (!isIntegerIn(workers, 0, MAX_WORKERS)) problems.push(`workers must be an integer from 0 to ${MAX_WORKERS}, got ${String(workers)}`);
    if (memoryLimit !== undefined && !isIntegerIn(memoryLimit, 1, Number.MAX_SAFE_INTEGER)) problems.push(`memoryLimit must be a positive integer of bytes, got ${String(memoryLimit)}`);
    if (!isIntegerIn(fieldCache, 0, Number.MAX_SAFE_INTEGER)) problems.push(`fieldCache must be a non-negative integer of bytes, got ${String(fieldCache)}`);
    problems.push(...checkVectorMemory(vectorMemory));
    if (!isPlainObject(embedders)) problems.push('embedders must be an object of model name -> embedder');
    else {
      for (const [model, embedder] of Object.entries(embedders)) {
        const { embedDocuments, embedQuery } = (embedder ?? {}) as Partial<EmbeddingsLike>;
        if (typeof embedDocuments !== 'function' || typeof embedQuery !== 'function') problems.push(`embedders['${model}'] must have embedDocuments and embedQuery methods`);
      }
    }
    const log = logger as Logger;
    if (typeof log?.info !== 'function' || typeof log.warn !== 'function' || typeof log.error !== 'function') {
      problems.push('logger must have info, warn and error methods');
    }
    if (problems.length > 0) throw createError('INVALID_OPTIONS', problems);

    const store = Store.open(path as string | undefined, durability as Durability);
    const memory = {
      memoryLimit: memoryLimit as number | undefined,
      vectorMemory: vectorMemory as MemorySettings['vectorMemory'],
      fieldCache: fieldCache as number,
    };
    const db = new Database(store, path as string | undefined, log, snapshotAfter as number, workers as number, memory, new Map(Object.entries(embedders as Record<string, EmbeddingsLike>)));
    for (const stored of store.collections()) {
      let collection: Collection | undefined;
      try {
        // Collections created before segments existed have one.
        const resolved = resolveCollectionOptions(JSON.parse(stored.config), 1);
        collection = db.#makeCollection(stored, resolved);
        db.#collections.set(stored.name, { id: stored.id, collection });
        await collection.load();
      } catch (error) {
        collection?.dispose();
        // One broken collection never stops the others from opening.
        const reason = error instanceof Error ? error.message : String(error);
        db.#collections.set(stored.name, { id: stored.id, unavailable: reason });
        log.error(`collection '${stored.name}' is unavailable: ${reason}`);
      }
    }
    const names = new Map(store.collections().map((stored) => [stored.id, stored.name]));
    for (const { name, collectionId } of store.aliases()) {
      const collection = names.get(collectionId);
      if (collection !== undefined) db.#aliases.set(name, collection);
    }
    return db;
  }

  /**
   * Creates an empty collection, all or nothing: admitted by memory first
   * (OUT_OF_MEMORY past `memoryLimit`), then made in memory inside the
   * store's transaction, so a failure anywhere leaves neither a row in the
   * store nor an entry here. An empty collection holds no graph or vector
   * memory until its first document (see `COLLECTION_BASE_BYTES`).
   */
  async createCollection(name: string, options: CollectionOptions): Promise<Collection> {
    this.#assertOpen();
    checkName(name);
    const resolved = resolveCollectionOptions(options, Math.max(1, this.workers));
    if (this.#collections.has(name)) throw createError('COLLECTION_EXISTS', name);
    const aliased = this.#aliases.get(name);
    if (aliased !== undefined) throw createError('ALIAS_EXISTS', name, aliased);
    this.#memory.budget.admitCollection(name);
    let made: { id: number; collection: Collection } | undefined;
    try {
      made = this.#store.createCollection(name, storedOptions(resolved), (stored) => {
        // Files left by a dropped collection that had this id (a drop that could not remove them) are not this one's.
        const dir = this.#snapshotDir(stored.id);
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
        made = { id: stored.id, collection: this.#makeCollection(stored, resolved) };
        return made;
      });
    } catch (error) {
      made?.collection.dispose();
      throw error;
    }
    this.#collections.set(name, made);
    return made.collection;
  }

  /**
   * The collection with this name; throws COLLECTION_NOT_FOUND, or
   * COLLECTION_UNAVAILABLE when it could not be opened at all. A collection
   * whose index could not be built is returned degraded (see `info.state`).
   */
  collection(name: string): Collection {
    this.#assertOpen();
    const real = this.#aliases.get(name) ?? name;
    const entry = this.#collections.get(real);
    if (!entry) throw createError('COLLECTION_NOT_FOUND', String(name));
    if ('unavailable' in entry) throw createError('COLLECTION_UNAVAILABLE', real, entry.unavailable);
    return entry.collection;
  }

  /** Whether `name` is a collection, or an alias of one. */
  hasCollection(name: string): boolean {
    this.#assertOpen();
    return this.#collections.has(this.#aliases.get(name) ?? name);
  }

  /**
   * Makes `alias` another name for `collection`: every read and write
   * through `collection(alias)`, and over REST by the alias in the path.
   * An alias has a collection's name rules and shares their names (one
   * cannot be both). ALIAS_EXISTS if it exists already: `switchAlias`
   * moves one.
   */
  async createAlias(alias: string, collection: string): Promise<void> {
    this.#assertOpen();
    checkName(alias);
    const existing = this.#aliases.get(alias);
    if (existing !== undefined) throw createError('ALIAS_EXISTS', alias, existing);
    if (this.#collections.has(alias)) throw createError('COLLECTION_EXISTS', alias);
    this.#store.setAlias(alias, this.#entry(collection).id);
    this.#aliases.set(alias, collection);
  }

  /**
   * Points an existing alias at another collection, atomically: a request
   * by the alias reaches the old collection or the new one, never neither
   * (readers switch from `docs-v1` to `docs-v2` after a re-embedding).
   */
  async switchAlias(alias: string, collection: string): Promise<void> {
    this.#assertOpen();
    if (!this.#aliases.has(alias)) throw createError('ALIAS_NOT_FOUND', String(alias));
    this.#store.setAlias(alias, this.#entry(collection).id);
    this.#aliases.set(alias, collection);
  }

  /** Removes an alias; its collection is untouched. */
  async dropAlias(alias: string): Promise<void> {
    this.#assertOpen();
    if (!this.#aliases.has(alias)) throw createError('ALIAS_NOT_FOUND', String(alias));
    this.#store.dropAlias(alias);
    this.#aliases.delete(alias);
  }

  /** Every alias and the collection it names, by alias. */
  listAliases(): AliasInfo[] {
    this.#assertOpen();
    return [...this.#aliases].map(([alias, collection]) => ({ alias, collection })).sort((a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0));
  }

  /** A collection's entry by its own name (an alias is not one); COLLECTION_NOT_FOUND when there is none. */
  #entry(name: string): Entry {
    const entry = this.#collections.get(name);
    if (!entry) throw createError('COLLECTION_NOT_FOUND', String(name));
    return entry;
  }

  /** Every collection with its counts and settings; degraded ones and ones that failed to open say why. */
  listCollections(): CollectionStatus[] {
    this.#assertOpen();
    return [...this.#collections.entries()].map(([name, entry]) =>
      'unavailable' in entry ? { name, state: 'unavailable', reason: entry.unavailable } : entry.collection.info,
    );
  }

  /**
   * Drops a collection and its aliases, all or nothing: the store drops it in one
   * transaction first, so if that fails the collection is untouched and
   * usable; once it succeeds the collection is gone, and what follows
   * (freeing its memory, removing its snapshot files) cannot bring it back.
   * Files that cannot be removed are logged and removed when a new collection
   * takes the same id.
   */
  async dropCollection(name: string): Promise<void> {
    this.#assertOpen();
    const aliased = this.#aliases.get(name);
    if (aliased !== undefined) {
      throw createError('INVALID_ARGUMENT', 'collection name', `a collection's own name ('${name}' is an alias of '${aliased}': drop the alias with dropAlias, or the collection by its name)`, name);
    }
    const entry = this.#entry(name);
    this.#store.dropCollection(entry.id);
    this.#collections.delete(name);
    for (const [alias, collection] of this.#aliases) if (collection === name) this.#aliases.delete(alias);
    if ('collection' in entry) {
      try {
        entry.collection.dispose();
      } catch (error) {
        this.#log.error(`collection '${name}': freeing its memory after the drop failed: ${String(error)}`);
      }
      // Saves still writing into the snapshot directory finish before it is removed.
      await entry.collection.settled();
    }
    const dir = this.#snapshotDir(entry.id);
    try {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      this.#log.warn(`collection '${name}' was dropped, but its snapshot files in ${dir} could not be removed: ${String(error)}`);
    }
  }

  /**
   * What one collection takes on disk: its rows in the shared store file
   * (tables and indexes) and its snapshot files. Undefined for an in-memory
   * database. The store part reads every page of the collection's tables.
   */
  diskUsage(name: string): CollectionDiskUsage | undefined {
    this.#assertOpen();
    const entry = this.#collections.get(name);
    if (!entry) throw createError('COLLECTION_NOT_FOUND', String(name));
    const snapshotDir = this.#snapshotDir(entry.id);
    if (snapshotDir === undefined) return undefined;
    const store = this.#store.documents(entry.id).diskBytes();
    const snapshots = treeBytes(snapshotDir);
    return { store, snapshots, total: store + snapshots, snapshotDir };
  }

  /**
   * Calls `listener` after every search of every collection with its plan
   * and the engine's time (a server's latency histogram, for one), without
   * asking each search for `explain`. Returns the function that stops it.
   */
  observeSearches(listener: (event: SearchEvent) => void): () => void {
    this.#searchListeners.add(listener);
    return () => this.#searchListeners.delete(listener);
  }

  /** Snapshots every collection that changed since its last snapshot (data directories only). */
  async snapshot(): Promise<void> {
    this.#assertOpen();
    for (const entry of this.#collections.values()) {
      if ('collection' in entry) await entry.collection.snapshot();
    }
  }

  /**
   * Copies the whole database into `dir` (empty or missing; not inside the
   * data directory) while it goes on serving reads and writes: a data
   * directory that `openDatabase({ path: dir })` opens (or `restoreBackup`
   * copies), holding every collection as of one version each, every write
   * acknowledged before the copy ended and none after. Snapshots wait for the
   * backup; writes do not. Works for an in-memory database too (the copy
   * has no snapshots: it opens by building its indexes from the store).
   * Resolves to each collection's version in the copy and the bytes written;
   * on failure nothing is left in `dir`. See core/backup.ts for why the copy
   * is consistent.
   */
  async backup(dir: string): Promise<BackupResult> {
    this.#assertOpen();
    if (typeof dir !== 'string' || dir.length === 0) throw createError('INVALID_ARGUMENT', 'backup directory', 'a non-empty path', dir);
    const uids = new Map(this.#store.collections().map((stored) => [stored.id, stored.uid]));
    const entries = [...this.#collections.values()].map((entry) => ({
      id: entry.id, uid: uids.get(entry.id) ?? '', collection: 'collection' in entry ? entry.collection : undefined,
    }));
    const running = backupDatabase({ store: this.#store, path: this.path, entries }, dir);
    this.#backups.add(running);
    try {
      return await running;
    } finally {
      this.#backups.delete(running);
    }
  }

  /**
   * Snapshots what changed (so the next open needs no replay), closes the
   * store and frees every collection; later calls throw DATABASE_CLOSED.
   * Backups under way finish first. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#backups.size > 0) await Promise.allSettled([...this.#backups]);
    if (this.#closed) return;
    for (const entry of this.#collections.values()) {
      if (!('collection' in entry)) continue;
      try {
        await entry.collection.snapshot();
      } catch (error) {
        if (!(error instanceof QuiverError)) this.#log.error(`collection '${entry.collection.name}': snapshot on close failed: ${String(error)}`);
      }
    }
    this.#closed = true;
    const closing: Collection[] = [];
    for (const entry of this.#collections.values()) {
      if (!('collection' in entry)) continue;
      entry.collection.dispose();
      closing.push(entry.collection);
    }
    this.#collections.clear();
    // Searches and changes still running on the worker threads finish first: a process that ends
    // while a worker is inside a graph call aborts (see SegmentedGraph.settled).
    await Promise.all(closing.map((collection) => collection.settled()));
    this.#memory.vectors.dispose();
    await this.#store.stopCheckpointer();
    this.#store.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The collection over a stored one; the caller registers it. */
  #makeCollection({ id, uid, name, version }: StoredCollection, options: ResolvedCollectionOptions): Collection {
    const persistence: Persistence = { dir: this.#snapshotDir(id), snapshotAfter: this.#snapshotAfter, compactAt: DEFAULT_COMPACT_AT };
    const services: CollectionServices = { log: this.#log, hosting: this.#hosting, searchListeners: this.#searchListeners, embedders: this.#embedders };
    return new Collection({ name, uid, options, table: this.#store.documents(id), version, persistence, services, memory: this.#memory, assertUsable: () => this.#assertOpen() });
  }

  #snapshotDir(id: number): string | undefined {
    return this.path === undefined ? undefined : join(this.path, SNAPSHOTS_DIR, String(id));
  }

  #assertOpen(): void {
    if (this.#closed) throw createError('DATABASE_CLOSED');
  }
}

interface MemorySettings {
  memoryLimit: number | undefined;
  fieldCache: number;
  vectorMemory: { chunkBytes?: number; heapBytes?: number } | undefined;
}

function checkVectorMemory(value: unknown): string[] {
  if (value === undefined) return [];
  if (!isPlainObject(value)) return ['vectorMemory must be an object'];
  const { chunkBytes, heapBytes, ...rest } = value;
  const problems = Object.keys(rest).map((key) => `unknown option 'vectorMemory.${key}'`);
  if (chunkBytes !== undefined && !isIntegerIn(chunkBytes, 1024, 2 ** 30)) problems.push('vectorMemory.chunkBytes must be an integer from 1024 to 2^30');
  if (heapBytes !== undefined && !isIntegerIn(heapBytes, 1024 * 1024, MAX_HEAP_BYTES)) {
    problems.push(`vectorMemory.heapBytes must be an integer from 2^20 to ${MAX_HEAP_BYTES}`);
  }
  return problems;
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !COLLECTION_NAME_PATTERN.test(name)) throw createError('INVALID_COLLECTION_NAME', name);
}
