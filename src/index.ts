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

/** Opens a database: in memory, or in the data directory `options.path`. */
export async function openDatabase(options: DatabaseOptions = {}): Promise<Database> {
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
  GetOptions,
  ListRequest,
  OptimizeResult,
  SearchResult,
  WhereOptions,
  SearchField,
  SearchHit,
  SearchRequest,
  Logger,
  SearchEvent,
  UnavailableCollection,
} from './core/api.js';
export type { CollectionOptions } from './core/collection/collection-options.js';
export type { Metric, Quantization } from './core/options.js';
export type { Durability } from './core/storage/store.js';
export type { Metadata } from './core/validate.js';
/** Every error Quiver throws on purpose is a QuiverError with a stable `code`. */
export { QuiverError, isQuiverError, ERRORS, type ErrorCode } from './core/errors.js';
