/**
 * quiver/client: the library API over the REST API, built on fetch.
 *
 * ```ts
 * const db = new QuiverClient({ url: 'http://127.0.0.1:8080', apiKey })   // or: await openDatabase()
 * const docs = await db.createCollection('docs', { dimension: 128 })
 * await docs.upsert([{ id: 'a', vector, text: 'hello' }])
 * const hits = await docs.search({ vector, k: 10 })
 * ```
 *
 * Loads nothing of the engine at run time (no WebAssembly, hnswlib-node,
 * SQLite or Fastify): only types and the error table come from the core.
 */
export { QuiverClient, type PortableDatabase } from './client.js';
export { RemoteCollection, MAX_BATCH_SEARCHES, type PortableCollection } from './remote-collection.js';
export { RemoteSemanticCache, type RemoteSemanticCacheOptions } from './remote-semantic-cache.js';
export {
  DEFAULT_RETRIES,
  DEFAULT_RETRY_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  MAX_RETRIES,
  MAX_RETRY_WAIT_MS,
  MAX_TIMEOUT_MS,
  QuiverClientError,
  QuiverHttpError,
  type ClientErrorCode,
  type QuiverClientOptions,
} from './transport.js';
export { ROUTES, type Route, type RouteName } from './routes.js';
/** Server errors are QuiverErrors, the library's own class: one catch serves both. */
export { QuiverError, isQuiverError, type ErrorCode } from '../core/errors.js';
export type { CollectionStatus } from '../core/api.js';
export type {
  AliasInfo,
  CollectionInfo,
  Document,
  DocumentInput,
  DocumentUpdate,
  Explain,
  FieldChange,
  ListPage,
  ListRequest,
  OptimizeResult,
  SearchField,
  SearchHit,
  SearchRequest,
  SearchResult,
  WhereOptions,
} from '../core/api.js';
export type { CollectionOptions } from '../core/collection/collection-options.js';
export type { Metric, Quantization } from '../core/options.js';
export type { Metadata } from '../core/validate.js';
