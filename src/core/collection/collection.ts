/**
 * A collection: documents in the store of record, their vectors in the
 * exact index, and the id <-> label maps. Every write is validated whole,
 * admitted by memory, then written to the store and applied in memory in
 * one transaction that commits only once the apply succeeded (#commit); a
 * rejected batch changes nothing. Every write bumps `version`.
 *
 * Still long (about 1,900 lines) because the class holds several jobs that
 * share its private state: request checks, the id/label maps, the write
 * queue and its all-or-nothing commit, the search pipeline (with its path
 * in slices for large reads), snapshot restore and scheduling, compaction.
 * Splitting them apart means passing that state between files; issue 18
 * (the layout) does it, one verb per file. Its public types already live in
 * collection-api.ts, the metadata index's background read in
 * metadata-loader.ts.
 */
import { tmpdir } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { hasLabel, labelsOf } from '../filter/bitset.js';
import { Bm25Index } from '../keyword/bm25-index.js';
import { createError, isQuiverError } from '../errors.js';
import type { FieldCache, FieldCacheScope, StoredFields } from '../storage/field-cache.js';
import { compileFilter, type CompiledFilter } from '../filter/filter.js';
import { MetadataIndex } from '../filter/metadata-index.js';
import { MetadataLoader } from '../filter/metadata-loader.js';
import { FlatIndex, type TopK } from '../vector/flat-index.js';
import type { VectorMemory } from '../vector/vector-memory.js';
import { DEFAULT_ALPHA, DEFAULT_RRF_K, reciprocalRankFusion, relativeScoreFusion, type Fused } from '../query/fusion.js';
import { GRAPH_FIXED_BYTES, graphBytesPerNode, type GraphHits } from '../graph/hnsw-index.js';
import { COLLECTION_BASE_BYTES, type DocumentCost, type MemoryBudget } from './memory-budget.js';
import { normalize, normalizesAtInsert } from '../vector/metric.js';
import {
  DEFAULT_INITIAL_CAPACITY,
  DEFAULT_K,
  DEFAULT_LIST_LIMIT,
  INT8_FIT_SAMPLE,
  MAX_BATCH_SIZE,
  MAX_EF,
  MAX_K,
  MAX_LIST_LIMIT,
  MAX_GET_IDS,
  MAX_QUERY_TERMS,
  MAX_QUERY_TEXT_LENGTH,
  READ_SLICE,
  isIntegerIn,
} from '../options.js';
import { checkSignal, checkVectorValues, FieldBudget, nextSlice, throwIfAborted } from '../query/read-budget.js';
import { CurrentLabels, keptAt, keptRanked } from '../query/current-labels.js';
import type { ResolvedCollectionOptions } from './collection-options.js';
import { Planner, type Plan, type PlanInput, type PlanKind } from '../query/planner.js';
import { readArenaMeta, readArenaVectors, readSnapshot, verifyGraph, writeSnapshot, type ArenaVectors } from '../storage/snapshot.js';
import { SegmentedGraph, type SegmentHosting } from '../graph/segmented-graph.js';
import type { Change, DocumentRow, DocumentTable, RowWrite } from '../storage/store.js';
import { checkId, checkMetadata, checkText, checkVector, isPlainObject, type Metadata } from '../validate.js';
import type {
  CollectionInfo, Document, DocumentInput, Explain, Logger, FusionMethod, GetOptions, ListPage, ListRequest, OptimizeResult, SearchField, SearchHit, SearchRequest, SearchResult,
} from '../api.js';

/** The memory a collection's indexes take: WebAssembly memory for the vectors, and admission of writes (memory-budget.ts). */
export interface CollectionMemory {
  vectors: VectorMemory;
  budget: MemoryBudget;
  /** Hits' text and metadata kept in memory, shared by the database's collections. */
  fields: FieldCache;
}

/** Where and when a collection snapshots its derived state; see Database. */
export interface Persistence {
  /** Snapshot directory; undefined for in-memory databases (nothing to restart from). */
  dir: string | undefined;
  /** Snapshot once this many documents changed since the last one. */
  snapshotAfter: number;
  /** Compact once tombstones pass this fraction of the graph. */
  compactAt: number;
  log: Logger;
  /** Where the HNSW segments live: worker threads, or this thread. */
  hosting: SegmentHosting;
}


/** One vector search in this many is timed and fed back to the planner. */
const PLANNER_SAMPLE = 8;

/**
 * Writers wait while more labels than this await their graph insert on the
 * workers: a bulk load runs at the pace of the graph builders, and the exact
 * scan of pending labels each search adds stays small. During an ingest that
 * scan was the main thread's largest cost per search at 1,024 (about 40 µs
 * at dim 128); at 512, search p99 during a 128-document-batch ingest fell
 * from 1.6-1.9 ms to 1.4-1.5 ms in scratch runs (not in the full
 * bench:scale runs) and the build speed held. At 256 a
 * 1,000-document batch can leave the workers without work while the main
 * thread commits it (2 workers built 7% slower).
 */
const MAX_GRAPH_BACKLOG = 512;

/**
 * A collection of more than snapshotAfter / SNAPSHOT_SHARE documents
 * snapshots once this share of it changed: a snapshot writes every vector
 * and the whole graph (12 GB at 1,000,000 x 1536), so a fixed threshold
 * made a bulk load write its data again every 20,000 documents. A restart
 * after a crash replays at most about this share.
 */
const SNAPSHOT_SHARE = 0.25;

/** Fewer tombstones than this cost too little to be worth a rebuild. */
const MIN_COMPACT_TOMBSTONES = 1_000;
/** Compaction yields to the event loop after this many milliseconds of graph building. */
const COMPACTION_SLICE_MS = 8;

/** Below this many candidates per bitset word, the exact scan walks a label list instead of the bitset. */
const LABEL_LIST_DENSITY = 1 / 16;

const DOCUMENT_KEYS = new Set(['id', 'vector', 'text', 'metadata']);
const SEARCH_FLAGS = ['exact', 'explain', 'quantized'] as const;
/** Unit-length query buffers kept for reuse: as many searches as usually overlap. */
const MAX_POOLED_QUERIES = 16;
const SEARCH_KEYS = new Set(['vector', 'text', 'fusion', 'alpha', 'k', 'filter', 'ef', 'exact', 'explain', 'quantized', 'include', 'signal']);
const FUSIONS = new Set<FusionMethod>(['relativeScore', 'rrf']);
/**
 * Each side of a hybrid search fetches at least this many candidates, so the
 * fused top k is the same for every k up to it (more for larger k).
 */
export const HYBRID_DEPTH = 100;
const LIST_KEYS = new Set(['filter', 'limit', 'after', 'include', 'signal']);
const GET_KEYS = new Set(['include', 'signal']);
/** What getMany returns when no include is given: the whole document. */
const ALL_FIELDS: readonly SearchField[] = ['metadata', 'text', 'vector'];
const SEARCH_FIELDS = new Set<SearchField>(['metadata', 'text', 'vector']);
const DEFAULT_INCLUDE: readonly SearchField[] = ['metadata', 'text'];

export class Collection {
  readonly name: string;
  /**
   * Random, fixed at creation, never reused: with `version` it names one
   * state of one collection (a collection re-created under the same name
   * starts at version 0 again), e.g. in cache keys shared between processes.
   */
  readonly uid: string;
  readonly options: ResolvedCollectionOptions;
  readonly #table: DocumentTable;
  readonly #memory: CollectionMemory;
  readonly #fieldCache: FieldCacheScope;
  readonly #cost: DocumentCost;
  /** Why the in-memory index could not be built, when it could not (see `info.state`). */
  #unavailable: string | undefined;
  #flat: FlatIndex;
  /**
   * Set after a snapshot restore while the vector rows stream in (see
   * #loadRows): writes, exact plans and hybrid fusion wait for it; HNSW
   * searches and keyword searches do not.
   */
  #rowsLoading: Promise<void> | undefined;
  #hnsw: SegmentedGraph;
  #bm25: Bm25Index;
  /**
   * The metadata index, once complete. A new collection starts with an empty
   * one; an opened one reads it from the store in the background (#metadataLoad)
   * and a filter that comes first finishes that at once.
   */
  #metadata: MetadataIndex | undefined;
  #metadataLoad: MetadataLoader | undefined;
  /** A restored snapshot's copy of the metadata index and the labels replayed since, until the background read starts. */
  #metadataSnapshot: { bytes: Uint8Array; changed: number[] } | undefined;
  readonly #planner = new Planner();
  readonly #labels = new Map<string, number>();
  /** The labels in list order as of a version (#sortedLabels). */
  #listOrder: { version: number; labels: Int32Array } | undefined;
  #ids: (string | undefined)[] = [];
  #freeLabels: number[] = [];
  #version: number;
  #open = true;
  readonly #assertUsable: () => void;

  /** @internal Created by Database; use `db.createCollection` or `db.collection`. */
  readonly #persistence: Persistence;
  /** Version of the newest snapshot on disk (or restored from). */
  #snapshotVersion = 0;
  #snapshotScheduled = false;
  #searches = 0;
  /**
   * Unit-length copies of cosine queries, reused: a fresh 512-byte
   * Float32Array per query was an off-heap allocation, a free and sweeper
   * work, about 1.2 µs of a 40 µs graph search on 100k vectors. A search
   * takes one for its whole run (workers may still be reading it) and
   * gives it back when it ends.
   */
  readonly #unitQueries: Float32Array[] = [];
  /** Graph searches awaiting their segments now. */
  #graphSearches = 0;
  /** Documents written or deleted since the last snapshot. */
  #changedSinceSnapshot = 0;
  /** Labels written while a compaction rebuilds the graph; replayed into the new graph before the swap. */
  #touchedDuringCompaction: Set<number> | undefined;
  #compaction: Promise<boolean> | undefined;
  /** The graph a compaction is building, until it replaces #hnsw or is dropped. */
  #freshGraph: SegmentedGraph | undefined;
  #snapshotting: Promise<boolean> | undefined;
  /** The last write queued: writes run one at a time, in the order they were called. */
  #writes: Promise<unknown> = Promise.resolve();

