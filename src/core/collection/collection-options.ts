/**
 * A collection's options: defaults merged, every field checked, one
 * INVALID_OPTIONS listing all problems, a frozen result. The limits and
 * defaults themselves live in options.ts (and the keyword ones beside it).
 */
import { resolveBm25Options, type Bm25Options, type ResolvedBm25Options } from '../keyword/bm25-index.js';
import { createError } from '../errors.js';
import {
  DEFAULT_HNSW_EF,
  DEFAULT_HNSW_EF_CONSTRUCTION,
  DEFAULT_HNSW_M,
  DEFAULT_METRIC,
  DEFAULT_RERANK,
  MAX_DIMENSION,
  MAX_EF,
  MAX_HNSW_M,
  MAX_SEGMENTS,
  MAX_RERANK,
  METRICS,
  QUANTIZATIONS,
  isIntegerIn,
  type Metric,
  type Quantization,
} from '../options.js';
import { resolveTextOptions, type ResolvedTextOptions, type TextOptions } from '../keyword/tokenizer.js';
import { resolveEmbedderOptions, type EmbedderOptions } from '../embedding/embedder-options.js';

export interface CollectionOptions {
  /**
   * Vector length, 1 to MAX_DIMENSION. Without it the collection is
   * keyword-only: its documents carry text and metadata but no vector, and
   * it answers keyword searches and filters (no vector option applies).
   */
  dimension?: number;
  /** `cosine` (vectors normalised at insert), `dot` or `l2` (squared Euclidean). Default `cosine`. */
  metric?: Metric;
  /** `int8` keeps int8 codes beside the f32 vectors for a ~4x cheaper exact scan, re-ranked in f32. Default `none`. */
  quantization?: Quantization;
  /** Re-rank factor for int8 search (see DEFAULT_RERANK). */
  rerank?: number;
  /** HNSW graph parameters; see DEFAULT_HNSW_*. */
  /**
   * `segments`: how many graphs the collection's HNSW index is split into
   * (label % segments), searched in parallel on the database's workers and
   * merged by score. Default: the database's `workers` (at least 1). Fixed at
   * creation.
   */
  hnsw?: { m?: number; efConstruction?: number; ef?: number; segments?: number };
  /** How document text becomes keyword terms (language, stemming, stopwords, CJK handling); see tokenizer.ts. */
  text?: TextOptions;
  /** BM25 scoring parameters k1 and b. */
  bm25?: Bm25Options;
  /**
   * The model that embeds this collection's text (embedding/embedder-options.ts):
   * an upsert without a vector embeds the document's text, and a search with
   * `text` alone runs as semantic search (`mode` chooses). Fixed at creation.
   */
  embedder?: EmbedderOptions;
}

export interface ResolvedCollectionOptions {
  /** 0 in a keyword-only collection (see `vectors`). */
  readonly dimension: number;
  /** False for a keyword-only collection: no vector index, no graph, documents without vectors. */
  readonly vectors: boolean;
  readonly metric: Metric;
  readonly quantization: Quantization;
  readonly rerank: number;
  readonly hnsw: Readonly<HnswOptions>;
  readonly text: ResolvedTextOptions;
  readonly bm25: ResolvedBm25Options;
  readonly embedder?: Readonly<EmbedderOptions>;
}

export interface HnswOptions {
  m: number;
  efConstruction: number;
  ef: number;
  segments: number;
}

/**
 * Merges defaults, checks every field and throws one INVALID_OPTIONS listing
 * all problems. `defaultSegments` comes from the database (its workers).
 */
