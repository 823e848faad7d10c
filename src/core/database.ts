/**
 * The database: a registry of collections over one store. The facade the
 * library exports and the server calls.
 */
import { Collection, type CollectionInfo } from './collection.js';
import { createError } from './errors.js';
import { COLLECTION_NAME_PATTERN, resolveCollectionOptions, type CollectionOptions } from './options.js';
import { Store } from './store.js';
import { isPlainObject } from './validate.js';

export interface DatabaseOptions {
  /** Data directory; created when missing. Omit for an in-memory database that is gone on close. */
  path?: string;
}

interface Entry {
  id: number;
  collection: Collection;
}

export class Database {
  readonly path: string | undefined;
  readonly #store: Store;
  readonly #collections = new Map<string, Entry>();
  #closed = false;

  private constructor(store: Store, path: string | undefined) {
    this.#store = store;
    this.path = path;
  }

  /** @internal Use `openDatabase`. */
  static open(options: DatabaseOptions): Database {
    if (!isPlainObject(options)) throw createError('INVALID_OPTIONS', ['database options must be an object']);
    const { path, ...rest } = options as Record<string, unknown>;
    const problems = Object.keys(rest).map((key) => `unknown option '${key}'`);
    if (path !== undefined && (typeof path !== 'string' || path.length === 0)) problems.push('path must be a non-empty string');
    if (problems.length > 0) throw createError('INVALID_OPTIONS', problems);
    const store = Store.open(path as string | undefined);
    const db = new Database(store, path as string | undefined);
    for (const stored of store.collections()) {
      const options = resolveCollectionOptions(JSON.parse(stored.config));
      const collection = db.#makeCollection(stored.name, stored.id, options, stored.version);
      collection.load();
    }
    return db;
  }

  async createCollection(name: string, options: CollectionOptions): Promise<Collection> {
    this.#assertOpen();
    checkName(name);
    const resolved = resolveCollectionOptions(options);
    if (this.#collections.has(name)) throw createError('COLLECTION_EXISTS', name);
    const stored = this.#store.createCollection(name, JSON.stringify(resolved));
    return this.#makeCollection(name, stored.id, resolved, 0);
  }

  /** The collection with this name; throws COLLECTION_NOT_FOUND. */
  collection(name: string): Collection {
    this.#assertOpen();
    const entry = this.#collections.get(name);
    if (!entry) throw createError('COLLECTION_NOT_FOUND', String(name));
    return entry.collection;
  }

  hasCollection(name: string): boolean {
    this.#assertOpen();
    return this.#collections.has(name);
  }

  listCollections(): CollectionInfo[] {
    this.#assertOpen();
    return [...this.#collections.values()].map(({ collection }) => collection.info);
  }

  async dropCollection(name: string): Promise<void> {
    this.#assertOpen();
    const entry = this.#collections.get(name);
    if (!entry) throw createError('COLLECTION_NOT_FOUND', String(name));
    this.#store.dropCollection(entry.id);
    this.#collections.delete(name);
    entry.collection.dispose();
  }

  /** Closes the store and frees every collection; later calls throw DATABASE_CLOSED. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const { collection } of this.#collections.values()) collection.dispose();
    this.#collections.clear();
    this.#store.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #makeCollection(name: string, id: number, options: ReturnType<typeof resolveCollectionOptions>, version: number): Collection {
    const collection = new Collection(name, options, this.#store.documents(id), version, () => this.#assertOpen());
    this.#collections.set(name, { id, collection });
    return collection;
  }

  #assertOpen(): void {
    if (this.#closed) throw createError('DATABASE_CLOSED');
  }
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !COLLECTION_NAME_PATTERN.test(name)) throw createError('INVALID_COLLECTION_NAME', name);
}
