/**
 * Request checks of a collection: a search request checked and resolved
 * once (its terms tokenized once, its filter compiled once) into a
 * CheckedSearch, the option sets and limits of the other reads, and the
 * filter of a write by filter.
 */
import { createError } from '../errors.js';
import { compileFilter, type CompiledFilter } from '../filter/filter.js';
import type { KeywordStats } from '../keyword/bm25-index.js';
import { DEFAULT_ALPHA } from '../query/fusion.js';
import { normalizesAtInsert } from '../vector/metric.js';
import { DEFAULT_K, MAX_BATCH_SIZE, MAX_EF, MAX_EXAMPLE_IDS, MAX_GROUP_SIZE, MAX_K, MAX_MMR_CANDIDATES, MMR_MIN_CANDIDATES, MAX_QUERY_TERMS, MAX_QUERY_TEXT_LENGTH, READ_SLICE, isIntegerIn } from '../options.js';
import { checkSignal, checkVectorValues, throwIfAborted } from '../query/read-budget.js';
import { checkId, checkMetadata, checkText, checkVector, isPlainObject, type Metadata } from '../validate.js';
import type { DocumentInput, FusionMethod, SearchField, SearchRequest, WhereOptions } from '../api.js';
import type { ResolvedCollectionOptions } from './collection-options.js';
import { checkMmrWork, poolSize, type Controls } from '../query/result-controls.js';

import type { CollectionState } from './state.js';

export const DOCUMENT_KEYS = new Set(['id', 'vector', 'text', 'metadata']);

export const SEARCH_FLAGS = ['exact', 'explain', 'quantized'] as const;

export const SEARCH_KEYS = new Set([
  'vector', 'text', 'fusion', 'alpha', 'k', 'filter', 'ef', 'exact', 'explain', 'quantized', 'include', 'signal',
  'offset', 'minScore', 'groupBy', 'groupSize', 'mmr', 'like', 'unlike',
]);


export const FUSIONS = new Set<FusionMethod>(['relativeScore', 'rrf']);

/**
 * Each side of a hybrid search fetches at least this many candidates, so the
 * fused top k is the same for every k up to it (more for larger k).
 */
export const HYBRID_DEPTH = 100;

export const LIST_KEYS = new Set(['filter', 'limit', 'after', 'include', 'signal']);

export const GET_KEYS = new Set(['include', 'signal']);

/** What getMany returns when no include is given: the whole document. */
export const ALL_FIELDS: readonly SearchField[] = ['metadata', 'text', 'vector'];

export const SEARCH_FIELDS = new Set<SearchField>(['metadata', 'text', 'vector']);

export const DEFAULT_INCLUDE: readonly SearchField[] = ['metadata', 'text'];

export interface CheckedSearch {
  vector: Float32Array | undefined;
  text: string | undefined;
  /** The keyword query's terms, tokenized once. */
  terms: readonly string[] | undefined;
  fusion: FusionMethod;
  alpha: number;
  k: number;
  /** Ranked candidates the search makes before the result controls choose k hits: k without controls. */
  pool: number;
  /** Candidates the vector side fetches: the pool, or at least HYBRID_DEPTH each side of a hybrid search. */
  depth: number;
  /** The result controls (offset, minScore, groupBy, mmr, a search by example's exclusions); undefined without any. */
  controls: Controls | undefined;
  include: readonly SearchField[];
  filter: CompiledFilter | undefined;
  ef: number | undefined;
  exact: boolean | undefined;
  explain: boolean;
  quantized: boolean | undefined;
  signal: AbortSignal | undefined;
  /** Many hits with fields, or many candidates to fuse: answered a slice at a time (#answerInSlices). */
  sliced: boolean;
  /** A cluster's statistics for the keyword side (see ShardSearch). */
  keywordStats: KeywordStats | undefined;
  /** A hybrid search answers every fused candidate, not the pool (see ShardSearch). */
  wholeUnion: boolean;
}

/**
 * How one shard of a cluster answers its part of a search, for a
 * coordinator that merges the shards' answers (cluster/coordinator.ts):
 * BM25 over the whole cluster's statistics, and for a hybrid search each
 * side's `depth` best, answered as every candidate of the two sides with
 * both scores, so that the coordinator can fuse the cluster's sides as one
 * collection does its own.
 */
export interface ShardSearch {
  keywordStats?: KeywordStats;
  depth?: number;
}

export function isSearchField(field: unknown): boolean {
  return SEARCH_FIELDS.has(field as SearchField);
}

export function checkInclude(include: unknown): readonly SearchField[] {
  if (include === undefined) return DEFAULT_INCLUDE;
  if (!Array.isArray(include) || !include.every(isSearchField)) {
    throw createError('INVALID_ARGUMENT', 'include', 'an array of metadata, text, vector', include);
  }
  return include as SearchField[];
}

