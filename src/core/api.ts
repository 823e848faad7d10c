/**
 * The public types of the API: documents, search and list requests and
 * results, `explain`, collection info and status, the logger. The library
 * entry, the REST server and the remote client all take them from here; they
 * live apart from the classes so that the client's types come from a file of
 * types.
 */
import type { ResolvedCollectionOptions } from './collection/collection-options.js';
import type { PlanKind } from './query/planner.js';
import type { Metadata } from './validate.js';

/** A document as written by `upsert`. */
export interface DocumentInput {
  id: string;
  /** Required in a collection with a dimension; absent in a keyword-only one. */
  vector?: Float32Array | readonly number[];
  text?: string;
  metadata?: Metadata;
}

/**
 * A change to a document's stored fields that leaves its vector (and its
 * graph node) as it is: `update` and `updateWhere`. Applied in this order:
 * `metadata` replaces the whole metadata, then `set` sets top-level keys,
 * then `unset` removes top-level keys; `text` replaces the text.
 */
export interface FieldChange {
  /** Top-level metadata keys to set, each replacing that key's value (other keys are kept). */
  set?: Metadata;
  /** Top-level metadata keys to remove (absent keys are ignored). */
  unset?: readonly string[];
  /** The whole metadata to store instead; null removes it. Not with `set` or `unset`. */
  metadata?: Metadata | null;
  /** The text to store instead, indexed again for keyword search; null removes it. */
  text?: string | null;
}

/** A FieldChange to one document, by id (`update`). */
export interface DocumentUpdate extends FieldChange {
  id: string;
}

/**
 * How fresh a read must be in cluster mode (an embedded database's reads
 * always see every acknowledged write, and ignore this): `eventual`, what
 * the replica holds; `session` (the default), at least `minVersion` and
 * every version this process (or this client) wrote or read; `strong`, the
 * version PostgreSQL holds as the read starts.
 */
export interface ReadConsistency {
  consistency?: 'eventual' | 'session' | 'strong';
  /** A version the read must reflect: the version a write replied with. */
  minVersion?: number;
}

/** Options of a write by filter (`deleteWhere`, `updateWhere`). */
export interface WhereOptions {
  /**
   * Says that a filter without conditions (`{}`), which matches every
   * document, is meant: without it such a write is refused.
   */
  all?: boolean;
}

/** An alias and the collection it names (`listAliases`). */
export interface AliasInfo {
  alias: string;
  collection: string;
}

/** A document as read back by `get`: the vector exactly as it was written. */
export interface Document {
  id: string;
  /** Absent in a keyword-only collection. */
  vector?: Float32Array;
  text?: string;
  metadata?: Metadata;
}

/** How a search uses `text` alone: see SearchRequest.mode. */
export type SearchMode = 'keyword' | 'semantic' | 'hybrid';