  /** @internal Created by Database; use `db.createCollection` or `db.collection`. */
  constructor(
    name: string,
    uid: string,
    options: ResolvedCollectionOptions,
    table: DocumentTable,
    version: number,
    persistence: Persistence,
    memory: CollectionMemory,
    assertUsable: () => void,
  ) {
    this.name = name;
    this.uid = uid;
    this.options = options;
    this.#table = table;
    this.#version = version;
    this.#persistence = persistence;
    this.#memory = memory;
    this.#fieldCache = memory.fields.scope();
    this.#flat = this.#emptyVectors();
    this.#cost = { vectors: this.#flat.rowBytes, graph: graphBytesPerNode(options.dimension, options.hnsw.m) };
    this.#hnsw = this.#emptyGraph(DEFAULT_INITIAL_CAPACITY);
    this.#bm25 = this.#emptyKeywordIndex();
    this.#assertUsable = assertUsable;
    // Version 0: nothing was ever written, so the index is complete empty and kept from the first write on.
    if (version === 0) this.#metadata = new MetadataIndex();
  }

  get dimension(): number {
    return this.options.dimension;
  }

  get metric(): ResolvedCollectionOptions['metric'] {
    return this.options.metric;
  }

  /** Number of documents. */
  get count(): number {
    return this.#labels.size;
  }

  /** Bumped by every write; caches key on it. */
  get version(): number {
    return this.#version;
  }

