/**
 * QuiverClient: the library Database's calls over the REST API. Code written
 * against PortableDatabase runs on `await openDatabase()` or on
 * `new QuiverClient({ url })` alike.
 */
import type { CollectionOptions } from '../core/collection/collection-options.js';
import type { AliasInfo, BackupResult, CollectionStatus } from '../core/api.js';
import { isQuiverError } from '../core/errors.js';
import { RemoteSemanticCache, type RemoteSemanticCacheOptions } from './remote-semantic-cache.js';
import { RemoteCollection, type PortableCollection } from './remote-collection.js';
import { Transport, type QuiverClientOptions } from './transport.js';

/**
 * What a library Database and a QuiverClient both offer. Calls that are
 * synchronous in process (`collection` aside) may return a promise here:
 * `await` them and the code runs on both.
 */
export interface PortableDatabase {
  createCollection(name: string, options: CollectionOptions): Promise<PortableCollection>;
  collection(name: string): PortableCollection;
  hasCollection(name: string): boolean | Promise<boolean>;
  listCollections(): CollectionStatus[] | Promise<CollectionStatus[]>;
  dropCollection(name: string): Promise<void>;
  createAlias(alias: string, collection: string): Promise<void>;
  switchAlias(alias: string, collection: string): Promise<void>;
  dropAlias(alias: string): Promise<void>;
  listAliases(): AliasInfo[] | Promise<AliasInfo[]>;
  close(): Promise<void>;
}

/** A backup a server wrote into its backup directory (`QuiverClient.backup`): the library's BackupResult and the folder's name. */
export type ServerBackup = BackupResult & { name: string };

export class QuiverClient implements PortableDatabase {
  readonly #transport: Transport;

  /** Checks the options (one INVALID_OPTIONS listing every problem); sends nothing. */
  constructor(options: QuiverClientOptions) {
    this.#transport = new Transport(options);
  }

  /** The server's base URL, without a trailing slash. */
  get url(): string {
    return this.#transport.url;
  }

  /** Creates a collection; resolves to its handle. A cluster node also takes `shards` and `replicas`. */
  async createCollection(name: string, options: CollectionOptions & { shards?: number; replicas?: number }): Promise<RemoteCollection> {
    await this.#transport.send('createCollection', undefined, { ...options, name });
    return new RemoteCollection(this.#transport, name);
  }

  /**
   * A handle on the collection `name`, without a request: unlike the library,
   * a missing collection is reported (COLLECTION_NOT_FOUND) by the first call
   * on the handle, not here.
   */
  collection(name: string): RemoteCollection {
    return new RemoteCollection(this.#transport, name);
  }

  /** The semantic cache held in collection `name`, through the server's cache routes (counted in its /metrics). */
  semanticCache(name: string, options: RemoteSemanticCacheOptions = {}): RemoteSemanticCache {
    return new RemoteSemanticCache(this.#transport, name, options);
  }

  /** Whether a collection of this name exists (one that failed to open included, as in the library). */
  async hasCollection(name: string): Promise<boolean> {
    try {
      await this.#transport.send('describeCollection', name);
      return true;
    } catch (error) {
      if (isQuiverError(error) && error.code === 'COLLECTION_NOT_FOUND') return false;
      if (isQuiverError(error) && error.code === 'COLLECTION_UNAVAILABLE') return true;
      throw error;
    }
  }

  /** Every collection with its counts and settings; ones that failed to open say why. */
  async listCollections(): Promise<CollectionStatus[]> {
    const { json } = await this.#transport.send('listCollections', undefined);
    return (json as { collections: CollectionStatus[] }).collections;
  }

  async dropCollection(name: string): Promise<void> {
    await this.#transport.send('dropCollection', name);
  }

  /** Makes `alias` another name for `collection` (the library's `createAlias`). */
  async createAlias(alias: string, collection: string): Promise<void> {
    await this.#transport.send('createAlias', undefined, { alias, collection });
  }

  /** Points an existing alias at another collection, atomically. */
  async switchAlias(alias: string, collection: string): Promise<void> {
    await this.#transport.send('switchAlias', alias, { collection });
  }

  /** Removes an alias; its collection is untouched. */
  async dropAlias(alias: string): Promise<void> {
    await this.#transport.send('dropAlias', alias);
  }

  /** Every alias and the collection it names. */
  async listAliases(): Promise<AliasInfo[]> {
    const { json } = await this.#transport.send('listAliases', undefined);
    return (json as { aliases: AliasInfo[] }).aliases;
  }

  /**
   * Has the server back its whole database up, online, into a new folder of
   * its backup directory (`quiver serve --backup-dir`): the server names the
   * folder, never the client. Resolves to the folder's name and path on the
   * server, each collection's version in the backup, the bytes and seconds.
   * NOT_CONFIGURED when the server has no backup directory; FORBIDDEN with
   * the read-only key.
   */
  async backup(): Promise<ServerBackup> {
    return (await this.#transport.send('backup', undefined, {})).json as ServerBackup;
  }

  /** Liveness: true when the server answers. Needs no API key. */
  async health(): Promise<boolean> {
    await this.#transport.send('health', undefined);
    return true;
  }

  /** Readiness: true when the server's database is open and it is not shutting down (503 is false). Needs no API key. */
  async ready(): Promise<boolean> {
    const { status } = await this.#transport.send('ready', undefined, undefined, [503]);
    return status === 200;
  }

  /**
   * Later calls throw DATABASE_CLOSED, as on a closed library Database. The
   * server and its data are untouched; connections belong to fetch's pool.
   */
  async close(): Promise<void> {
    this.#transport.close();
  }

  get closed(): boolean {
    return this.#transport.closed;
  }
}