/** One document of a write, checked: what every write path stores (a keyword-only collection's vector is empty). */
export interface CheckedDocument {
  id: string;
  vector: Float32Array;
  text: string | undefined;
  metadata: { value: Metadata; json: string } | undefined;
}

/**
 * A batch of documents checked whole, as an upsert takes it: the fields,
 * ids (none twice), vectors against the collection's dimension and metric
 * (none in a keyword-only one), text and metadata. The embedded write path
 * and a cluster's both call it, so both refuse a batch with the same code.
 */
export function checkDocuments(documents: readonly DocumentInput[], name: string, options: ResolvedCollectionOptions): CheckedDocument[] {
  if (!Array.isArray(documents)) throw createError('INVALID_ARGUMENT', 'documents', 'an array of documents', documents);
  checkBatchSize(documents.length);
  const { dimension, metric, vectors } = options;
  const positions = new Map<string, number>();
  return documents.map((document, i): CheckedDocument => {
    const where = `documents[${i}]`;
    if (!isPlainObject(document)) throw createError('INVALID_DOCUMENT', where, 'expected an object');
    for (const key of Object.keys(document)) {
      if (!DOCUMENT_KEYS.has(key)) throw createError('INVALID_DOCUMENT', where, `unknown field '${key}'`);
    }
    const id = checkId(document.id, `${where}.id`);
    const first = positions.get(id);
    if (first !== undefined) throw createError('DUPLICATE_ID', id, first, i);
    positions.set(id, i);
    if (!vectors && document.vector !== undefined) {
      throw createError('INVALID_DOCUMENT', where, `collection '${name}' is keyword-only (created without a dimension): its documents carry no vector`);
    }
    const vector = vectors ? checkVector(document.vector, dimension, `${where}.vector`, normalizesAtInsert(metric)) : new Float32Array(0);
    return { id, vector, text: checkText(document.text, where), metadata: checkMetadata(document.metadata, where) };
  });
}

export function checkBatchSize(size: number): void {
  if (size > MAX_BATCH_SIZE) throw createError('INVALID_ARGUMENT', 'batch size', `at most ${MAX_BATCH_SIZE}`, size);
}

/** The terms of a keyword query, repeats kept (they weigh in BM25); LIMIT_EXCEEDED past MAX_QUERY_TERMS distinct ones. */
export function queryTerms(s: CollectionState, text: string): string[] {
  const terms = s.bm25.tokenize(text);
  const distinct = new Set(terms).size;
  if (distinct > MAX_QUERY_TERMS) {
    throw createError('LIMIT_EXCEEDED', 'MAX_QUERY_TERMS', 'the distinct terms of the keyword query', distinct, MAX_QUERY_TERMS, 'shorten the query text');
  }
  return terms;
}

export function checkSearch(s: CollectionState, request: SearchRequest, shard?: ShardSearch): CheckedSearch {
  if (!isPlainObject(request)) throw createError('INVALID_ARGUMENT', 'search request', 'an object', request);
  for (const key in request) {
    if (!SEARCH_KEYS.has(key)) throw createError('INVALID_ARGUMENT', `search option '${key}'`, [...SEARCH_KEYS].join(', '), key);
  }
  const k = request.k ?? DEFAULT_K;
  if (!isIntegerIn(k, 1, MAX_K)) throw createError('INVALID_ARGUMENT', 'k', `an integer from 1 to ${MAX_K}`, k);
  if (request.ef !== undefined && !isIntegerIn(request.ef, 1, MAX_EF)) {
    throw createError('INVALID_ARGUMENT', 'ef', `an integer from 1 to ${MAX_EF}`, request.ef);
  }
  for (const flag of SEARCH_FLAGS) {
    if (request[flag] !== undefined && typeof request[flag] !== 'boolean') {
      throw createError('INVALID_ARGUMENT', flag, 'a boolean', request[flag]);
    }
  }
  const include = checkInclude(request.include);
  if (!s.options.vectors) {
    for (const key of ['vector', 'like', 'unlike', 'mmr', 'exact', 'ef', 'quantized'] as const) {
      if (request[key] !== undefined) {
        throw createError('INVALID_ARGUMENT', `search option '${key}'`, `a keyword search: collection '${s.name}' is keyword-only (created without a dimension)`, key);
      }
    }
  }
  const { text, fusion = 'relativeScore' as FusionMethod, alpha = DEFAULT_ALPHA } = request as SearchRequest;
  if (request.vector === undefined && request.like === undefined && text === undefined) {
    throw createError('INVALID_ARGUMENT', 'search request', 'a vector (or like), a text query, or both', 'neither');
  }
  if (text !== undefined && (typeof text !== 'string' || text.length === 0 || text.length > MAX_QUERY_TEXT_LENGTH)) {
    throw createError('INVALID_ARGUMENT', 'text', `a non-empty string of at most ${MAX_QUERY_TEXT_LENGTH} characters`, text);
  }
  if (!FUSIONS.has(fusion)) throw createError('INVALID_ARGUMENT', 'fusion', [...FUSIONS].join(' or '), fusion);
  // 0 is a valid alpha (pure keyword), never "unset".
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) throw createError('INVALID_ARGUMENT', 'alpha', 'a number from 0 to 1', alpha);
  const signal = checkSignal(request.signal);
  if (include.includes('vector')) checkVectorValues(k, s.options.dimension, 'k');
  const example = request.like === undefined && request.unlike === undefined ? undefined : exampleQuery(s, request);
  const vector = example?.vector ?? (request.vector === undefined
    ? undefined
    : checkVector(request.vector, s.options.dimension, 'query vector', normalizesAtInsert(s.options.metric), false));
  const terms = text === undefined ? undefined : queryTerms(s, text);
  const filter = request.filter === undefined ? undefined : compileFilter(request.filter);
  const controls = checkControls(s.options.dimension, request, k, example?.labels);
  throwIfAborted(signal, 'search');
  const pool = controls === undefined ? k : poolSize(controls, k);
  const hybrid = vector !== undefined && text !== undefined;
  const depth = !hybrid ? pool : (shard?.depth ?? Math.max(pool, HYBRID_DEPTH));
  return {
    keywordStats: shard?.keywordStats,
    wholeUnion: hybrid && shard?.depth !== undefined,
    vector, text, terms, fusion, alpha, k, include, filter, pool, depth, controls, signal,
    sliced: (include.length > 0 && k > READ_SLICE) || (vector !== undefined && text !== undefined && depth > READ_SLICE),
    ef: request.ef,
    exact: request.exact as boolean | undefined,
    explain: request.explain === true,
    quantized: request.quantized as boolean | undefined,
  };
}