  get info(): CollectionInfo {
    const { dimension, metric, quantization, hnsw, text, bm25 } = this.options;
    const info: CollectionInfo = {
      name: this.name, dimension, metric, quantization, hnsw, text, bm25,
      count: this.count, version: this.#version, tombstones: this.#hnsw.tombstones, indexingBacklog: this.#hnsw.backlog,
      state: this.#unavailable === undefined ? 'ready' : 'degraded',
      memory: { vectors: this.#flat.memoryBytes, graph: (this.#hnsw.size + this.#hnsw.tombstones) * this.#cost.graph + this.#hnsw.fixedBytes },
    };
    if (this.#unavailable !== undefined) info.reason = this.#unavailable;
    return info;
  }

  /**
   * Estimated bytes held in memory: what a database's memoryLimit counts.
   * An empty collection's bookkeeping, plus its indexes (none while
   * degraded): each document's vectors and graph node, and the graph's
   * segments' fixed cost once it has any (none while it is empty).
   */
  get memoryBytes(): number {
    if (this.#unavailable !== undefined) return COLLECTION_BASE_BYTES;
    return COLLECTION_BASE_BYTES + this.count * (this.#cost.vectors + this.#cost.graph) + this.#hnsw.fixedBytes;
  }

  /**
   * Inserts documents, replacing any with the same id. All or nothing:
   * searches see the whole batch at once, when the returned promise
   * resolves, and a rejected batch changes nothing.
   */
  async upsert(documents: readonly DocumentInput[]): Promise<{ upserted: number; version: number }> {
    this.#checkIndexed();
    return this.#queueWrite(async () => {
      // A loop of awaited upserts would otherwise run back to back in one turn of the event
      // loop, holding back I/O and search replies: each write gives them a turn first.
      await nextTurn();
      if (this.#hnsw.backlog > MAX_GRAPH_BACKLOG) await this.#hnsw.backlogBelow(MAX_GRAPH_BACKLOG / 2);
      this.#checkIndexed();
      const { rows, metadata, freeLeft } = this.#prepareWrites(documents);
      // Memory first, the store after: a batch that does not fit is rejected with nothing stored.
      this.#makeRoom(rows);
      const version = this.#version + 1;
      this.#commit(rows.map((row) => row.label), (apply) => this.#table.put(rows, version, apply), () => {
        rows.forEach((row, i) => this.#apply(row.label, row.id, row.vector, row.text, metadata[i]));
      });
      this.#freeLabels.length = freeLeft;
      this.#version = version;
      this.#changedSinceSnapshot += rows.length;
      this.#afterWrite();
      return { upserted: rows.length, version };
    });
  }

  /**
   * Admits a validated batch by memory (memory-budget.ts) and makes room
   * for its labels in the vector index, before anything is stored. Throws
   * OUT_OF_MEMORY, saying what ran out and how much the batch needs.
   */
  #makeRoom(rows: readonly RowWrite[]): void {
    let added = 0;
    let bound = 0;
    for (const row of rows) {
      if (!row.replaces) added++;
      if (row.label >= bound) bound = row.label + 1;
    }
    // The first document makes the graph's segments, each with hnswlib's fixed cost (SegmentedGraph.fixedBytes).
    const segments = added > 0 && this.#hnsw.fixedBytes === 0 ? this.options.hnsw.segments * GRAPH_FIXED_BYTES : 0;
    this.#memory.budget.admit(this.name, added, this.#cost, 'write', segments);
    try {
      this.#vectors.prepare(bound, rows.map((row) => row.vector));
    } catch (error) {
      if (!isQuiverError(error) || error.code !== 'OUT_OF_MEMORY') throw error;
      const why = error.message.replace(/^Out of memory: /, '').replace(/\.$/, '');
      throw createError('OUT_OF_MEMORY', `collection '${this.name}' could not make room for ${added} new documents: ${why}; the batch was not stored`);
    }
  }

  /**
   * Runs `write` once every write queued before it has finished, so writes
   * apply in the order they were called: an upsert waits a turn (and for
   * the graph backlog) before it applies, and a delete called after it
   * must not overtake it.
   */
  #queueWrite<T>(write: () => Promise<T>): Promise<T> {
    // Writes change the vector rows, so they also wait for rows still streaming in from a snapshot.
    const result = this.#writes.then(async () => {
      if (this.#rowsLoading !== undefined) await this.#rowsLoading;
      return write();
    });
    this.#writes = result.catch(() => undefined);
    return result;
  }

  /** The document with this id, or null. */
  async get(id: string): Promise<Document | null> {
    this.#checkUsable();
    checkId(id, 'id');
    const row = this.#table.byId(id);
    return row ? toDocument(row) : null;
  }

  /**
   * Documents by id, in the order asked; null where an id does not exist.
   * `include` picks the fields besides the id (default: all of them); at
   * most MAX_GET_IDS ids, and the reply's bounds of read-budget.ts.
   */
  async getMany(ids: readonly string[], options: GetOptions = {}): Promise<(Document | null)[]> {
    this.#checkUsable();
    if (!Array.isArray(ids)) throw createError('INVALID_ARGUMENT', 'ids', 'an array of ids', ids);
    if (!isPlainObject(options)) throw createError('INVALID_ARGUMENT', 'getMany options', 'an object', options);
    for (const key of Object.keys(options)) {
      if (!GET_KEYS.has(key)) throw createError('INVALID_ARGUMENT', `getMany option '${key}'`, [...GET_KEYS].join(', '), key);
    }
    if (ids.length > MAX_GET_IDS) {
      throw createError('LIMIT_EXCEEDED', 'MAX_GET_IDS', 'the number of ids', ids.length, MAX_GET_IDS, 'ask in several calls, or page through list');
    }
    ids.forEach((id, i) => checkId(id, `ids[${i}]`));
    const include = options.include === undefined ? ALL_FIELDS : checkInclude(options.include);
    const signal = checkSignal(options.signal);
    if (include.includes('vector')) checkVectorValues(ids.length, this.options.dimension, 'the number of ids');
    const budget = new FieldBudget();
    const documents: (Document | null)[] = [];
    for (let from = 0; from < ids.length; from += READ_SLICE) {
      if (from > 0) await this.#nextSlice(signal);
      for (const id of ids.slice(from, from + READ_SLICE)) {
        const row = this.#table.byId(id);
        documents.push(row ? this.#withFields(row, include, budget) : null);
      }
    }
    return documents;
  }

  /** Deletes documents by id; ids that do not exist are skipped. Returns how many were deleted. */
  async delete(ids: readonly string[]): Promise<{ deleted: number; version: number }> {
    this.#checkUsable();
    if (!Array.isArray(ids)) throw createError('INVALID_ARGUMENT', 'ids', 'an array of ids', ids);
    checkBatchSize(ids.length);
    ids.forEach((id, i) => checkId(id, `ids[${i}]`));
    return this.#queueWrite(async () => {
      this.#checkUsable();
      const labels: number[] = [];
      for (const id of new Set(ids)) {
        const label = this.#labels.get(id);
        if (label !== undefined) labels.push(label);
      }
      return this.#removeLabels(labels);
    });
  }

  /** Deletes every document matching `filter` in one transaction. Returns how many were deleted. */
  async deleteWhere(filter: Record<string, unknown>): Promise<{ deleted: number; version: number }> {
    this.#checkUsable();
    const compiled = compileFilter(filter);
    return this.#queueWrite(async () => {
      this.#checkUsable();
      const { bitset } = this.#metadataIndex().evaluate(compiled);
      return this.#removeLabels(Array.from(labelsOf(bitset)));
    });
  }

  #removeLabels(labels: readonly number[]): { deleted: number; version: number } {
    if (labels.length === 0) return { deleted: 0, version: this.#version };
    const version = this.#version + 1;
    this.#commit(labels, (apply) => this.#table.remove(labels, version, apply), () => {
      for (const label of labels) this.#unindex(label);
    });
    for (const label of labels) this.#freeLabels.push(label);
    this.#version = version;
    this.#changedSinceSnapshot += labels.length;
    this.#afterWrite();
    return { deleted: labels.length, version };
  }

  /**
   * The k best documents among those the filter allows, best first: closest
   * to `request.vector`, best BM25 match for `request.text`, or both fused
   * (hybrid). With `explain: true`, resolves to `{ hits, explain }` (and
   * times each stage; otherwise nothing is timed).
   */
  search(request: SearchRequest & { explain: true }): Promise<SearchResult>;
  search(request: SearchRequest): Promise<SearchHit[]>;
  search(request: SearchRequest): Promise<SearchHit[] | SearchResult> {
    // Not an async function: those allocate their suspended frame on every call, and a search the graph
    // answers on this thread never suspends. That frame was a tenth of what such a search allocated.
    try {
      const answer = this.#searchNow(request);
      return answer instanceof Promise ? answer : Promise.resolve(answer);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** `search`, answered at once unless the vector side waits for worker threads. */
  #searchNow(request: SearchRequest): SearchHit[] | SearchResult | Promise<SearchHit[] | SearchResult> {
    this.#checkIndexed();
    const started = request?.explain === true ? performance.now() : 0;
    const checked = this.#checkSearch(request);
    // Right after open the metadata index is read in the background: a filter waits for it without blocking others.
    if (checked.filter !== undefined && this.#metadataLoad !== undefined) return this.#searchOnceMetadataLoaded(request, this.#metadataLoad);
    const allowed = this.#allowedBy(checked.filter);
    const total = this.count;
    const candidates = allowed ? allowed.count : total;
    const clock: SearchClock | undefined = checked.explain ? { started, filtered: performance.now(), total, candidates } : undefined;
    if (checked.vector === undefined) return this.#answer(checked, allowed, undefined, undefined, clock);
    // Hybrid fusion scores every candidate exactly: it waits for rows still streaming in after open.
    if (checked.text !== undefined && this.#rowsLoading !== undefined) return this.#searchOnceRowsLoaded(request);
    const unit = normalizesAtInsert(this.options.metric) ? this.#takeUnitQuery(checked.vector) : undefined;
    const query = unit ?? checked.vector;
    let found: VectorOutcome | Promise<VectorOutcome>;
    try {
      found = this.#vectorSearch(query, checked, allowed, candidates);
    } catch (error) {
      this.#giveBackUnitQuery(unit);
      throw error;
    }
    if (found instanceof Promise) {
      return found.then(
        (vector) => {
          // Dropped (or closed) while the workers searched: its store table may be gone.
          this.#checkUsable();
          return this.#answer(checked, vector.allowed, query, vector, clock);
        },
        (error: unknown) => {
          this.#checkUsable();
          throw error;
        },
      ).finally(() => this.#giveBackUnitQuery(unit));
    }
    let answer: SearchHit[] | SearchResult | Promise<SearchHit[] | SearchResult>;
    try {
      answer = this.#answer(checked, allowed, query, found, clock);
    } catch (error) {
      this.#giveBackUnitQuery(unit);
      throw error;
    }
    // A search answered in slices goes on scoring with the query after this returns.
    if (answer instanceof Promise) return answer.finally(() => this.#giveBackUnitQuery(unit));
    this.#giveBackUnitQuery(unit);
    return answer;
  }

  /**
   * The hits of a search whose vector side (if any) is done: the keyword
   * side, fusion, the fetched fields, and explain.
   */
  #answer(
    checked: CheckedSearch,
    allowed: { bitset: Uint32Array; count: number } | undefined,
    query: Float32Array | undefined,
    vector: VectorOutcome | undefined,
    clock: SearchClock | undefined,
  ): SearchHit[] | SearchResult | Promise<SearchHit[] | SearchResult> {
    if (checked.sliced) return this.#answerInSlices(checked, allowed, query, vector, clock);
    const { k, include } = checked;
    let labels: ArrayLike<number>;
    let scores: ArrayLike<number>;
    let parts: FusedParts | undefined;
    if (vector === undefined) {
      ({ labels, scores } = this.#bm25.searchTokens(checked.terms!, k, allowed?.bitset));
    } else if (checked.text === undefined) {
      ({ labels, scores } = vector.top);
    } else {
      const keyword = this.#bm25.searchTokens(checked.terms!, checked.depth, allowed?.bitset);
      const union = Int32Array.from(new Set([...vector.top.labels, ...keyword.labels]));
      const scored = this.#scoreUnion(query!, checked.terms!, union);
      const fused = this.#fuse(checked, vector.top, keyword, union, scored);
      labels = fused.labels.length > k ? fused.labels.subarray(0, k) : fused.labels;
      scores = fused.scores;
      parts = { vector: fused.vectorScores, keyword: fused.keywordScores };
    }
    const searched = clock ? performance.now() : 0;
    const hits = this.#hits(labels, scores, include, new FieldBudget());
    return this.#finishAnswer(hits, labels, parts, checked, vector, clock, searched);
  }

  /**
   * `#answer` for a search that returns many hits with fields, or fuses
   * many candidates (see READ_SLICE): the same stages, a slice at a time,
   * with a turn of the event loop between slices, stopping when the
   * collection is dropped or the caller aborts. Writes may land during
   * those turns: a candidate whose label no longer holds the document it
   * held when the search began (deleted, or reused by another id), or that
   * no longer passes the filter, is left out, so every hit is a current
   * document (the answer may then hold fewer than k).
   */
  async #answerInSlices(
    checked: CheckedSearch,
    allowed: { bitset: Uint32Array; count: number } | undefined,
    query: Float32Array | undefined,
    vector: VectorOutcome | undefined,
    clock: SearchClock | undefined,
  ): Promise<SearchHit[] | SearchResult> {
    const { k, include, signal } = checked;
    const current = new CurrentLabels(this.#ids, this.#version, () => this.#allowedBy(checked.filter));
    let labels: ArrayLike<number>;
    let scores: ArrayLike<number>;
    let parts: FusedParts | undefined;
    if (vector === undefined) {
      ({ labels, scores } = this.#bm25.searchTokens(checked.terms!, k, allowed?.bitset));
      current.remember(labels);
    } else if (checked.text === undefined) {
      ({ labels, scores } = vector.top);
      current.remember(labels);
    } else {
      const keyword = this.#bm25.searchTokens(checked.terms!, checked.depth, allowed?.bitset);
      let union = Int32Array.from(new Set([...vector.top.labels, ...keyword.labels]));
      current.remember(union);
      let scored = { vector: new Float32Array(union.length), keyword: new Float32Array(union.length) };
      for (let from = 0; from < union.length; from += READ_SLICE) {
        await this.#nextSlice(signal);
        const slice = this.#scoreUnion(query!, checked.terms!, union.subarray(from, from + READ_SLICE));
        scored.vector.set(slice.vector, from);
        scored.keyword.set(slice.keyword, from);
      }
      let sides: [Ranked, TopK] = [vector.top, keyword];
      const keep = current.keeper(this.#version);
      if (keep) {
        // A candidate deleted during the turns was scored as nothing: it leaves the fusion, not only the hits.
        const at = keptAt(union, keep);
        union = Int32Array.from(at, (i) => union[i]!);
        scored = { vector: Float32Array.from(at, (i) => scored.vector[i]!), keyword: Float32Array.from(at, (i) => scored.keyword[i]!) };
        sides = [keptRanked(vector.top, keep), keptRanked(keyword, keep)];
      }
      const fused = this.#fuse(checked, sides[0], sides[1], union, scored);
      labels = fused.labels.length > k ? fused.labels.subarray(0, k) : fused.labels;
      scores = fused.scores;
      parts = { vector: fused.vectorScores, keyword: fused.keywordScores };
    }
    const searched = clock ? performance.now() : 0;
    const budget = new FieldBudget();
    const hits: SearchHit[] = [];
    const hitLabels: number[] = [];
    for (let from = 0; from < labels.length; from += READ_SLICE) {
      await this.#nextSlice(signal);
      const to = Math.min(labels.length, from + READ_SLICE);
      let sliceLabels = sliceOf(labels, from, to);
      let sliceScores = sliceOf(scores, from, to);
      const keep = current.keeper(this.#version);
      if (keep) {
        const at = keptAt(sliceLabels, keep);
        sliceLabels = at.map((i) => sliceLabels[i]!);
        sliceScores = at.map((i) => sliceScores[i]!);
      }
      hits.push(...this.#hits(sliceLabels, sliceScores, include, budget));
      for (let i = 0; i < sliceLabels.length; i++) hitLabels.push(sliceLabels[i]!);
    }
    return this.#finishAnswer(hits, hitLabels, parts, checked, vector, clock, searched);
  }

  /** A turn of the event loop between two slices of a read; throws if the caller aborted it or the collection went away. */
  async #nextSlice(signal: AbortSignal | undefined): Promise<void> {
    await nextSlice(signal, 'read');
    this.#checkUsable();
  }

  /** The hits with their fused parts, and with explain when the search was timed. */
  #finishAnswer(
    hits: SearchHit[],
    labels: ArrayLike<number>,
    parts: FusedParts | undefined,
    checked: CheckedSearch,
    vector: VectorOutcome | undefined,
    clock: SearchClock | undefined,
    searched: number,
  ): SearchHit[] | SearchResult {
    if (parts) {
      hits.forEach((hit, i) => {
        hit.vectorScore = parts.vector.get(labels[i]!)!;
        hit.keywordScore = parts.keyword.get(labels[i]!)!;
      });
    }
    if (!clock) return hits;
    const done = performance.now();
    const { started, filtered, total, candidates } = clock;
    return {
      hits,
      explain: {
        ...planExplain(vector, checked),
        total,
        candidates,
        timings: { filter: filtered - started, search: searched - filtered, fetch: done - searched, total: done - started },
      },
    };
  }

  /** `vector` scaled to unit length, in a pooled buffer the caller gives back (see #unitQueries). */
  #takeUnitQuery(vector: Float32Array): Float32Array {
    return normalize(vector, this.#unitQueries.pop() ?? new Float32Array(this.options.dimension));
  }

  #giveBackUnitQuery(unit: Float32Array | undefined): void {
    if (unit && this.#unitQueries.length < MAX_POOLED_QUERIES) this.#unitQueries.push(unit);
  }

  /**
   * The vector side of a search, by the plan the planner (or `exact`)
   * chose. Synchronous when the graph answers on this thread (no worker
   * threads, or an exact plan), so the hot path pays for no promises.
   */
  #vectorSearch(
    query: Float32Array,
    checked: CheckedSearch,
    allowed: { bitset: Uint32Array; count: number } | undefined,
    candidates: number,
  ): VectorOutcome | Promise<VectorOutcome> {
    const k = checked.depth;
    // The planner learns from one search in PLANNER_SAMPLE: timing every one costs more than it teaches.
    const learn = ++this.#searches % PLANNER_SAMPLE === 0;
    const started = learn ? performance.now() : 0;
    const input: PlanInput = {
      total: this.count,
      candidates,
      filtered: allowed !== undefined,
      k,
      ef: checked.ef ?? this.options.hnsw.ef,
      dimension: this.options.dimension,
    };
    const plan = this.#planner.plan(input, learn);
    if (checked.exact !== undefined) {
      plan.kind = checked.exact ? 'exact' : 'hnsw';
      plan.explored = false;
    }
    // Right after open the rows stream in: an exact plan waits for them, a graph search does not.
    if (this.#rowsLoading !== undefined && (plan.kind !== 'hnsw' || this.#hnsw.backlog > 0)) {
      return this.#vectorSearchOnceRowsLoaded(query, checked, allowed, candidates);
    }
    if (plan.kind !== 'hnsw') {
      const top = this.#exact(query, k, allowed, checked.quantized);
      if (learn) this.#planner.record(plan, input, (performance.now() - started) * 1e6);
      return { top, plan, fallback: false, allowed };
    }
    this.#graphSearches++;
    const lesson: GraphLesson | undefined = learn ? { input, started, alone: this.#graphSearches === 1 } : undefined;
    // Taken as the search is sent, not as it is answered: a segment answers searches ahead of its queued
    // writes, so it can answer without a pending label, then acknowledge that label's insert before the
    // other segments have answered.
    const pending = this.#hnsw.pendingLabels();
    const sent = this.#version;
    let graph: GraphHits | Promise<GraphHits>;
    try {
      graph = this.#hnsw.search(query, k, plan.ef, allowed?.bitset);
    } catch (error) {
      return this.#afterGraph(this.#graphFailed(error), query, checked, allowed, candidates, plan, lesson);
    }
    if (!(graph instanceof Promise)) {
      return this.#afterGraph(this.#withPending(graph, pending, query, k, allowed, false), query, checked, allowed, candidates, plan, lesson);
    }
    return graph.then(
      (hits) => {
        if (lesson) lesson.searchNs = hits.searchNs;
        if (this.#version === sent) {
          return this.#afterGraph(this.#withPending(hits, pending, query, k, allowed, false), query, checked, allowed, candidates, plan, lesson);
        }
        // Writes landed while the workers searched. Hits are scored again and the filter evaluated again, as of
        // now: a label deleted since then, or reused by a document the filter does not match, must not come
        // back, and a replaced vector is scored by its new value.
        const now = this.#allowedBy(checked.filter);
        const top = this.#withPending(hits, pending, query, k, now, true);
        return this.#afterGraph(top, query, checked, now, now ? now.count : this.count, plan, lesson);
      },
      (error: unknown) => this.#afterGraph(this.#graphFailed(error), query, checked, allowed, candidates, plan, lesson),
    );
  }

  /**
   * Falls back to the exact scan when the graph gave too few hits (or could
   * not answer: a worker failed), and teaches the planner.
   */
  #afterGraph(
    approximate: Ranked | undefined,
    query: Float32Array,
    checked: CheckedSearch,
    allowed: { bitset: Uint32Array; count: number } | undefined,
    candidates: number,
    plan: Plan,
    lesson: GraphLesson | undefined,
  ): VectorOutcome | Promise<VectorOutcome> {
    const k = checked.depth;
    const fallback = approximate === undefined || approximate.labels.length < Math.min(k, candidates);
    if (fallback && this.#rowsLoading !== undefined) {
      return this.#afterGraphOnceRowsLoaded(approximate, query, checked, allowed, candidates, plan, lesson);
    }
    this.#graphSearches--;
    const top = fallback ? this.#exact(query, k, allowed, checked.quantized) : approximate;
    // A graph search that overlapped others waited for them too: its time would teach the planner wrong. On worker
    // threads the planner learns what the search took there: the round trip varies with how recently the workers
    // searched (a sleeping one is slow to wake), and, learned from, it made the exact scan win for good after a few
    // slow first searches, with the workers asleep for every graph search after that.
    if (lesson?.alone && this.#graphSearches === 0 && !fallback) this.#planner.record(plan, lesson.input, lesson.searchNs ?? (performance.now() - lesson.started) * 1e6);
    return { top, plan, fallback, allowed };
  }

  // The three waits for rows streaming in after open live in functions of their own: a closure over a
  // hot function's arguments makes V8 allocate a context for them on every call, waiting or not
  // (in #afterGraph that cost graph searches about 4% at 100,000 x 128).

  #searchOnceRowsLoaded(request: SearchRequest): Promise<SearchHit[] | SearchResult> {
    return this.#rowsLoading!.then(() => this.#searchNow(request));
  }

  async #searchOnceMetadataLoaded(request: SearchRequest, load: MetadataLoader): Promise<SearchHit[] | SearchResult> {
    // A failed read is reported by the search, which then reads the index at once (#metadataIndex).
    await load.whenDone().catch(() => {});
    this.#checkIndexed();
    if (this.#metadataLoad === load) {
      this.#metadata = load.finish();
      this.#metadataLoad = undefined;
    }
    return this.#searchNow(request);
  }

  #vectorSearchOnceRowsLoaded(
    query: Float32Array, checked: CheckedSearch, allowed: { bitset: Uint32Array; count: number } | undefined, candidates: number,
  ): Promise<VectorOutcome> {
    return this.#rowsLoading!.then(() => this.#vectorSearch(query, checked, allowed, candidates));
  }

  #afterGraphOnceRowsLoaded(
    approximate: Ranked | undefined, query: Float32Array, checked: CheckedSearch, allowed: { bitset: Uint32Array; count: number } | undefined,
    candidates: number, plan: Plan, lesson: GraphLesson | undefined,
  ): Promise<VectorOutcome> {
    return this.#rowsLoading!.then(() => this.#afterGraph(approximate, query, checked, allowed, candidates, plan, lesson));
  }

  #graphFailed(error: unknown): undefined {
    this.#persistence.log.error(`collection '${this.name}': graph search failed, scanning exactly: ${String(error)}`);
    return undefined;
  }

  /**
   * `graph` with the labels that were `pending` when it was asked scored in
   * beside it, so every acknowledged write is searchable at once (see
   * SegmentedGraph). With `recheck` (writes landed since it was asked),
   * every candidate must still be live and `allowed`.
   */
  #withPending(
    graph: GraphHits, pending: Int32Array, query: Float32Array, k: number, allowed: { bitset: Uint32Array } | undefined, recheck: boolean,
  ): Ranked {
    if (!this.#open || (pending.length === 0 && !recheck)) return graph;
    // Graph hits and pending labels are scored together by the kernel, as an exact scan scores them.
    // A label can be both (its insert ran, the acknowledgement is on its way): both copies score the
    // same, so they sort next to each other and the second is dropped after the scan.
    const candidates = new Int32Array(graph.labels.length + pending.length);
    let n = 0;
    if (recheck) {
      const keep = (label: number) => this.#vectors.has(label) && (!allowed || hasLabel(allowed.bitset, label));
      for (const label of graph.labels) if (keep(label)) candidates[n++] = label;
      for (const label of pending) if (keep(label)) candidates[n++] = label;
    } else {
      candidates.set(graph.labels);
      n = graph.labels.length;
      if (allowed) {
        for (const label of pending) if (hasLabel(allowed.bitset, label)) candidates[n++] = label;
      } else {
        candidates.set(pending, n);
        n += pending.length;
      }
    }
    const scored = this.#vectors.search(query, k + graph.labels.length, { candidates: candidates.subarray(0, n) });
    return withoutRepeats(scored, k);
  }

  /**
   * Fuses the two candidate lists. Every candidate of their `union` comes
   * `scored` on both sides (#scoreUnion), so a document found by one side
   * only is still ranked on both.
   */
  #fuse(checked: CheckedSearch, vector: Ranked, keyword: TopK, union: Int32Array, scored: { vector: Float32Array; keyword: Float32Array }) {
    const vectorScores = new Map<number, number>();
    const keywordScores = new Map<number, number>();
    union.forEach((label, i) => {
      vectorScores.set(label, scored.vector[i]!);
      keywordScores.set(label, scored.keyword[i]!);
    });
    let fused: Fused;
    if (checked.fusion === 'rrf') {
      fused = reciprocalRankFusion([vector.labels, keyword.labels], DEFAULT_RRF_K, [2 * checked.alpha, 2 * (1 - checked.alpha)]);
    } else {
      fused = relativeScoreFusion(
        { labels: union, vectorScores: scored.vector, keywordScores: scored.keyword },
        checked.alpha,
      );
    }
    return { labels: fused.labels, scores: Float32Array.from(fused.scores), vectorScores, keywordScores };
  }

  /** Both scores of each label of `union`, in its order: the vector score exactly (the SIMD kernel), the BM25 score from the keyword index. */
  #scoreUnion(query: Float32Array, terms: readonly string[], union: Int32Array): { vector: Float32Array; keyword: Float32Array } {
    const exact = this.#vectors.search(query, union.length, { candidates: union });
    const at = new Map<number, number>();
    exact.labels.forEach((label, i) => at.set(label, exact.scores[i]!));
    return { vector: Float32Array.from(union, (label) => at.get(label)!), keyword: this.#bm25.scoreTokens(terms, union) };
  }

  /** Number of documents matching `filter` (all documents without one). */
  async countWhere(filter?: Record<string, unknown>): Promise<number> {
    this.#checkUsable();
    if (filter === undefined) return this.count;
    return this.#metadataIndex().evaluate(compileFilter(filter)).count;
  }

  /** Documents matching the filter, in label order, a page at a time. */
  async list(request: ListRequest = {}): Promise<ListPage> {
    this.#checkUsable();
    if (!isPlainObject(request)) throw createError('INVALID_ARGUMENT', 'list request', 'an object', request);
    for (const key of Object.keys(request)) {
      if (!LIST_KEYS.has(key)) throw createError('INVALID_ARGUMENT', `list option '${key}'`, [...LIST_KEYS].join(', '), key);
    }
    const limit = request.limit ?? DEFAULT_LIST_LIMIT;
    if (!isIntegerIn(limit, 1, MAX_LIST_LIMIT)) {
      throw createError('INVALID_ARGUMENT', 'limit', `an integer from 1 to ${MAX_LIST_LIMIT}`, limit);
    }
    const after = request.after === undefined ? -1 : Number(request.after);
    if (!Number.isInteger(after) || after < -1) throw createError('INVALID_ARGUMENT', 'after', 'a cursor returned as next', request.after);
    const include = checkInclude(request.include);
    const signal = checkSignal(request.signal);
    if (include.includes('vector')) checkVectorValues(limit, this.options.dimension, 'limit');
    const filter = request.filter === undefined ? undefined : compileFilter(request.filter);
    const labels = filter === undefined ? this.#sortedLabels() : labelsOf(this.#metadataIndex().evaluate(filter).bitset);
    const start = lowerBound(labels, after + 1);
    const page = labels.subarray(start, start + limit);
    const budget = new FieldBudget();
    const documents: Document[] = [];
    // A page read in slices leaves out what writes during its turns took away (see #answerInSlices).
    const current = new CurrentLabels(this.#ids, this.#version, () => this.#allowedBy(filter));
    current.remember(page);
    for (let from = 0; from < page.length; from += READ_SLICE) {
      if (from > 0) await this.#nextSlice(signal);
      const keep = current.keeper(this.#version);
      for (const label of page.subarray(from, from + READ_SLICE)) {
        if (keep && !keep(label)) continue;
        documents.push(this.#withFields(this.#table.byLabel(label)!, include, budget));
      }
    }
    const next = start + limit < labels.length ? String(page[page.length - 1]) : null;
    return { documents, next };
  }

  #exact(query: Float32Array, k: number, allowed: { bitset: Uint32Array; count: number } | undefined, quantized?: boolean): TopK {
    if (!allowed) return this.#vectors.search(query, k, { quantized });
    if (allowed.count === 0) return { labels: new Int32Array(0), scores: new Float32Array(0) };
    const sparse = allowed.count < this.#vectors.labelBound * LABEL_LIST_DENSITY;
    const candidates = sparse ? labelsOf(allowed.bitset, allowed.count) : allowed.bitset;
    return this.#vectors.search(query, k, { candidates, quantized });
  }

  #hits(labels: ArrayLike<number>, scores: ArrayLike<number>, include: readonly SearchField[], budget: FieldBudget): SearchHit[] {
    const hits: SearchHit[] = new Array(labels.length);
    if (include.length === 0) {
      for (let i = 0; i < labels.length; i++) hits[i] = { id: this.#ids[labels[i]!]!, score: scores[i]! };
      return hits;
    }
    const wantMetadata = include.includes('metadata');
    const wantText = include.includes('text');
    const wantVector = include.includes('vector');
    const fields = !wantVector && (wantMetadata || wantText) ? this.#storedFields(labels) : undefined;
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i]!;
      const hit: SearchHit = { id: this.#ids[label]!, score: scores[i]! };
      if (wantMetadata || wantText || wantVector) {
        const row = wantVector ? this.#table.byLabel(label) : fields![i];
        budget.add(wantText ? row?.text : undefined, wantMetadata ? row?.metadata : undefined);
        if (wantMetadata && row?.metadata) hit.metadata = JSON.parse(row.metadata) as Metadata;
        if (wantText && row?.text) hit.text = row.text;
        if (wantVector && row && 'vector' in row) hit.vector = row.vector;
      }
      hits[i] = hit;
    }
    return hits;
  }

  /** Text and metadata of each label, from the field cache where it has them, else from the store in one statement. */
  #storedFields(labels: ArrayLike<number>): (StoredFields | undefined)[] {
    const fields = new Array<StoredFields | undefined>(labels.length);
    let missing: number[] | undefined;
    for (let i = 0; i < labels.length; i++) {
      fields[i] = this.#fieldCache.get(labels[i]!);
      if (fields[i] === undefined) (missing ??= []).push(labels[i]!);
    }
    if (missing === undefined) return fields;
    const read = this.#table.fieldsOf(missing);
    for (let i = 0; i < labels.length; i++) {
      if (fields[i] !== undefined) continue;
      const row = read.get(labels[i]!);
      if (row === undefined) continue;
      fields[i] = row;
      this.#fieldCache.set(labels[i]!, row);
    }
    return fields;
  }

  /**
   * Every live label, ascending, kept until the next write: sorting them
   * took tens of milliseconds per page at a million documents, so paging
   * through a collection cost the square of its size.
   */
  #sortedLabels(): Int32Array {
    if (this.#listOrder?.version !== this.#version) {
      this.#listOrder = { version: this.#version, labels: Int32Array.from(this.#labels.values()).sort() };
    }
    return this.#listOrder.labels;
  }

  /** A stored row as a document with the fields `include` names, counted against the read's `budget`. */
  #withFields(row: DocumentRow, include: readonly SearchField[], budget: FieldBudget): Document {
    const wantText = include.includes('text');
    const wantMetadata = include.includes('metadata');
    budget.add(wantText ? row.text : undefined, wantMetadata ? row.metadata : undefined);
    const document = { id: row.id } as Document;
    if (include.includes('vector')) document.vector = row.vector;
    if (wantText && row.text !== undefined) document.text = row.text;
    if (wantMetadata && row.metadata !== undefined) document.metadata = JSON.parse(row.metadata) as Metadata;
    return document;
  }

  #apply(label: number, id: string, vector: Float32Array, text: string | undefined, metadata: Metadata | undefined): void {
    this.#fieldCache.forget(label);
    const previous = this.#ids[label];
    if (previous !== undefined && previous !== id) this.#labels.delete(previous);
    // Without an index (a degraded collection: only a failed write's undo gets here) the id maps are all there is.
    if (this.#unavailable === undefined) this.#index(label, id, vector, text);
    else this.#map(label, id);
    this.#touchedDuringCompaction?.add(label);
    this.#metadataOf(label)?.add(label, metadata);
  }

  /** Takes a document out of memory: the indexes (when built), the metadata index, the id maps. */
  #unindex(label: number): void {
    if (this.#unavailable === undefined) {
      this.#vectors.remove(label);
      this.#hnsw.remove(label);
      this.#bm25.remove(label);
    }
    this.#touchedDuringCompaction?.add(label);
    this.#fieldCache.forget(label);
    this.#metadataOf(label)?.remove(label);
    this.#unmap(label);
  }

  /**
   * Commits a write all or nothing. `write` runs the store's transaction and
   * calls `apply` (this write's in-memory changes to `labels`) inside it,
   * before the commit. Should anything throw there (an index, the graph, a
   * bug) or the commit itself fail, SQLite rolls back, and every label the
   * write touched is put back as the store holds it now, read from the
   * store: what memory holds then equals the store whatever point the write
   * failed at, and the caller, which moves the version only after this
   * returns, leaves it where it was. The batch is rejected and changed
   * nothing anyone can see.
   *
   * Why not commit first and apply after, as the store of record would
   * allow: a batch answered with an error would then be stored and half
   * applied (issue 23: count 512 with 11 of 250 ids listed and an unchanged
   * version, all 250 back after a restart). Why not an undo log of the old
   * values: reading the touched labels back from the rolled-back store is
   * the same undo, exact by construction, and costs nothing on success. If
   * putting them back fails too, the collection rebuilds its indexes from the
   * store (opening degraded if even that fails), so memory never drifts from
   * the store.
   */
  #commit(labels: readonly number[], write: (apply: () => void) => void, apply: () => void): void {
    const idsLength = this.#ids.length;
    let applying = false;
    try {
      write(() => {
        applying = true;
        apply();
      });
    } catch (error) {
      if (applying) this.#restoreLabels(labels, idsLength, error);
      throw error;
    }
  }

  /** After a failed write: puts `labels` back as the store holds them (see #commit). */
  #restoreLabels(labels: readonly number[], idsLength: number, cause: unknown): void {
    try {
      for (const label of labels) {
        const row = this.#table.byLabel(label);
        if (row === undefined) {
          this.#unindex(label);
          continue;
        }
        const held = this.#labels.get(row.id);
        if (held !== undefined && held !== label) this.#unmap(held);
        const metadata = row.metadata === undefined ? undefined : (JSON.parse(row.metadata) as Metadata);
        this.#apply(label, row.id, row.vector, row.text, metadata);
      }
      // Labels the write took past the end are unused again, and the free labels are those the ids leave.
      while (this.#ids.length > idsLength && this.#ids[this.#ids.length - 1] === undefined) this.#ids.length--;
      this.#collectFreeLabels();
      // A commit that failed may still have landed (SQLite cannot always tell): the version is the store's.
      this.#version = this.#table.version();
      this.#persistence.log.warn(`collection '${this.name}': a write failed (${messageOf(cause)}) and was undone`);
    } catch (error) {
      this.#persistence.log.error(`collection '${this.name}': a write failed (${messageOf(cause)}) and could not be undone ` +
        `(${messageOf(error)}); rebuilding the collection's indexes from the store`);
      this.#rebuildAfterFailure();
    }
  }

  /**
   * Rebuilds every in-memory index from the store (a degraded collection: its
   * id maps); degrades, search unavailable, if that fails too.
   */
  #rebuildAfterFailure(): void {
    this.#metadataLoad?.stop();
    this.#metadataLoad = undefined;
    this.#metadata = undefined;
    try {
      this.#version = this.#table.version();
      if (this.#unavailable !== undefined) throw new Error(this.#unavailable);
      this.#reset();
      this.#rebuildFromStore();
      this.#snapshotVersion = 0;
    } catch (error) {
      this.#degrade(messageOf(error));
      return;
    }
    this.#loadMetadataInBackground();
  }

  /** The metadata index a write to `label` must update now, if any (see #metadataLoad). */
  #metadataOf(label: number): MetadataIndex | undefined {
    if (this.#metadata !== undefined) return this.#metadata;
    const load = this.#metadataLoad;
    if (load === undefined) return undefined;
    if (load.covers(label)) return load.index;
    load.touched(label);
    return undefined;
  }

  /** The documents `filter` allows, as of now (undefined without a filter: every document). */
  #allowedBy(filter: CompiledFilter | undefined): { bitset: Uint32Array; count: number } | undefined {
    return filter ? this.#metadataIndex().evaluate(filter) : undefined;
  }

  /** The complete metadata index: what the background load has not read yet is read now. */
  #metadataIndex(): MetadataIndex {
    if (this.#metadata) return this.#metadata;
    const load = this.#metadataLoad ?? this.#newMetadataLoad();
    this.#metadata = load.finish();
    this.#metadataLoad = undefined;
    return this.#metadata;
  }

  #newMetadataLoad(): MetadataLoader {
    return new MetadataLoader((from, limit) => this.#table.metadataPage(from, limit));
  }

  /** Starts reading the metadata index between other work (after open): from the snapshot's copy, else the store. */
  #loadMetadataInBackground(): void {
    if (this.#metadata !== undefined || this.#metadataLoad !== undefined) return;
    const snapshot = this.#metadataSnapshot;
    this.#metadataSnapshot = undefined;
    let load: MetadataLoader | undefined;
    if (snapshot !== undefined) {
      try {
        load = new MetadataLoader({ ...snapshot, readLabel: (label) => this.#table.metadataOfLabel(label) });
      } catch (error) {
        this.#persistence.log.warn(`collection '${this.name}': the snapshot's metadata index could not be read (${(error as Error).message}); reading it from the store`);
      }
    }
    load ??= this.#newMetadataLoad();
    this.#metadataLoad = load;
    load.run().then(() => {
      if (this.#metadataLoad !== load || !load.done) return;
      this.#metadata = load.index;
      this.#metadataLoad = undefined;
    }, (error: Error) => {
      // A filter will try again (and report the error) at its first use.
      if (this.#metadataLoad === load) this.#metadataLoad = undefined;
      this.#persistence.log.warn(`collection '${this.name}': metadata index could not be read: ${error.message}`);
    });
  }


  /**
   * Writes a snapshot of the derived state (graph, vectors, label states)
   * at the current version; a no-op for in-memory databases or when nothing
   * changed since the last one. Returns whether one was written.
   */
  async snapshot(): Promise<boolean> {
    this.#checkUsable();
    if (this.#unavailable !== undefined) return false;
    return this.#snapshotOnce();
  }

  /**
   * Resolves once every graph insert sent so far has run (with worker
   * threads, inserts run in the background; searches meanwhile scan the
   * pending documents exactly, so waiting is never needed for correctness).
   */
  async indexed(): Promise<void> {
    this.#checkIndexed();
    // Rows still streaming in from a snapshot first: a damaged file rebuilds the graph.
    if (this.#rowsLoading !== undefined) await this.#rowsLoading;
    this.#checkIndexed();
    await this.#hnsw.idle();
  }

  /** One snapshot at a time; a request during one waits for it, then writes if anything changed. */
  async #snapshotOnce(force = false): Promise<boolean> {
    while (this.#snapshotting) await this.#snapshotting.catch(() => false);
    this.#snapshotting = this.#writeSnapshot(force).finally(() => {
      this.#snapshotting = undefined;
    });
    return this.#snapshotting;
  }

  /**
   * Lays the HNSW graph out afresh in memory once it has caught up with
   * every write (after a running compaction, if any): each segment is written
   * to a temporary file and read back. A graph built while the process did
   * other work is spread over memory taken in between; laid out afresh it
   * searches as fast as one built alone (bench:layout, 100,000 vectors of
   * dim 128: 0.89-0.915x before, 1.02-1.06x after). Call it after a bulk
   * load. Searches go on meanwhile; writes made during it wait for it. Needs
   * free space in the OS temporary directory for the largest segment.
   * Resolves to how many segments went through a file, their bytes in all,
   * and the seconds taken.
   */
  async optimize(): Promise<OptimizeResult> {
    this.#checkIndexed();
    const started = performance.now();
    // A failed compaction was logged where it failed; the graph it leaves is still worth laying out.
    await this.#compaction?.catch(() => false);
    await this.indexed();
    this.#checkUsable();
    let relaid: Awaited<ReturnType<SegmentedGraph['relayout']>>;
    try {
      relaid = await this.#hnsw.relayout(tmpdir());
    } finally {
      // A drop during the layout leaves segments that answered nothing.
      this.#checkUsable();
    }
    const bytes = relaid.reduce((sum, segment) => sum + segment.bytes, 0);
    return { segments: relaid.length, bytes, seconds: (performance.now() - started) / 1000 };
  }

  /**
   * Rebuilds the HNSW graph without its tombstones, a slice at a time so
   * searches and writes go on meanwhile (they use the old graph until the
   * swap), then snapshots. Resolves to whether a rebuild ran.
   */
  async compact(): Promise<boolean> {
    this.#checkIndexed();
    this.#compaction ??= this.#rebuildGraph().finally(() => {
      this.#compaction = undefined;
    });
    return this.#compaction;
  }

  /**
   * @internal Builds the in-memory state: from a snapshot (ids, vectors,
   * graph) plus the store's newer changes, or from the store alone when no
   * valid snapshot exists; then reads the metadata index in the background. When
   * the state cannot be built (too little memory, a store whose rows cannot
   * be indexed), the collection opens degraded: its documents can be read
   * and deleted, and `info.reason` says why search is unavailable.
   */
  async load(): Promise<void> {
    try {
      const count = this.#table.count();
      this.#memory.budget.admit(this.name, count, this.#cost, 'open', count > 0 ? this.options.hnsw.segments * GRAPH_FIXED_BYTES : 0);
      await this.#build();
    } catch (error) {
      this.#degrade(messageOf(error));
      return;
    }
    this.#loadMetadataInBackground();
  }

  async #build(): Promise<void> {
    const { dir, log } = this.#persistence;
    if (dir !== undefined) {
      const started = performance.now();
      const problem = await this.#restore(dir);
      if (problem === undefined) {
        log.info(`collection '${this.name}': restored snapshot v${this.#snapshotVersion} and replayed to v${this.#version} in ${(performance.now() - started).toFixed(0)} ms`);
        return;
      }
      if (problem !== 'no snapshot' || this.#table.count() > 0) {
        log.warn(`collection '${this.name}': ${problem}; rebuilding from the store (${this.#table.count()} documents)`);
      }
      this.#reset();
    }
    this.#rebuildFromStore();
  }

  /**
   * Drops the in-memory index that could not be built and serves the
   * documents from the store alone: ids are mapped (get, list, delete work),
   * search and upsert answer INDEX_UNAVAILABLE with `reason`.
   */
  #degrade(reason: string): void {
    this.#reset();
    this.#unavailable = reason;
    for (const { label, id } of this.#table.ids()) {
      this.#ids[label] = id;
      this.#labels.set(id, label);
    }
    this.#collectFreeLabels();
    this.#persistence.log.error(`collection '${this.name}' cannot be searched: ${reason}; its ${this.count} documents can still be read and deleted`);
  }

  /** Tries the snapshot in `dir`; returns why it could not be used, or undefined when restored. */
  async #restore(dir: string): Promise<string | undefined> {
    const checked = readSnapshot(dir, { dimension: this.options.dimension, maxVersion: this.#version });
    if ('problem' in checked) return checked.problem;
    const { manifest, graphFiles } = checked.snapshot;
    const meta = readArenaMeta(checked.snapshot);
    if ('problem' in meta) return meta.problem;
    const vectors = readArenaVectors(checked.snapshot);
    if ('problem' in vectors) return vectors.problem;
    // The segments load on their hosts (hnswlib reads on libuv's thread pool) while this
    // thread checks the graph files' checksums; a graph failing its check is never used.
    const graph = SegmentedGraph.load(this.#graphSpec(), this.#persistence.hosting, graphFiles, meta.states, this.#onGraphError);
    graph.catch(() => {});
    const graphProblem = verifyGraph(checked.snapshot);
    // Everything that does not need the graph is done before waiting for it.
    let keywordProblem: string | undefined;
    let changes: Change[] = [];
    if (graphProblem === undefined) {
      try {
        this.#bm25 = Bm25Index.deserialize(meta.keyword, { text: this.options.text, bm25: this.options.bm25 });
      } catch (error) {
        keywordProblem = `snapshot v${manifest.version} keyword index could not be loaded (${(error as Error).message})`;
      }
      meta.ids.forEach((id, label) => {
        if (id === null) return;
        this.#ids[label] = id;
        this.#labels.set(id, label);
      });
      changes = this.#table.changesSince(manifest.version);
      // Read in the background after open (#loadMetadataInBackground). Without it (an older format, or a
      // snapshot taken while the index was still being read) the index is read from the store instead.
      if (meta.metadata.byteLength > 0) this.#metadataSnapshot = { bytes: meta.metadata, changed: changes.map((change) => change.label) };
    }
    let loaded: SegmentedGraph;
    try {
      loaded = await graph;
    } catch (error) {
      return graphProblem ?? `snapshot v${manifest.version} graph could not be loaded (${(error as Error).message})`;
    }
    if (graphProblem !== undefined || keywordProblem !== undefined) {
      loaded.drop();
      return graphProblem ?? keywordProblem;
    }
    this.#hnsw.drop();
    this.#hnsw = loaded;
    // The vectors for exact scans are the largest part (6 GB at a million rows of dim 1536): with
    // nothing to replay they stream in after open, while HNSW and keyword searches are answered.
    if (changes.length > 0) {
      const problem = await this.#readRows(vectors);
      if (problem !== undefined) return problem;
    } else {
      this.#rowsLoading = this.#loadRows(vectors);
    }
    for (const change of changes) {
      if (change.kind === 'upsert') {
        const previous = this.#ids[change.label];
        if (previous !== undefined && previous !== change.id) this.#labels.delete(previous);
        const existing = this.#labels.get(change.id);
        if (existing !== undefined && existing !== change.label) this.#unmap(existing);
        this.#index(change.label, change.id, change.vector, change.text);
      } else if (this.#ids[change.label] === change.id) {
        this.#flat.remove(change.label);
        this.#hnsw.remove(change.label);
        this.#bm25.remove(change.label);
        this.#unmap(change.label);
      }
    }
    if (this.#labels.size !== this.#table.count()) {
      return `snapshot v${manifest.version} plus replay holds ${this.#labels.size} documents, the store ${this.#table.count()}`;
    }
    this.#collectFreeLabels();
    this.#changedSinceSnapshot = changes.length;
    this.#snapshotVersion = manifest.version;
    return undefined;
  }

  #rebuildFromStore(): void {
    const count = this.#table.count();
    this.#hnsw.drop();
    this.#hnsw = this.#emptyGraph(Math.max(DEFAULT_INITIAL_CAPACITY, count));
    this.#changedSinceSnapshot = count;
    let indexed = 0;
    for (const { label, id, vector, text } of this.#table.scan()) {
      // An int8 collection fits its codes once INT8_FIT_SAMPLE rows are in (FlatIndex.prepare).
      if (indexed++ % INT8_FIT_SAMPLE === 0) this.#flat.prepare(label + 1);
      this.#index(label, id, vector, text);
    }
    this.#flat.prepare(this.#flat.labelBound);
    this.#collectFreeLabels();
  }

  /** Puts a document in the vector and keyword indexes and maps its id (no metadata: see #metadataIndex). */
  #index(label: number, id: string, vector: Float32Array, text: string | undefined): void {
    // `vector` is this collection's own copy (validated, or read from the store), already written to
    // the store: it is normalised in place and handed to the graph, which keeps it.
    const stored = normalizesAtInsert(this.options.metric) ? normalize(vector) : vector;
    this.#vectors.add(label, stored);
    this.#hnsw.add(label, stored);
    if (text === undefined) this.#bm25.remove(label);
    else this.#bm25.add(label, text);
    this.#labels.set(id, label);
    this.#ids[label] = id;
  }

  #unmap(label: number): void {
    const id = this.#ids[label];
    if (id !== undefined && this.#labels.get(id) === label) this.#labels.delete(id);
    this.#ids[label] = undefined;
  }

  #map(label: number, id: string): void {
    this.#labels.set(id, label);
    this.#ids[label] = id;
  }

  #collectFreeLabels(): void {
    this.#freeLabels = [];
    for (let label = this.#ids.length - 1; label >= 0; label--) {
      if (this.#ids[label] === undefined) this.#freeLabels.push(label);
    }
  }

  /**
   * The exact index. Paths that reach it wait for `#rowsLoading` first;
   * one that does not is a bug, reported here rather than answered from
   * half-read rows.
   */
  get #vectors(): FlatIndex {
    if (this.#rowsLoading !== undefined) throw new Error(`collection '${this.name}': vector rows used while they load`);
    if (this.#unavailable !== undefined) throw createError('INDEX_UNAVAILABLE', this.name, this.#unavailable);
    return this.#flat;
  }

  /** Reads a snapshot's vector rows into the exact index; returns why it could not. */
  async #readRows(vectors: ArenaVectors): Promise<string | undefined> {
    const flat = this.#flat;
    try {
      const problem = flat.restore(vectors.encoding, vectors.highWater, vectors.quantizer, vectors.live);
      if (problem !== undefined) return problem;
      for (let s = 0; s < vectors.sections; s++) {
        // Stop when the collection closes or the rows are replaced meanwhile.
        const read = await vectors.read(s, (offset, bytes) => {
          if (!this.#open || flat !== this.#flat) return false;
          flat.writeSection(s, offset, bytes);
          return true;
        });
        if (read !== undefined) return read;
      }
      // An int8 collection restored from f32 rows (format 3) encodes them now.
      if (this.#open && flat === this.#flat) flat.prepare(vectors.highWater);
      return undefined;
    } catch (error) {
      return `snapshot vector rows could not be read (${messageOf(error)})`;
    }
  }

  /**
   * Streams the rows in after open; rows that fail their checksum make the
   * collection rebuild from the store (with a warning), and a rebuild that
   * fails leaves it degraded.
   */
  async #loadRows(vectors: ArenaVectors): Promise<void> {
    let problem: string | undefined;
    try {
      problem = await this.#readRows(vectors);
    } catch (error) {
      // Nobody awaits this load at open: whatever it throws must end here, as a rebuild, never uncaught.
      problem = `vector rows unreadable (${messageOf(error)})`;
    }
    this.#rowsLoading = undefined;
    if (problem === undefined || !this.#open) return;
    this.#persistence.log.warn(`collection '${this.name}': ${problem}; rebuilding from the store (${this.#table.count()} documents)`);
    try {
      this.#reset();
      this.#rebuildFromStore();
      this.#snapshotVersion = 0;
    } catch (error) {
      this.#degrade(messageOf(error));
    }
  }

  /** Drops whatever a failed restore left behind. */
  #reset(): void {
    this.#flat.dispose();
    this.#flat = this.#emptyVectors();
    this.#hnsw.drop();
    this.#hnsw = this.#emptyGraph(DEFAULT_INITIAL_CAPACITY);
    this.#bm25 = this.#emptyKeywordIndex();
    this.#listOrder = undefined;
    this.#metadataSnapshot = undefined;
    this.#labels.clear();
    this.#ids = [];
    this.#freeLabels = [];
  }

  #emptyVectors(): FlatIndex {
    return new FlatIndex(this.options, this.#memory.vectors, this.#storedVector);
  }

  /** A label's vector read from the store, as the vector index holds it (normalised for cosine): int8 collections re-rank with it. */
  readonly #storedVector = (label: number): Float32Array | undefined => {
    const vector = this.#table.vectorOf(label);
    return vector && normalizesAtInsert(this.options.metric) ? normalize(vector) : vector;
  };

  #emptyKeywordIndex(): Bm25Index {
    return new Bm25Index({ text: this.options.text, bm25: this.options.bm25 });
  }

  #emptyGraph(capacity: number): SegmentedGraph {
    return SegmentedGraph.create(this.#graphSpec(), this.#persistence.hosting, this.options.hnsw.segments, capacity, this.#onGraphError);
  }

  #graphSpec() {
    const { dimension, metric, hnsw } = this.options;
    return { dimension, metric, params: hnsw };
  }

  readonly #onGraphError = (error: Error): void => {
    if (this.#open) this.#persistence.log.error(`collection '${this.name}': graph update failed: ${error.message}`);
  };

  /**
   * Writes a snapshot unless one at this version exists (`force`: a
   * compaction changed the graph, not the version). The state is taken at
   * the current version synchronously; the files are written in the
   * background of other work (see snapshot.ts).
   */
  async #writeSnapshot(force = false): Promise<boolean> {
    const { dir, log } = this.#persistence;
    const current = () => this.#unavailable !== undefined || (!force && this.#version === this.#snapshotVersion);
    if (dir === undefined || current()) return false;
    if (this.#rowsLoading !== undefined) await this.#rowsLoading;
    if (current()) return false;
    const started = performance.now();
    const version = this.#version;
    const changed = this.#changedSinceSnapshot;
    const flat = this.#vectors;
    const vectors = flat.snapshot();
    const { highWater } = vectors;
    const graph = this.#hnsw;
    const ids = this.#ids.slice(0, highWater);
    const states = graph.states.slice(0, highWater);
    const form = flat.form;
    const sections = vectors.sections.map(({ bytes, read }) => ({
      bytes,
      read: (offset: number, length: number) => {
        if (!this.#open || flat !== this.#flat || flat.form !== form) throw new Error('the collection closed or its vectors changed form during the snapshot');
        return read(offset, length);
      },
    }));
    await writeSnapshot(dir, {
      version,
      dimension: this.options.dimension,
      vectors: { ...vectors, sections },
      states,
      ids,
      keyword: this.#bm25.serialize(),
      // Until the index is complete (read in the background after open) the next open reads it from the store.
      metadata: this.#metadata?.serialize() ?? new Uint8Array(0),
      segments: graph.segments,
      saveGraphs: (files) => graph.save(files),
    });
    this.#table.pruneDeletions(version);
    this.#snapshotVersion = version;
    this.#changedSinceSnapshot = Math.max(0, this.#changedSinceSnapshot - changed);
    log.info(`collection '${this.name}': snapshot v${version} written in ${(performance.now() - started).toFixed(0)} ms`);
    return true;
  }

  #afterWrite(): void {
    const { dir, snapshotAfter, compactAt } = this.#persistence;
    const graphSize = this.#hnsw.size + this.#hnsw.tombstones;
    const tombstones = this.#hnsw.tombstones;
    if (tombstones >= MIN_COMPACT_TOMBSTONES && tombstones > compactAt * graphSize && this.#compaction === undefined) {
      void this.compact().catch((error: unknown) => this.#persistence.log.error(`collection '${this.name}': compaction failed: ${String(error)}`));
    }
    if (dir === undefined) return;
    // Replay on restart costs one graph insert per changed document, so that is what triggers a snapshot.
    // A snapshot rewrites the whole collection, so a large one waits for a share of its size: writes stay
    // a bounded multiple of the data (about 1 / SNAPSHOT_SHARE + 1 times over a bulk load), not quadratic.
    const threshold = Math.max(snapshotAfter, Math.floor(SNAPSHOT_SHARE * this.count));
    // A loop of writes that never yields would starve the deferred snapshot: past twice the threshold, start it now.
    if (this.#changedSinceSnapshot >= 2 * threshold && this.#snapshotting === undefined && this.#compaction === undefined) {
      this.#snapshotInBackground();
      return;
    }
    if (!this.#snapshotScheduled && this.#snapshotting === undefined && this.#changedSinceSnapshot >= threshold) {
      this.#snapshotScheduled = true;
      setImmediate(() => {
        this.#snapshotScheduled = false;
        if (!this.#open || this.#compaction) return;
        this.#snapshotInBackground();
      });
    }
  }

  /** A snapshot nobody awaits: a failure is logged. */
  #snapshotInBackground(): void {
    this.#snapshotOnce().catch((error: unknown) => {
      if (this.#open) this.#persistence.log.error(`collection '${this.name}': snapshot failed: ${String(error)}`);
    });
  }

  async #rebuildGraph(): Promise<boolean> {
    if (this.#rowsLoading !== undefined) await this.#rowsLoading;
    if (this.#hnsw.tombstones === 0) return false;
    const started = performance.now();
    const fresh = this.#emptyGraph(Math.max(DEFAULT_INITIAL_CAPACITY, Math.ceil(this.count * 1.25)));
    this.#freshGraph = fresh;
    const touched = new Set<number>();
    this.#touchedDuringCompaction = touched;
    try {
      const labels = this.#hnsw.liveLabels();
      let sliceStart = performance.now();
      for (const label of labels) {
        if (!this.#open) {
          fresh.drop();
          return false;
        }
        if (touched.has(label)) continue;
        const vector = this.#vectors.vector(label);
        if (vector) fresh.add(label, vector);
        if (performance.now() - sliceStart > COMPACTION_SLICE_MS) {
          await nextTurn();
          sliceStart = performance.now();
        }
      }
      // The new graph is built in the background (on the workers); searches use the old one meanwhile.
      await fresh.idle();
      // Closed or dropped meanwhile: its vectors are gone.
      if (!this.#open) {
        fresh.drop();
        return false;
      }
      // Catch up with writes made during the rebuild, synchronously, then swap.
      for (const label of touched) {
        const vector = this.#vectors.vector(label);
        if (vector) fresh.add(label, vector);
        else fresh.remove(label);
      }
    } catch (error) {
      fresh.drop();
      throw error;
    } finally {
      this.#touchedDuringCompaction = undefined;
    }
    if (!this.#open) {
      fresh.drop();
      return false;
    }
    this.#freshGraph = undefined;
    const removed = this.#hnsw.tombstones;
    this.#hnsw.drop();
    this.#hnsw = fresh;
    this.#persistence.log.info(
      `collection '${this.name}': compacted ${removed} tombstones in ${(performance.now() - started).toFixed(0)} ms`,
    );
    await this.#snapshotOnce(true);
    return true;
  }

  /** @internal Releases memory; the collection is unusable afterwards. See also `settled`. */
  dispose(): void {
    this.#open = false;
    this.#hnsw.drop();
    // A compaction's graph is dropped too: its queued inserts are discarded, not built for nothing.
    this.#freshGraph?.drop();
    this.#flat.dispose();
    this.#metadataLoad?.stop();
    this.#labels.clear();
    this.#ids = [];
    this.#freeLabels = [];
  }

  /**
   * @internal Resolves once none of this collection's graph requests is in
   * flight on the worker threads (see SegmentedGraph.settled): a database
   * closing waits for it, after `dispose`, so that the process can end.
   */
  async settled(): Promise<void> {
    await this.#compaction?.catch(() => false);
    await this.#hnsw.settled();
    await this.#freshGraph?.settled();
  }

  #checkUsable(): void {
    this.#assertUsable();
    if (!this.#open) throw createError('COLLECTION_NOT_FOUND', this.name);
  }

  /** `#checkUsable`, and the in-memory index must be there: searches and upserts need it. */
  #checkIndexed(): void {
    this.#checkUsable();
    if (this.#unavailable !== undefined) throw createError('INDEX_UNAVAILABLE', this.name, this.#unavailable);
  }

  /**
   * Validates the whole batch and picks labels: an existing id keeps its
   * label, a new one takes a freed label or the next unused one. Nothing is
   * changed here; `freeLeft` is how many freed labels remain once it commits.
   */
  #prepareWrites(documents: readonly DocumentInput[]): { rows: RowWrite[]; metadata: (Metadata | undefined)[]; freeLeft: number } {
    if (!Array.isArray(documents)) throw createError('INVALID_ARGUMENT', 'documents', 'an array of documents', documents);
    checkBatchSize(documents.length);
    const { dimension, metric } = this.options;
    const positions = new Map<string, number>();
    let freeLeft = this.#freeLabels.length;
    let nextNew = this.#ids.length;
    const values: (Metadata | undefined)[] = [];
    const rows = documents.map((document, i): RowWrite => {
      const where = `documents[${i}]`;
      if (!isPlainObject(document)) throw createError('INVALID_DOCUMENT', where, 'expected an object');
      for (const key of Object.keys(document)) {
        if (!DOCUMENT_KEYS.has(key)) throw createError('INVALID_DOCUMENT', where, `unknown field '${key}'`);
      }
      const id = checkId(document.id, `${where}.id`);
      const first = positions.get(id);
      if (first !== undefined) throw createError('DUPLICATE_ID', id, first, i);
      positions.set(id, i);
      const vector = checkVector(document.vector, dimension, `${where}.vector`, normalizesAtInsert(metric));
      const text = checkText(document.text, where);
      const metadata = checkMetadata(document.metadata, where);
      const held = this.#labels.get(id);
      const label = held ?? (freeLeft > 0 ? this.#freeLabels[--freeLeft]! : nextNew++);
      values.push(metadata?.value);
      return { label, id, vector, text, metadata: metadata?.json, replaces: held !== undefined };
    });
    return { rows, metadata: values, freeLeft };
  }

  /** The terms of a keyword query, repeats kept (they weigh in BM25); LIMIT_EXCEEDED past MAX_QUERY_TERMS distinct ones. */
  #queryTerms(text: string): string[] {
    const terms = this.#bm25.tokenize(text);
    const distinct = new Set(terms).size;
    if (distinct > MAX_QUERY_TERMS) {
      throw createError('LIMIT_EXCEEDED', 'MAX_QUERY_TERMS', 'the distinct terms of the keyword query', distinct, MAX_QUERY_TERMS, 'shorten the query text');
    }
    return terms;
  }

  #checkSearch(request: SearchRequest): CheckedSearch {
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
    const { text, fusion = 'relativeScore' as FusionMethod, alpha = DEFAULT_ALPHA } = request as SearchRequest;
    if (request.vector === undefined && text === undefined) {
      throw createError('INVALID_ARGUMENT', 'search request', 'a vector, a text query, or both', 'neither');
    }
    if (text !== undefined && (typeof text !== 'string' || text.length === 0 || text.length > MAX_QUERY_TEXT_LENGTH)) {
      throw createError('INVALID_ARGUMENT', 'text', `a non-empty string of at most ${MAX_QUERY_TEXT_LENGTH} characters`, text);
    }
    if (!FUSIONS.has(fusion)) throw createError('INVALID_ARGUMENT', 'fusion', [...FUSIONS].join(' or '), fusion);
    // 0 is a valid alpha (pure keyword), never "unset".
    if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) throw createError('INVALID_ARGUMENT', 'alpha', 'a number from 0 to 1', alpha);
    const signal = checkSignal(request.signal);
    if (include.includes('vector')) checkVectorValues(k, this.options.dimension, 'k');
    const vector = request.vector === undefined
      ? undefined
      : checkVector(request.vector, this.options.dimension, 'query vector', normalizesAtInsert(this.options.metric), false);
    const terms = text === undefined ? undefined : this.#queryTerms(text);
    const filter = request.filter === undefined ? undefined : compileFilter(request.filter);
    throwIfAborted(signal, 'search');
    const depth = vector === undefined || text === undefined ? k : Math.max(k, HYBRID_DEPTH);
    return {
      vector, text, terms, fusion, alpha, k, include, filter, depth, signal,
      sliced: (include.length > 0 && k > READ_SLICE) || (vector !== undefined && text !== undefined && depth > READ_SLICE),
      ef: request.ef,
      exact: request.exact as boolean | undefined,
      explain: request.explain === true,
      quantized: request.quantized as boolean | undefined,
    };
  }
}