export interface SearchRequest {
  /** Query vector of the collection's dimension. With `text` too, the search is hybrid. */
  vector?: Float32Array | readonly number[];
  /**
   * Keyword query, scored by BM25 over document text. With `vector` too, the
   * search is hybrid. Alone, on a collection with an embedder, it is
   * embedded into the query vector (see `mode`).
   */
  text?: string;
  /**
   * What `text` alone does: `keyword` (BM25), `semantic` (the text embedded
   * by the collection's embedder, a vector search) or `hybrid` (both,
   * fused). Default: `semantic` on a collection with an embedder, else
   * `keyword`.
   */
  mode?: SearchMode;
  /** The model that made `vector` (or should embed `text`): refused with EMBEDDER_MISMATCH unless it is the collection's embedder's. */
  model?: string;
  /**
   * How a hybrid search fuses its two lists: `relativeScore` (default;
   * min-max normalised scores weighted by `alpha`) or `rrf` (reciprocal rank
   * fusion, k = 60). See fusion.ts.
   */
  fusion?: FusionMethod;
  /**
   * Weight of the vector side, 0 (pure keyword) to 1 (pure vector), default
   * 0.5: relativeScore mixes normalised scores by it; rrf weights the two
   * lists 2 * alpha and 2 * (1 - alpha) (0.5 is plain RRF).
   */
  alpha?: number;
  /** Number of hits, 1 to MAX_K. Default DEFAULT_K (10). */
  k?: number;
  /** Metadata filter (see src/core/filter/filter.ts for the language); only matching documents are returned. */
  filter?: Record<string, unknown>;
  /** HNSW search breadth for this query (default: the collection's `hnsw.ef`); raised to at least k. */
  ef?: number;
  /** `true` forces the exact scan, `false` forces HNSW; omitted, the planner chooses by cost. */
  exact?: boolean;
  /** Return `{ hits, explain }` with the plan chosen and the time per stage. */
  explain?: boolean;
  /** For int8 collections: scan int8 codes and re-rank in f32 (default true); false scans f32 only. */
  quantized?: boolean;
  /** Fields to return with each hit; default metadata and text. */
  include?: readonly SearchField[];
  /** Aborting it stops a search that returns many hits between two slices of its work (REQUEST_ABORTED). */
  signal?: AbortSignal;
  /**
   * Skips this many hits (after every other control): page n of size k is
   * `offset: n * k`. offset + k is at most MAX_K. Pages agree with one
   * another while nothing is written when the search is exact (an exact
   * scan, keyword search), for hybrid search while offset + k is at most
   * HYBRID_DEPTH (100: each side's candidates, which the fused scores are
   * normalised over), and for HNSW when every page is asked with the same
   * `ef` of at least offset + k and `exact: false`.
   */
  offset?: number;
  /** Only hits scoring at least this (the score this search reports: similarity, BM25 or fused). */
  minScore?: number;
  /**
   * Groups hits by a metadata field, best group first (ranked by its best
   * hit); `k` then counts groups, and each holds up to `groupSize` hits
   * (default 1), each hit carrying its `group`. Documents whose field is
   * missing or not a string, number or boolean are left out. Groups are
   * formed from the best GROUP_POOL_FACTOR * k * groupSize candidates
   * (at most MAX_K).
   */
  groupBy?: string;
  groupSize?: number;
  /**
   * Maximal marginal relevance: hits re-ranked for diversity from the best
   * `candidates` (default 4 * k, at least 20, at most MAX_K), each next hit
   * maximising lambda * relevance - (1 - lambda) * (its highest cosine
   * similarity to a hit already chosen). Relevance is the search's own score
   * scaled to 0..1 over the candidates (`relevance: 'scaled'`, the default),
   * or the score as it is (`'score'`: with the cosine metric, LangChain's
   * maximalMarginalRelevance); similarity is between stored vectors.
   * lambda 1 keeps the search's order; 0 is the most diverse.
   */
  mmr?: { lambda?: number; candidates?: number; relevance?: 'scaled' | 'score' };
  /**
   * Search by example: the query vector is made from stored documents'
   * vectors (the average of `like`, moved away from the average of
   * `unlike`: 2 * avg(like) - avg(unlike)), instead of `vector`; the
   * example documents are not returned. With `text`, a hybrid search.
   */
  like?: readonly string[];
  unlike?: readonly string[];
}

/** Options of `getMany`. */
export interface GetOptions {
  /** Fields to return besides the id; default all (metadata, text and vector). */
  include?: readonly SearchField[];
  /** Aborting it stops a long read between two slices (REQUEST_ABORTED). */
  signal?: AbortSignal;
}

export type SearchField = 'metadata' | 'text' | 'vector';
export type FusionMethod = 'relativeScore' | 'rrf';

export interface SearchHit {
  id: string;
  /**
   * Higher is closer. Vector search: cosine similarity, dot product, or
   * negated squared L2 distance. Keyword search: BM25. Hybrid: the fused score.
   */
  score: number;
  /** Hybrid only: the exact vector score of this document. */
  vectorScore?: number;
  /** Hybrid only: the BM25 score of this document (0 when no query term occurs in it). */
  keywordScore?: number;
  /** With `groupBy`: the value of the field this hit was grouped by. */
  group?: string | number | boolean;
  metadata?: Metadata;
  text?: string;
  vector?: Float32Array;
}

/** How a search ran: the plan chosen, why, and where the time went. */
export interface Explain {
  /** exact or hnsw for vector search, keyword for BM25, hybrid for both. */
  plan: PlanKind | 'keyword' | 'hybrid';
  /** The vector side's plan in a hybrid search. */
  vectorPlan?: PlanKind;
  /** Candidates each side of a hybrid search fetched before fusion. */
  depth?: number;
  /** True when HNSW returned fewer than k filtered hits and the exact scan took over. */
  fallback: boolean;
  /** Live documents, and how many of them the filter allows. */
  total: number;
  candidates: number;
  /** ef handed to HNSW (after raising it for the filter's selectivity), or null for exact plans. */
  ef: number | null;
  /** True when the request's `exact` chose the plan instead of the planner. */
  forced: boolean;
  /** True when the planner ran its second choice to measure it again (one search in about 64 at most). */
  explored: boolean;
  /** The planner's cost estimates in milliseconds. */
  estimates: { exact: number; hnsw: number };
  /** Milliseconds per stage. */
  timings: { filter: number; search: number; fetch: number; total: number };
  /**
   * With result controls (offset, minScore, groupBy, mmr): how many ranked
   * candidates they chose the hits from, and how many were left after
   * minScore.
   */
  controls?: { pool: number; aboveMinScore: number };
  /**
   * Cluster mode: each shard's own explain, in shard order. The fields
   * above then describe the whole search: the first shard's plan, the
   * totals and candidates summed, each stage's time the slowest shard's,
   * `timings.total` the coordinator's.
   */
  shards?: Explain[];
}