export function resolveCollectionOptions(input: unknown, defaultSegments = 1): ResolvedCollectionOptions {
  const problems: string[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw createError('INVALID_OPTIONS', ['collection options must be an object']);
  }
  const options = input as Record<string, unknown>;
  const known = new Set(['dimension', 'metric', 'quantization', 'rerank', 'hnsw', 'text', 'bm25', 'embedder']);
  for (const key of Object.keys(options)) {
    if (key === 'shards' || key === 'replicas') problems.push(`'${key}' is a cluster-mode option: this database is embedded (see the README, "Cluster mode")`);
    else if (!known.has(key)) problems.push(`unknown option '${key}'`);
  }
  const { dimension, metric = DEFAULT_METRIC, quantization = 'none', rerank = DEFAULT_RERANK } = options;
  const vectors = dimension !== undefined;
  if (vectors && !isIntegerIn(dimension, 1, MAX_DIMENSION)) {
    problems.push(`dimension must be an integer from 1 to ${MAX_DIMENSION}, got ${String(dimension)}`);
  }
  if (!vectors) {
    for (const key of ['metric', 'quantization', 'rerank', 'hnsw']) {
      if (options[key] !== undefined) problems.push(`${key} applies to vectors: a collection without a dimension is keyword-only`);
    }
  }
  if (!METRICS.includes(metric as Metric)) {
    problems.push(`metric must be one of ${METRICS.join(', ')}, got ${String(metric)}`);
  }
  if (!QUANTIZATIONS.includes(quantization as Quantization)) {
    problems.push(`quantization must be one of ${QUANTIZATIONS.join(', ')}, got ${String(quantization)}`);
  }
  if (!isIntegerIn(rerank, 1, MAX_RERANK)) {
    problems.push(`rerank must be an integer from 1 to ${MAX_RERANK}, got ${String(rerank)}`);
  }
  const hnsw = resolveHnsw(options.hnsw, defaultSegments, problems);
  const text = collectProblems(() => resolveTextOptions(options.text ?? {}), problems);
  const bm25 = collectProblems(() => resolveBm25Options(options.bm25 ?? {}), problems);
  const embedder = resolveEmbedderOptions(options.embedder, vectors && typeof dimension === 'number' ? dimension : 0, problems);
  if (problems.length > 0 || text === undefined || bm25 === undefined) throw createError('INVALID_OPTIONS', problems);
  return Object.freeze({
    dimension: vectors ? (dimension as number) : 0,
    vectors,
    metric: metric as Metric,
    quantization: quantization as Quantization,
    rerank: rerank as number,
    hnsw,
    text,
    bm25,
    ...(embedder === undefined ? {} : { embedder }),
  });
}

/**
 * Resolved options as the store keeps them, which resolveCollectionOptions
 * reads back to the same options: a keyword-only collection's has no
 * dimension, and none has the `vectors` flag derived from it.
 */
export function storedOptions(options: ResolvedCollectionOptions): string {
  const { dimension, vectors, metric, quantization, rerank, hnsw, ...rest } = options;
  return JSON.stringify(vectors ? { dimension, metric, quantization, rerank, hnsw, ...rest } : rest);
}

/** Runs a nested resolver, adding its problems to `problems` instead of throwing them one group at a time. */
function collectProblems<T>(resolve: () => T, problems: string[]): T | undefined {
  try {
    return resolve();
  } catch (error) {
    const message = (error as Error).message.replace(/^Invalid options: /, '').replace(/\.$/, '');
    problems.push(message);
    return undefined;
  }
}

const HNSW_KEYS = new Set(['m', 'efConstruction', 'ef', 'segments']);

function resolveHnsw(input: unknown, defaultSegments: number, problems: string[]): Readonly<HnswOptions> {
  if (input === undefined) input = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    problems.push('hnsw must be an object');
    input = {};
  }
  const options = input as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!HNSW_KEYS.has(key)) problems.push(`unknown option 'hnsw.${key}'`);
  }
  const { m = DEFAULT_HNSW_M, efConstruction = DEFAULT_HNSW_EF_CONSTRUCTION, ef = DEFAULT_HNSW_EF, segments = defaultSegments } = options;
  if (!isIntegerIn(m, 2, MAX_HNSW_M)) problems.push(`hnsw.m must be an integer from 2 to ${MAX_HNSW_M}, got ${String(m)}`);
  if (!isIntegerIn(efConstruction, 1, MAX_EF)) {
    problems.push(`hnsw.efConstruction must be an integer from 1 to ${MAX_EF}, got ${String(efConstruction)}`);
  }
  if (!isIntegerIn(ef, 1, MAX_EF)) problems.push(`hnsw.ef must be an integer from 1 to ${MAX_EF}, got ${String(ef)}`);
  if (!isIntegerIn(segments, 1, MAX_SEGMENTS)) problems.push(`hnsw.segments must be an integer from 1 to ${MAX_SEGMENTS}, got ${String(segments)}`);
  return Object.freeze({ m: m as number, efConstruction: efConstruction as number, ef: ef as number, segments: segments as number });
}