/**
 * A write's filter, compiled: one without conditions matches every
 * document, and is refused unless `options.all` says that is meant (a
 * forgotten filter must not empty or rewrite a collection).
 */
export function compileWhere(filter: Record<string, unknown>, options: WhereOptions, verb: 'delete' | 'update'): CompiledFilter {
  if (!isPlainObject(options)) throw createError('INVALID_ARGUMENT', 'options', 'an object such as { all: true }', options);
  for (const key of Object.keys(options)) if (key !== 'all') throw createError('INVALID_ARGUMENT', `options.${key}`, 'only all', key);
  if (options.all !== undefined && typeof options.all !== 'boolean') throw createError('INVALID_ARGUMENT', 'options.all', 'a boolean', options.all);
  const compiled = compileFilter(filter);
  if (compiled.root.kind === 'all' && options.all !== true) {
    throw createError('INVALID_FILTER', 'filter', `it has no condition, so it matches every document: pass all: true to ${verb} every document`);
  }
  return compiled;
}

/** The result controls of a search request, checked; undefined when it asks for none. */
export function checkControls(dimension: number, request: SearchRequest, k: number, examples: ReadonlySet<number> | undefined): Controls | undefined {
  const { offset = 0, minScore, groupBy, groupSize, mmr } = request;
  if (offset === 0 && minScore === undefined && groupBy === undefined && groupSize === undefined && mmr === undefined && examples === undefined) return undefined;
  if (!isIntegerIn(offset, 0, MAX_K - k)) throw createError('INVALID_ARGUMENT', 'offset', `an integer from 0 to ${MAX_K} - k (${MAX_K - k})`, offset);
  if (minScore !== undefined && (typeof minScore !== 'number' || !Number.isFinite(minScore))) throw createError('INVALID_ARGUMENT', 'minScore', 'a finite number', minScore);
  if (groupSize !== undefined && groupBy === undefined) throw createError('INVALID_ARGUMENT', 'groupSize', 'groupBy beside it', groupSize);
  if (groupSize !== undefined && !isIntegerIn(groupSize, 1, MAX_GROUP_SIZE)) throw createError('INVALID_ARGUMENT', 'groupSize', `an integer from 1 to ${MAX_GROUP_SIZE}`, groupSize);
  if (groupBy !== undefined && (typeof groupBy !== 'string' || groupBy.length === 0 || groupBy.split('.').some((part) => part.length === 0))) {
    throw createError('INVALID_ARGUMENT', 'groupBy', 'a metadata field name (a.b for a nested one)', groupBy);
  }
  if (groupBy !== undefined && mmr !== undefined) throw createError('INVALID_ARGUMENT', 'search request', 'groupBy or mmr, not both', 'both');
  let checkedMmr: Controls['mmr'];
  if (mmr !== undefined) {
    if (!isPlainObject(mmr) || Object.keys(mmr).some((key) => key !== 'lambda' && key !== 'candidates' && key !== 'relevance')) {
      throw createError('INVALID_ARGUMENT', 'mmr', 'an object { lambda?, candidates?, relevance? }', mmr);
    }
    const { lambda = 0.5, relevance = 'scaled', candidates = Math.min(MAX_MMR_CANDIDATES, Math.max(MMR_MIN_CANDIDATES, 4 * (offset + k))) } = mmr;
    if (typeof lambda !== 'number' || !(lambda >= 0 && lambda <= 1)) throw createError('INVALID_ARGUMENT', 'mmr.lambda', 'a number from 0 to 1', lambda);
    if (!isIntegerIn(candidates, offset + k, MAX_MMR_CANDIDATES)) {
      throw createError('INVALID_ARGUMENT', 'mmr.candidates', `an integer from offset + k (${offset + k}) to ${MAX_MMR_CANDIDATES}`, candidates);
    }
    if (relevance !== 'scaled' && relevance !== 'score') throw createError('INVALID_ARGUMENT', 'mmr.relevance', "'scaled' or 'score'", relevance);
    checkMmrWork(offset + k, candidates, dimension);
    checkedMmr = { lambda, candidates, relevance };
  }
  return {
    offset,
    minScore,
    groupBy: groupBy === undefined ? undefined : { path: groupBy, segments: groupBy.split('.'), size: groupSize ?? 1 },
    mmr: checkedMmr,
    exclude: examples,
  };
}

