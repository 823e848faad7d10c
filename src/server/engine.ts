/**
 * What the server needs of the engine: the embedded Database, or a cluster
 * node (src/cluster) that answers the same calls for the whole cluster.
 * Routes take these types, never either class, so each mode keeps its own
 * implementation and the routes stay one.
 */
import type { Duplex } from 'node:stream';
import type {
  AliasInfo, BackupResult, CollectionInfo, CollectionStatus, Document, DocumentInput, DocumentUpdate, FieldChange, GetOptions, ListPage, ListRequest,
  OptimizeResult, ReadConsistency, SearchEvent, SearchHit, SearchRequest, SearchResult, WhereOptions,
} from '../core/api.js';
import type { FieldCacheStats, PoolStats } from '../core/database.js';

export interface EngineCollection {
  readonly name: string;
  readonly uid: string;
  readonly version: number;
  readonly info: CollectionInfo;
  upsert(documents: readonly DocumentInput[]): Promise<{ upserted: number; version: number }>;
  get(id: string, read?: ReadConsistency): Promise<Document | null>;
  getMany(ids: readonly string[], options?: GetOptions, read?: ReadConsistency): Promise<(Document | null)[]>;
  delete(ids: readonly string[]): Promise<{ deleted: number; version: number }>;
  deleteWhere(filter: Record<string, unknown>, options?: WhereOptions): Promise<{ deleted: number; version: number }>;
  update(updates: readonly DocumentUpdate[]): Promise<{ updated: number; version: number }>;
  updateWhere(filter: Record<string, unknown>, change: FieldChange, options?: WhereOptions): Promise<{ updated: number; version: number }>;
  list(request?: ListRequest): Promise<ListPage>;
  countWhere(filter?: Record<string, unknown>, read?: ReadConsistency): Promise<number>;
  search(request: SearchRequest, read?: ReadConsistency): Promise<SearchHit[] | SearchResult>;
  optimize(): Promise<OptimizeResult>;
}

export interface Engine {
  readonly closed: boolean;
  /** False for a cluster node (its versions are the cluster's, so the server caches no results); true when absent. */
  readonly cacheable?: boolean;
  readonly workerStats: PoolStats | undefined;
  readonly fieldCacheStats: FieldCacheStats;
  collection(name: string): EngineCollection;
  hasCollection(name: string): boolean;
  createCollection(name: string, options: Record<string, unknown>): Promise<EngineCollection>;
  dropCollection(name: string): Promise<void>;
  listCollections(): CollectionStatus[];
  listAliases(): AliasInfo[];
  createAlias(alias: string, collection: string): Promise<void>;
  switchAlias(alias: string, collection: string): Promise<void>;
  dropAlias(alias: string): Promise<void>;
  backup(dir: string): Promise<BackupResult>;
  observeSearches(listener: (event: SearchEvent) => void): () => void;
  /** Cluster nodes only: takes a connection another node opened for its shard calls (the `/_cluster/wire` upgrade), its key checked. */
  acceptPeer?(socket: Duplex, head: Buffer): void;
  /** Cluster nodes only: this node and its replicas (the `/_cluster/status` route). */
  status?(): unknown;
}
