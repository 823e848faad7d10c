/**
 * Quiver: vector similarity search for Node.js.
 *
 * ```ts
 * const db = await openDatabase()
 * const docs = await db.createCollection('docs', { dimension: 128, metric: 'cosine' })
 * await docs.upsert([{ id: 'a', vector, text: 'hello', metadata: { lang: 'en' } }])
 * const hits = await docs.search({ vector, k: 10 })
 * ```
 */
import { Database, type DatabaseOptions } from './core/database.js';
import type { ClusterDatabase, ClusterOptions } from './cluster/cluster-database.js';

/**
 * Opens a database: in memory, or in the data directory `options.path`.
 * With `cluster`, opens a node of a cluster over PostgreSQL instead (see
 * the README's "Cluster mode"); the PostgreSQL driver loads only then.
 */
export async function openDatabase(options: DatabaseOptions & { cluster: ClusterOptions }): Promise<ClusterDatabase>;
export async function openDatabase(options?: DatabaseOptions): Promise<Database>;
export async function openDatabase(options: DatabaseOptions & { cluster?: ClusterOptions } = {}): Promise<Database | ClusterDatabase> {
  if (options !== null && typeof options === 'object' && 'cluster' in options && options.cluster !== undefined) {
    const { ClusterDatabase } = await import('./cluster/cluster-database.js');
    return ClusterDatabase.open(options as DatabaseOptions & { cluster: ClusterOptions });
  }
  return Database.open(options);
}

/**
 * Copies the backup in `from` (a directory `db.backup` wrote) into `to`,
 * empty or missing, after checking its store; then `openDatabase({ path: to })`
 * opens it. The backup itself is left as it was.
 */
export { restoreBackup } from './core/backup.js';

export type { Database, DatabaseOptions } from './core/database.js';
export type { Collection } from './core/collection/collection.js';
export type { ClusterDatabase, ClusterOptions, ClusterCollectionOptions } from './cluster/cluster-database.js';
export type { ClusterCollection, Consistency } from './cluster/cluster-collection.js';
export type {
  AliasInfo,
  BackedUpCollection,
  BackupResult,
  CollectionDiskUsage,
  CollectionInfo,
  CollectionStatus,
  Document,
  DocumentInput,
  DocumentUpdate,
  Explain,
  ExportOptions,
  FieldChange,
  ListPage,
  ReadConsistency,
  GetOptions,
  ListRequest,
  OptimizeResult,
  SearchResult,
  WhereOptions,
  SearchField,
  SearchHit,
  SearchRequest,
  SearchMode,
  Logger,
  SearchEvent,
  UnavailableCollection,
} from './core/api.js';
export type { CollectionOptions } from './core/collection/collection-options.js';
export type { EmbedderOptions, OpenAiEmbedderOptions, LocalEmbedderOptions } from './core/embedding/embedder-options.js';
export type { EmbeddingsLike } from './core/embedding/embedder.js';
export type { Metric, Quantization } from './core/options.js';
export type { Durability } from './core/storage/store.js';
export type { Metadata } from './core/validate.js';
export { SemanticCache, DEFAULT_CACHE_THRESHOLD, DEFAULT_CACHE_TTL_MS, type SemanticCacheOptions, type CacheHit, type CacheStats } from './semantic-cache/semantic-cache.js';
/** Every error Quiver throws on purpose is a QuiverError with a stable `code`. */
export { QuiverError, isQuiverError, ERRORS, type ErrorCode } from './core/errors.js';