/** A search by example's query vector (exampleVector) from the examples' stored vectors, and their labels, which are never returned. */
function exampleQuery(s: CollectionState, request: SearchRequest): { vector: Float32Array; labels: Set<number> } {
  const { like, unlike } = checkExamples(request);
  const labels = new Set<number>();
  const stored = (ids: readonly string[], name: string): Float32Array[] => ids.map((id, i) => {
    checkId(id, `${name}[${i}]`);
    const label = s.labelOf.get(id);
    const vector = label === undefined ? undefined : s.table.vectorOf(label);
    if (label === undefined || vector === undefined) throw createError('DOCUMENT_NOT_FOUND', s.name, id);
    labels.add(label);
    return vector;
  });
  const vector = exampleVector(stored(like, 'like'), stored(unlike, 'unlike'), s.options.dimension, normalizesAtInsert(s.options.metric));
  return { vector, labels };
}

/** A search by example's `like` and `unlike` ids, checked (not yet looked up). */
export function checkExamples(request: SearchRequest): { like: readonly string[]; unlike: readonly string[] } {
  const { like, unlike = [] } = request;
  if (request.vector !== undefined) throw createError('INVALID_ARGUMENT', 'search request', 'vector or like, not both', 'both');
  if (like === undefined) throw createError('INVALID_ARGUMENT', 'unlike', 'like beside it', unlike);
  for (const [name, ids] of [['like', like], ['unlike', unlike]] as const) {
    if (!Array.isArray(ids) || (name === 'like' && ids.length === 0)) throw createError('INVALID_ARGUMENT', name, `${name === 'like' ? 'a non-empty ' : 'an '}array of ids`, ids);
  }
  if (like.length + unlike.length > MAX_EXAMPLE_IDS) throw createError('INVALID_ARGUMENT', 'like and unlike', `at most ${MAX_EXAMPLE_IDS} ids together`, like.length + unlike.length);
  like.forEach((id, i) => checkId(id, `like[${i}]`));
  unlike.forEach((id, i) => checkId(id, `unlike[${i}]`));
  return { like, unlike };
}

/**
 * The query vector of a search by example, 2 * avg(like) - avg(unlike)
 * (avg(like) without unlike), from the examples' stored vectors (each
 * scaled to unit length first in a cosine collection, so each example
 * weighs the same), summed in the order given.
 */
export function exampleVector(liked: readonly Float32Array[], unliked: readonly Float32Array[], dimension: number, cosine: boolean): Float32Array {
  const average = (vectors: readonly Float32Array[]): Float64Array => {
    const sum = new Float64Array(dimension);
    for (const stored of vectors) {
      let norm = 1;
      if (cosine) norm = Math.sqrt(stored.reduce((total, x) => total + x * x, 0)) || 1;
      for (let d = 0; d < sum.length; d++) sum[d]! += stored[d]! / norm;
    }
    return sum.map((x) => x / Math.max(1, vectors.length));
  };
  const like = average(liked);
  const unlike = unliked.length === 0 ? undefined : average(unliked);
  const vector = Float32Array.from(like, (x, d) => (unlike === undefined ? x : 2 * x - unlike[d]!));
  if (cosine && vector.every((x) => x === 0)) throw createError('INVALID_ARGUMENT', 'like and unlike', 'examples whose vectors do not cancel out', 'a zero query vector');
  return vector;
}