interface CheckedSearch {
  vector: Float32Array | undefined;
  text: string | undefined;
  /** The keyword query's terms, tokenized once. */
  terms: readonly string[] | undefined;
  fusion: FusionMethod;
  alpha: number;
  k: number;
  /** Candidates the vector side fetches: k, or at least HYBRID_DEPTH each side of a hybrid search. */
  depth: number;
  include: readonly SearchField[];
  filter: CompiledFilter | undefined;
  ef: number | undefined;
  exact: boolean | undefined;
  explain: boolean;
  quantized: boolean | undefined;
  signal: AbortSignal | undefined;
  /** Many hits with fields, or many candidates to fuse: answered a slice at a time (#answerInSlices). */
  sliced: boolean;
}

function isSearchField(field: unknown): boolean {
  return SEARCH_FIELDS.has(field as SearchField);
}

function checkInclude(include: unknown): readonly SearchField[] {
  if (include === undefined) return DEFAULT_INCLUDE;
  if (!Array.isArray(include) || !include.every(isSearchField)) {
    throw createError('INVALID_ARGUMENT', 'include', 'an array of metadata, text, vector', include);
  }
  return include as SearchField[];
}

/** First index in sorted `values` holding a value >= `target`. */
function lowerBound(values: Int32Array, target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function checkBatchSize(size: number): void {
  if (size > MAX_BATCH_SIZE) throw createError('INVALID_ARGUMENT', 'batch size', `at most ${MAX_BATCH_SIZE}`, size);
}

function toDocument(row: DocumentRow): Document {
  const document: Document = { id: row.id, vector: row.vector };
  if (row.text !== undefined) document.text = row.text;
  if (row.metadata !== undefined) document.metadata = JSON.parse(row.metadata) as Metadata;
  return document;
}

/** What a timed graph search (one in PLANNER_SAMPLE) needs to teach the planner once it is done. */
interface GraphLesson {
  input: PlanInput;
  started: number;
  /** No other graph search was running when it started. */
  alone: boolean;
  /** What the search took on the worker threads (GraphHits.searchNs), when workers answered it. */
  searchNs?: number;
}

/** When an explained search's stages ended, and what its filter left. */
interface SearchClock {
  started: number;
  filtered: number;
  total: number;
  candidates: number;
}

/** Hits best first: a kernel's typed arrays, or a graph's plain ones. */
type Ranked = TopK | GraphHits;

/** Each fused hit's vector and keyword scores, by label. */
interface FusedParts {
  vector: Map<number, number>;
  keyword: Map<number, number>;
}

/** Elements `from` to `to` of a typed array (a view) or an array (a copy). */
function sliceOf(values: ArrayLike<number>, from: number, to: number): ArrayLike<number> {
  return ArrayBuffer.isView(values) ? (values as Int32Array).subarray(from, to) : Array.prototype.slice.call(values, from, to);
}

/** The first `k` hits of a best-first list, each label once (a repeat sorts next to its first copy). */
function withoutRepeats(top: TopK, k: number): TopK {
  const labels = new Int32Array(Math.min(k, top.labels.length));
  const scores = new Float32Array(labels.length);
  let n = 0;
  for (let i = 0; i < top.labels.length && n < labels.length; i++) {
    if (n > 0 && top.labels[i] === labels[n - 1]) continue;
    labels[n] = top.labels[i]!;
    scores[n] = top.scores[i]!;
    n++;
  }
  return n === labels.length ? { labels, scores } : { labels: labels.subarray(0, n), scores: scores.subarray(0, n) };
}

/** The vector side of one search: its hits and how they were found. */
interface VectorOutcome {
  top: Ranked;
  plan: Plan;
  fallback: boolean;
  /** The filter's allowed set the hits were chosen by: evaluated again when writes landed during a graph search. */
  allowed: { bitset: Uint32Array; count: number } | undefined;
}

/** What explain says of the plan: keyword (no vector side), the vector plan, or hybrid. */
function planExplain(vector: VectorOutcome | undefined, checked: CheckedSearch): Omit<Explain, 'timings' | 'total' | 'candidates'> {
  if (!vector) return { plan: 'keyword', fallback: false, ef: null, forced: false, explored: false, estimates: { exact: 0, hnsw: 0 } };
  const { plan, fallback } = vector;
  const explain: Omit<Explain, 'timings' | 'total' | 'candidates'> = {
    plan: plan.kind,
    fallback,
    ef: plan.kind === 'hnsw' ? plan.ef : null,
    forced: checked.exact !== undefined,
    explored: plan.explored,
    estimates: { exact: plan.estimates.exact / 1e6, hnsw: plan.estimates.hnsw / 1e6 },
  };
  if (checked.text === undefined) return explain;
  return { ...explain, plan: 'hybrid', vectorPlan: plan.kind, depth: checked.depth };
}
