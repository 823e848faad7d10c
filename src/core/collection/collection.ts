/**
 * A collection: its public API, and the lifecycle the database drives
 * (load, dispose, settled). Each verb is a function of the collection's
 * state in the file named for its job: write.ts, update.ts, read.ts, export.ts, search.ts (with
 * vector-search.ts), snapshots.ts, restore.ts, compaction.ts; state.ts holds
 * the state itself. Its public types live in ../api.ts.
 */
import type {
  CollectionInfo, Document, DocumentInput, DocumentUpdate, ExportOptions, FieldChange, GetOptions, ListPage, ListRequest, OptimizeResult, SearchHit, SearchRequest, SearchResult, WhereOptions,
} from '../api.js';
import type { ResolvedCollectionOptions } from './collection-options.js';
import { COLLECTION_BASE_BYTES } from './memory-budget.js';
import { queryTerms, type ShardSearch } from './checks.js';
import { CollectionState, type CollectionInit } from './state.js';
import { compact, indexed, optimize } from './compaction.js';
import { exportDocuments } from './export.js';
import { countWhere, getDocument, getMany, list } from './read.js';
import { load } from './restore.js';
import { searchNow } from './search.js';
import { holdSnapshots, snapshot } from './snapshots.js';
import { update, updateWhere } from './update.js';
import { deleteIds, deleteWhere, upsert } from './write.js';
import { embeddedRequest, hasTextToEmbed, needsEmbedding, refuseTextChange, withEmbeddedText } from './embed.js';

export type { CollectionInit, CollectionMemory, CollectionServices, Persistence } from './state.js';

export class Collection {
  readonly name: string;
  /**
   * Random, fixed at creation, never reused: with `version` it names one
   * state of one collection (a collection re-created under the same name
   * starts at version 0 again), e.g. in cache keys shared between processes.
   */
  readonly uid: string;
  readonly options: ResolvedCollectionOptions;
  readonly #s: CollectionState;

  /** @internal Created by Database; use `db.createCollection` or `db.collection`. */
  constructor(init: CollectionInit) {
    this.name = init.name;
    this.uid = init.uid;
    this.options = init.options;
    this.#s = new CollectionState(init);
  }

  get dimension(): number {
    return this.options.dimension;
  }

  get metric(): ResolvedCollectionOptions['metric'] {
    return this.options.metric;
  }

  /** Number of documents. */
  get count(): number {
    return this.#s.count;
  }

  /** Bumped by every write; caches key on it. */
  get version(): number {
    return this.#s.version;
  }

  get info(): CollectionInfo {
    const s = this.#s;
    const { dimension, metric, quantization, hnsw, text, bm25 } = this.options;
    const vectorSettings = this.options.vectors ? { dimension, metric, quantization, hnsw } : { keywordOnly: true as const };
    const info: CollectionInfo = {
      name: this.name, ...vectorSettings, text, bm25,
      count: s.count, version: s.version, tombstones: s.hnsw.tombstones, indexingBacklog: s.hnsw.backlog,
      state: s.unavailable === undefined ? 'ready' : 'degraded',
      memory: { vectors: s.flat.memoryBytes, graph: (s.hnsw.size + s.hnsw.tombstones) * s.cost.graph + s.hnsw.fixedBytes },
    };
    if (this.options.embedder !== undefined) info.embedder = this.options.embedder;
    if (s.unavailable !== undefined) info.reason = s.unavailable;
    return info;
  }

  /**
   * Estimated bytes held in memory: what a database's memoryLimit counts.
   * An empty collection's bookkeeping, plus its indexes (none while
   * degraded): each document's vectors and graph node, and the graph's
   * segments' fixed cost once it has any (none while it is empty).
   */
  get memoryBytes(): number {
    const s = this.#s;
    if (s.unavailable !== undefined) return COLLECTION_BASE_BYTES;
    return COLLECTION_BASE_BYTES + s.count * (s.cost.vectors + s.cost.graph) + s.hnsw.fixedBytes;
  }