export interface SearchResult {
  hits: SearchHit[];
  explain: Explain;
}

export interface ListRequest {
  filter?: Record<string, unknown>;
  /** Documents per page, 1 to MAX_LIST_LIMIT. Default DEFAULT_LIST_LIMIT. */
  limit?: number;
  /** The `next` cursor of the previous page. */
  after?: string;
  /** Fields to return besides the id; default metadata and text. */
  include?: readonly SearchField[];
  /** Aborting it stops a long page between two slices (REQUEST_ABORTED). */
  signal?: AbortSignal;
}

export interface ListPage {
  documents: Document[];
  /** Pass as `after` for the next page; null on the last page. */
  next: string | null;
}

/** What `optimize` did: segments laid out afresh, the bytes they went through on disk, the seconds taken. */
export interface OptimizeResult {
  segments: number;
  bytes: number;
  seconds: number;
}

export interface CollectionInfo {
  name: string;
  /** The vector settings; absent, with `keywordOnly`, in a collection created without a dimension. */
  dimension?: number;
  metric?: ResolvedCollectionOptions['metric'];
  quantization?: ResolvedCollectionOptions['quantization'];
  hnsw?: ResolvedCollectionOptions['hnsw'];
  /** True for a collection without vectors (created without a dimension): keyword search and filters only. */
  keywordOnly?: true;
  count: number;
  version: number;
  text: ResolvedCollectionOptions['text'];
  bm25: ResolvedCollectionOptions['bm25'];
  /** The embedder, when the collection has one (never a key: at most the name of the variable holding it). */
  embedder?: ResolvedCollectionOptions['embedder'];
  /** Deleted documents still in the HNSW graph (tombstones). */
  tombstones: number;
  /** Documents whose graph insert has not run yet (they are searched exactly meanwhile). */
  indexingBacklog: number;
  /**
   * `ready`; or `degraded` when the in-memory index could not be built on
   * open (`reason` says why): the documents can be read (get, list, count)
   * and deleted, not searched or written, until the database is reopened
   * with enough memory.
   */
  state: 'ready' | 'degraded';
  reason?: string;
  /**
   * Bytes the in-memory indexes hold: the vectors (f32 rows, or int8 codes)
   * in WebAssembly memory, and the HNSW graph (estimated from its nodes).
   */
  memory: { vectors: number; graph: number };
}

/** A collection that failed to open (its stored configuration is unreadable): it reports why, and can be dropped. */
export interface UnavailableCollection {
  name: string;
  state: 'unavailable';
  reason: string;
}

/** A collection's info (`state` ready or degraded), or why it could not be opened at all. */
export type CollectionStatus = CollectionInfo | UnavailableCollection;

/** Bytes one collection takes on disk (Database.diskUsage). */
export interface CollectionDiskUsage {
  /** Its tables and indexes in the store file, which all collections share. */
  store: number;
  /** Its snapshot files. */
  snapshots: number;
  total: number;
  snapshotDir: string;
}

/** Where the engine's messages go (openDatabase's `logger`). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** One search as Database.observeSearches reports it: the collection, the plan, and the engine's time. */
export interface SearchEvent {
  collection: string;
  plan: Explain['plan'];
  /** From the filter evaluated to the hits ranked (explain's `timings.search`), in seconds. */
  seconds: number;
}

/** Options of `Collection.export`. */
export interface ExportOptions {
  /** The fields besides the id (default: all of them: metadata, text, vector). */
  include?: readonly SearchField[];
  /** Aborting it stops the export between two pages (REQUEST_ABORTED). */
  signal?: AbortSignal;
}

/** One collection as a backup holds it. */
export interface BackedUpCollection {
  name: string;
  /** The collection's version in the copy: every write up to it is in, none after it. */
  version: number;
  /** Whether its snapshot files were copied too (a restored copy then opens without rebuilding its indexes). */
  snapshot: boolean;
}

/** What `Database.backup` and `restoreBackup` wrote. */
export interface BackupResult {
  /** The directory written: a data directory that `openDatabase({ path })` opens. */
  path: string;
  /** Every collection in the copy, by name. */
  collections: BackedUpCollection[];
  /** Bytes written (the store file and the snapshot files). */
  bytes: number;
  seconds: number;
}