  /**
   * Inserts documents, replacing any with the same id. All or nothing:
   * searches see the whole batch at once, when the returned promise
   * resolves, and a rejected batch changes nothing.
   */
  async upsert(documents: readonly DocumentInput[]): Promise<{ upserted: number; version: number }> {
    // A collection with an embedder embeds the text of documents without a vector, all of them before any write.
    if (hasTextToEmbed(this.#s, documents)) return upsert(this.#s, await withEmbeddedText(this.#s, documents));
    return upsert(this.#s, documents);
  }

  /** The document with this id, or null. */
  async get(id: string): Promise<Document | null> {
    return getDocument(this.#s, id);
  }

  /**
   * Documents by id, in the order asked; null where an id does not exist.
   * `include` picks the fields besides the id (default: all of them); at
   * most MAX_GET_IDS ids, and the reply's bounds of read-budget.ts.
   */
  async getMany(ids: readonly string[], options: GetOptions = {}): Promise<(Document | null)[]> {
    return getMany(this.#s, ids, options);
  }

  /** Deletes documents by id; ids that do not exist are skipped. Returns how many were deleted. */
  async delete(ids: readonly string[]): Promise<{ deleted: number; version: number }> {
    return deleteIds(this.#s, ids);
  }

  /**
   * Deletes every document matching `filter` in one transaction. Returns how
   * many were deleted. A filter without conditions (`{}`) is refused
   * (INVALID_FILTER) unless `options.all` is true.
   */
  async deleteWhere(filter: Record<string, unknown>, options: WhereOptions = {}): Promise<{ deleted: number; version: number }> {
    return deleteWhere(this.#s, filter, options);
  }

  /**
   * Changes documents' metadata and text by id, leaving their vectors and
   * graph nodes as they are (see FieldChange). All or nothing, durable as
   * an upsert: an id that does not exist rejects the whole call
   * (DOCUMENT_NOT_FOUND) and nothing changes.
   */
  async update(updates: readonly DocumentUpdate[]): Promise<{ updated: number; version: number }> {
    if (Array.isArray(updates)) for (const change of updates) refuseTextChange(this.#s, change);
    return update(this.#s, updates);
  }

  /**
   * Applies one change to every document matching `filter`, in one
   * transaction, as `update` does by id. A filter without conditions is
   * refused unless `options.all` is true.
   */
  async updateWhere(filter: Record<string, unknown>, change: FieldChange, options: WhereOptions = {}): Promise<{ updated: number; version: number }> {
    refuseTextChange(this.#s, change);
    return updateWhere(this.#s, filter, change, options);
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
      // Text to embed (or a mode or model to check) goes through the embedder first.
      if (needsEmbedding(this.#s, request)) return embeddedRequest(this.#s, request).then((embedded) => searchNow(this.#s, embedded));
      const answer = searchNow(this.#s, request);
      return answer instanceof Promise ? answer : Promise.resolve(answer);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * @internal One shard's part of a cluster's search (see ShardSearch):
   * hits as `search` gives them, scored with the cluster's BM25 statistics,
   * and for a hybrid search every candidate of both sides.
   */
  shardSearch(request: SearchRequest, shard: ShardSearch): Promise<SearchHit[] | SearchResult> {
    try {
      const answer = searchNow(this.#s, request, shard);
      return answer instanceof Promise ? answer : Promise.resolve(answer);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** @internal This collection's BM25 statistics for a keyword query's terms (see ShardSearch). */
  termStats(text: string): { live: number; totalLength: number; df: Map<string, number> } {
    this.#s.checkIndexed();
    return this.#s.bm25.termStats(queryTerms(this.#s, text));
  }

  /** Number of documents matching `filter` (all documents without one). */
  async countWhere(filter?: Record<string, unknown>): Promise<number> {
    return countWhere(this.#s, filter);
  }

  /** Documents matching the filter, in label order, a page at a time. */
  async list(request: ListRequest = {}): Promise<ListPage> {
    return list(this.#s, request);
  }

  /**
   * Every document, one at a time, in label order (the order `list` pages
   * in), read from the store a page at a time: memory stays one page however
   * large the collection. `include` picks the fields besides the id (default:
   * all). Writes go on meanwhile, so this is not one version of the
   * collection (a document written during the export may or may not appear);
   * for that, export a backup. Options are checked at the call.
   */
  export(options: ExportOptions = {}): AsyncGenerator<Document, void, undefined> {
    return exportDocuments(this.#s, options);
  }

  /**
   * @internal Holds off snapshots (and the pruning of the deletion log they
   * allow) until the returned function is called; a snapshot under way
   * finishes first. Database.backup copies the collection under it.
   */
  async holdSnapshots(): Promise<() => void> {
    return holdSnapshots(this.#s);
  }

  /**
   * Writes a snapshot of the derived state (graph, vectors, label states)
   * at the current version; a no-op for in-memory databases or when nothing
   * changed since the last one. Returns whether one was written.
   */
  async snapshot(): Promise<boolean> {
    return snapshot(this.#s);
  }

  /**
   * Resolves once every graph insert sent so far has run (with worker
   * threads, inserts run in the background; searches meanwhile scan the
   * pending documents exactly, so waiting is never needed for correctness).
   */
  async indexed(): Promise<void> {
    return indexed(this.#s);
  }

  /**
   * Lays the HNSW graph out afresh in memory once it has caught up with
   * every write (after a running compaction, if any): each segment is written
   * to a temporary file and read back. A graph built while the process did
   * other work is spread over memory taken in between; laid out afresh it
   * searches as fast as one built alone (measured by `npm run bench:layout`,
   * figures in bench/README.md). Call it after a bulk
   * load. Searches go on meanwhile; writes made during it wait for it. Needs
   * free space in the OS temporary directory for the largest segment.
   * Resolves to how many segments went through a file, their bytes in all,
   * and the seconds taken.
   */
  async optimize(): Promise<OptimizeResult> {
    return optimize(this.#s);
  }

  /**
   * Rebuilds the HNSW graph without its tombstones, a slice at a time so
   * searches and writes go on meanwhile (they use the old graph until the
   * swap), then snapshots. Resolves to whether a rebuild ran.
   */
  async compact(): Promise<boolean> {
    return compact(this.#s);
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
    return load(this.#s);
  }

  /** @internal Releases memory; the collection is unusable afterwards. See also `settled`. */
  dispose(): void {
    const s = this.#s;
    s.open = false;
    s.hnsw.drop();
    // A compaction's graph is dropped too: its queued inserts are discarded, not built for nothing.
    s.freshGraph?.drop();
    s.flat.dispose();
    s.metadataLoad?.stop();
    s.labelOf.clear();
    s.ids = [];
    s.freeLabels = [];
  }

  /**
   * @internal Resolves once none of this collection's graph requests is in
   * flight on the worker threads (see SegmentedGraph.settled): a database
   * closing waits for it, after `dispose`, so that the process can end.
   */
  async settled(): Promise<void> {
    const s = this.#s;
    await s.compaction?.catch(() => false);
    await s.hnsw.settled();
    await s.freshGraph?.settled();
  }
}
