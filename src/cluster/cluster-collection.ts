/**
 * A collection in cluster mode: the embedded Collection's verbs, answered
 * by the cluster. Writes are validated here as the embedded write path
 * validates them and commit as one PostgreSQL transaction (pg-store.ts);
 * the reply's version is the consistency token. Reads scatter to one
 * replica per shard (coordinator.ts) and merge (merge.ts).
 *
 * Each read has a consistency: `eventual` (what the replica holds),
 * `session` (the default: at least the version of every write and read
 * this handle's process made of the collection, or the `minVersion` the
 * caller passes, e.g. a REST client's last write) or `strong` (the
 * version PostgreSQL holds as the read starts).
 */
import type {
  CollectionInfo, Document, DocumentInput, DocumentUpdate, Explain, ExportOptions, FieldChange, GetOptions, ListPage, ListRequest, OptimizeResult, ReadConsistency, SearchField, SearchHit, SearchRequest, SearchResult, WhereOptions,
} from '../core/api.js';
import { checkBatchSize, checkControls, checkDocuments, checkExamples, checkInclude, compileWhere, exampleVector, HYBRID_DEPTH, LIST_KEYS } from '../core/collection/checks.js';
import { resolveCollectionOptions, type ResolvedCollectionOptions } from '../core/collection/collection-options.js';
import { CHANGE_KEYS, changed, checkChange, checkUpdates, type CheckedChange } from '../core/collection/update.js';
import { embeddedRequest, hasTextToEmbed, needsEmbedding, refuseTextChange, withEmbeddedText, type EmbedContext } from '../core/collection/embed.js';
import type { EmbeddingsLike } from '../core/embedding/embedder.js';
import { createError } from '../core/errors.js';
import { compileFilter, matches, type CompiledFilter } from '../core/filter/filter.js';
import { DEFAULT_K, DEFAULT_LIST_LIMIT, MAX_K, MAX_LIST_LIMIT, isIntegerIn } from '../core/options.js';
import { DEFAULT_ALPHA } from '../core/query/fusion.js';
import { poolSize } from '../core/query/result-controls.js';
import { checkId, isPlainObject, type Metadata } from '../core/validate.js';
import { normalizesAtInsert } from '../core/vector/metric.js';
import type { Coordinator, ShardCall, WireKeywordStats } from './coordinator.js';
import { mergeHits } from './merge.js';
import { floatsOf, PgStore, type ClusterCollectionRow, type DocumentRow, type DocumentWrite, type TransactionSql } from './pg-store.js';
import { shardOf } from './shard-hash.js';
import type { ShardReplica } from './replica.js';

export type Consistency = NonNullable<ReadConsistency['consistency']>;

/** What a cluster collection needs of its node. */
export interface ClusterServices {
  store: PgStore;
  coordinator: Coordinator;
  /** The highest version this process wrote or read of each collection (by uid): its session. */
  session: Map<string, number>;
  /** This node's replicas of a collection. */
  replicasOf(uid: string): ShardReplica[];
  /** In-process embedders by model name (the node's DatabaseOptions.embedders). */
  embedders: ReadonlyMap<string, EmbeddingsLike>;
}

/** Search options that only the merge applies: the shards rank, the coordinator chooses. */
const CONTROL_KEYS = ['offset', 'minScore', 'groupBy', 'groupSize', 'mmr'] as const;

export class ClusterCollection {
  readonly name: string;
  readonly uid: string;
  readonly options: ResolvedCollectionOptions;
  readonly shards: number;
  readonly replicas: number;
  /** The collection's version and live count as last seen (writes, and the node's refresh). */
  #row: ClusterCollectionRow;
  readonly #services: ClusterServices;
  /** The collection as its embedder sees it (embed.ts): the coordinator embeds, once, before writes and scatters. */
  readonly #embedding: EmbedContext;

  constructor(row: ClusterCollectionRow, services: ClusterServices) {
    this.name = row.name;
    this.uid = row.uid;
    this.shards = row.shards;
    this.replicas = row.replicas;
    this.options = resolveCollectionOptions(JSON.parse(row.options), 1);
    this.#embedding = { name: row.name, options: this.options, services: { embedders: services.embedders } };
    this.#row = row;
    this.#services = services;
  }

  get dimension(): number {
    return this.options.dimension;
  }

  /** The version last seen by this node (a write's, or PostgreSQL's at the last refresh). */
  get version(): number {
    return this.#row.version;
  }

  /** Live documents as last seen by this node; `countWhere()` counts them now. */
  get count(): number {
    return this.#row.count;
  }

  get info(): CollectionInfo & { shards: number; replicas: number; localShards: number[] } {
    const { dimension, metric, quantization, hnsw, text, bm25 } = this.options;
    const vectorSettings = this.options.vectors ? { dimension, metric, quantization, hnsw } : { keywordOnly: true as const };
    return {
      name: this.name, ...vectorSettings, text, bm25, count: this.count, version: this.version,
      tombstones: 0, indexingBacklog: 0, state: 'ready', memory: { vectors: 0, graph: 0 }, shards: this.shards, replicas: this.replicas,
      localShards: this.#services.replicasOf(this.uid).map((replica) => replica.shard).sort((a, b) => a - b),
    };
  }

  /** @internal The node's refresh of the row (version and count). */
  refresh(row: ClusterCollectionRow): void {
    if (row.version >= this.#row.version) this.#row = row;
  }

  async upsert(documents: readonly DocumentInput[]): Promise<{ upserted: number; version: number }> {
    // Embedded here, all of them before the transaction: replicas receive vectors and never embed.
    if (hasTextToEmbed(this.#embedding, documents)) documents = await withEmbeddedText(this.#embedding, documents);
    const rows = this.#documentRows(documents);
    const { version } = await this.#write(async () => ({ rows, result: undefined }));
    return { upserted: rows.length, version };
  }

  async delete(ids: readonly string[]): Promise<{ deleted: number; version: number }> {
    if (!Array.isArray(ids)) throw createError('INVALID_ARGUMENT', 'ids', 'an array of ids', ids);
    checkBatchSize(ids.length);
    ids.forEach((id, i) => checkId(id, `ids[${i}]`));
    const { result, version } = await this.#write(async (tx) => {
      const live = await PgStore.liveRows(tx, this.uid, [...new Set(ids)]);
      return { rows: [...live.keys()].map((id) => this.#tombstone(id)), result: live.size };
    });
    return { deleted: result, version };
  }

  async deleteWhere(filter: Record<string, unknown>, options: WhereOptions = {}): Promise<{ deleted: number; version: number }> {
    const compiled = compileWhere(filter, options, 'delete');
    const { result, version } = await this.#write(async (tx) => {
      const rows = (await this.#matching(tx, compiled)).map((row) => this.#tombstone(row.id));
      return { rows, result: rows.length };
    });
    return { deleted: result, version };
  }

  async update(updates: readonly DocumentUpdate[]): Promise<{ updated: number; version: number }> {
    if (Array.isArray(updates)) for (const change of updates) refuseTextChange(this.#embedding, change);
    const changes = checkUpdates(updates);
    const { result, version } = await this.#write(async (tx) => {
      const live = await PgStore.liveRows(tx, this.uid, changes.map(({ id }) => id));
      const rows = changes.map(({ id, change }) => {
        const before = live.get(id);
        if (before === undefined) throw createError('DOCUMENT_NOT_FOUND', this.name, id);
        return this.#changedRow(before, change);
      });
      return { rows, result: rows.length };
    });
    return { updated: result, version };
  }

  async updateWhere(filter: Record<string, unknown>, change: FieldChange, options: WhereOptions = {}): Promise<{ updated: number; version: number }> {
    refuseTextChange(this.#embedding, change);
    const compiled = compileWhere(filter, options, 'update');
    const checked = checkChange(change, 'change', CHANGE_KEYS);
    const { result, version } = await this.#write(async (tx) => {
      const rows = (await this.#matching(tx, compiled)).map((row) => this.#changedRow(row, checked));
      return { rows, result: rows.length };
    });
    return { updated: result, version };
  }

  async get(id: string, read: ReadConsistency = {}): Promise<Document | null> {
    checkId(id, 'id');
    const [document] = await this.getMany([id], {}, read);
    return document ?? null;
  }

  /** Documents by id, in the order asked; null where an id does not exist. */
  async getMany(ids: readonly string[], options: GetOptions = {}, read: ReadConsistency = {}): Promise<(Document | null)[]> {
    if (!Array.isArray(ids)) throw createError('INVALID_ARGUMENT', 'ids', 'an array of ids', ids);
    ids.forEach((id, i) => checkId(id, `ids[${i}]`));
    const include = options.include === undefined ? undefined : checkInclude(options.include);
    const minVersion = await this.#minVersion(read);
    const byShard = new Map<number, string[]>();
    for (const id of ids) {
      const shard = shardOf(id, this.shards);
      const shardIds = byShard.get(shard);
      if (shardIds === undefined) byShard.set(shard, [id]);
      else shardIds.push(id);
    }
    const found = new Map<string, Document | null>();
    await Promise.all([...byShard].map(async ([shard, shardIds]) => {
      const documents = await this.#call({ op: 'get', ids: shardIds, include, shard, minVersion }) as (Document | null)[];
      shardIds.forEach((id, i) => found.set(id, documents[i] ?? null));
    }));
    return ids.map((id) => found.get(id) ?? null);
  }

  /** Number of documents matching `filter` (all documents without one), over every shard. */
  async countWhere(filter?: Record<string, unknown>, read: ReadConsistency = {}): Promise<number> {
    const minVersion = await this.#minVersion(read);
    const counts = await this.#scatter((shard) => ({ op: 'count', filter, shard, minVersion })) as number[];
    return counts.reduce((sum, count) => sum + count, 0);
  }

  /**
   * The k best documents over every shard, as one collection holding them
   * all would rank them (see merge.ts); `read` sets the consistency.
   */
  async search(request: SearchRequest & { explain: true }, read?: ReadConsistency): Promise<SearchResult>;
  async search(request: SearchRequest, read?: ReadConsistency): Promise<SearchHit[]>;
  async search(request: SearchRequest, read: ReadConsistency = {}): Promise<SearchHit[] | SearchResult> {
    if (!isPlainObject(request)) throw createError('INVALID_ARGUMENT', 'search request', 'an object', request);
    const started = performance.now();
    // Text to embed (or a mode or model to check): the coordinator embeds the query once, the shards search with its vector.
    if (needsEmbedding(this.#embedding, request)) request = await embeddedRequest(this.#embedding, request);
    const k = request.k ?? DEFAULT_K;
    if (!isIntegerIn(k, 1, MAX_K)) throw createError('INVALID_ARGUMENT', 'k', `an integer from 1 to ${MAX_K}`, k);
    const include = checkInclude(request.include);
    const minVersion = await this.#minVersion(read);
    // One shard holds every document: its replica answers the whole request as one collection does, controls and examples included.
    if (this.shards === 1) {
      const whole: SearchRequest = { ...request };
      delete whole.signal;
      const answer = await this.#call({ op: 'search', request: whole, whole: true, shard: 0, minVersion }) as SearchHit[] | SearchResult;
      if (Array.isArray(answer)) return answer;
      return { hits: answer.hits, explain: clusterExplain([answer.explain], performance.now() - started) };
    }
    // A search by example: the examples' vectors from their shards, the query made as one collection makes it; the examples never returned.
    const examples = request.like === undefined && request.unlike === undefined ? undefined : await this.#exampleQuery(request, minVersion);
    const controls = checkControls(this.options.dimension, request, k, undefined);
    const excluded = examples?.ids.size ?? 0;
    const pool = Math.min(MAX_K, (controls === undefined ? k : poolSize(controls, k)) + excluded);
    const hybrid = (request.vector !== undefined || examples !== undefined) && request.text !== undefined;
    const depth = hybrid ? Math.max(pool, HYBRID_DEPTH) : pool;
    const shardInclude = new Set(include);
    if (controls?.groupBy) shardInclude.add('metadata');
    if (controls?.mmr) shardInclude.add('vector');
    const shardRequest: SearchRequest = { ...request, k: pool, include: [...shardInclude] };
    for (const key of CONTROL_KEYS) delete shardRequest[key];
    delete shardRequest.signal;
    delete shardRequest.like;
    delete shardRequest.unlike;
    if (examples !== undefined) shardRequest.vector = examples.vector;
    const { text, fusion = 'relativeScore', alpha = DEFAULT_ALPHA } = request as SearchRequest;
    const keywordStats = typeof text !== 'string' ? undefined : await this.#keywordStats(text, minVersion);
    const answers = await this.#scatter((shard) => ({ op: 'search', request: shardRequest, depth: hybrid ? depth : undefined, keywordStats, shard, minVersion })) as (SearchHit[] | SearchResult)[];
    const hits = mergeHits(answers.map((answer) => (Array.isArray(answer) ? answer : answer.hits)), {
      hybrid, k, pool, depth, controls, include, fusion, alpha, exclude: examples?.ids,
    });
    if (request.explain !== true) return hits;
    return { hits, explain: clusterExplain(answers.map((answer) => (answer as SearchResult).explain), performance.now() - started) };
  }

  /**
   * Documents matching the filter in id order, a page at a time, read from
   * PostgreSQL (the store of record, so every page is as of its read: a
   * strong read), the filter applied as the embedded one applies it. A
   * filter few documents match reads many rows for a page.
   */
  async list(request: ListRequest = {}): Promise<ListPage> {
    if (!isPlainObject(request)) throw createError('INVALID_ARGUMENT', 'list request', 'an object', request);
    for (const key of Object.keys(request)) if (!LIST_KEYS.has(key)) throw createError('INVALID_ARGUMENT', `list option '${key}'`, [...LIST_KEYS].join(', '), key);
    const limit = request.limit ?? DEFAULT_LIST_LIMIT;
    if (!isIntegerIn(limit, 1, MAX_LIST_LIMIT)) throw createError('INVALID_ARGUMENT', 'limit', `an integer from 1 to ${MAX_LIST_LIMIT}`, limit);
    const { after, filter: where } = request as ListRequest;
    if (after !== undefined) checkId(after, 'after');
    const include = checkInclude(request.include);
    const filter = where === undefined ? undefined : compileFilter(where);
    const documents: Document[] = [];
    let cursor = after ?? '';
    for (;;) {
      const rows = await this.#services.store.liveAfter(this.uid, cursor, Math.max(LIST_SCAN, limit + 1));
      for (const row of rows) {
        const metadata = row.metadata === null ? undefined : (JSON.parse(row.metadata) as Metadata);
        if (filter !== undefined && !matches(filter, metadata)) continue;
        if (documents.length === limit) return { documents, next: documents[limit - 1]!.id };
        documents.push(documentOf(row, metadata, include));
      }
      if (rows.length === 0) return { documents, next: null };
      cursor = rows[rows.length - 1]!.id;
    }
  }

  /** Every document in id order, a list page at a time (see `list`). */
  async *export(options: ExportOptions = {}): AsyncGenerator<Document, void, undefined> {
    const include = options.include ?? ['metadata', 'text', 'vector'];
    let after: string | undefined;
    do {
      const page = await this.list({ limit: EXPORT_PAGE, include, ...(after === undefined ? {} : { after }) });
      yield* page.documents;
      after = page.next ?? undefined;
    } while (after !== undefined);
  }

  /** Lays out afresh the graphs of this node's replicas of the collection (see Collection.optimize); other nodes' are their own. */
  async optimize(): Promise<OptimizeResult> {
    const results = await Promise.all(this.#services.replicasOf(this.uid).map((replica) => replica.local.optimize()));
    return results.reduce((sum, one) => ({ segments: sum.segments + one.segments, bytes: sum.bytes + one.bytes, seconds: Math.max(sum.seconds, one.seconds) }), { segments: 0, bytes: 0, seconds: 0 });
  }

  /** The query vector of a search by example and its examples' ids (checks.ts exampleVector, over vectors read from their shards). */
  async #exampleQuery(request: SearchRequest, minVersion: number): Promise<{ vector: Float32Array; ids: Set<string> }> {
    if (!this.options.vectors) throw createError('INVALID_ARGUMENT', "search option 'like'", `a keyword search: collection '${this.name}' is keyword-only (created without a dimension)`, 'like');
    const { like, unlike } = checkExamples(request);
    const found = await this.getMany([...like, ...unlike], { include: ['vector'] }, { minVersion });
    const vectors = found.map((document, i) => {
      if (document?.vector === undefined) throw createError('DOCUMENT_NOT_FOUND', this.name, [...like, ...unlike][i]!);
      return document.vector as Float32Array;
    });
    const vector = exampleVector(vectors.slice(0, like.length), vectors.slice(like.length), this.options.dimension, normalizesAtInsert(this.options.metric));
    return { vector, ids: new Set([...like, ...unlike]) };
  }

  /** The cluster's BM25 statistics for a query's terms: every shard's summed. */
  async #keywordStats(text: string, minVersion: number): Promise<WireKeywordStats> {
    const parts = await this.#scatter((shard) => ({ op: 'termStats', text, shard, minVersion })) as WireKeywordStats[];
    const sum: WireKeywordStats = { live: 0, totalLength: 0, df: {} };
    for (const part of parts) {
      sum.live += part.live;
      sum.totalLength += part.totalLength;
      for (const [term, df] of Object.entries(part.df)) sum.df[term] = (sum.df[term] ?? 0) + df;
    }
    return sum;
  }

  #scatter(call: (shard: number) => DistributiveOmit<ShardCall, 'uid'>): Promise<unknown[]> {
    return Promise.all(Array.from({ length: this.shards }, (_, shard) => this.#call(call(shard))));
  }

  #call(call: DistributiveOmit<ShardCall, 'uid'>): Promise<unknown> {
    return this.#services.coordinator.call({ ...call, uid: this.uid } as ShardCall);
  }

  /** The version a read must reflect (see ReadConsistency). */
  async #minVersion(read: ReadConsistency): Promise<number> {
    const { consistency = 'session', minVersion } = read;
    if (consistency !== 'eventual' && consistency !== 'session' && consistency !== 'strong') {
      throw createError('INVALID_ARGUMENT', 'consistency', 'eventual, session or strong', consistency);
    }
    if (minVersion !== undefined && !isIntegerIn(minVersion, 0, Number.MAX_SAFE_INTEGER)) {
      throw createError('INVALID_ARGUMENT', 'minVersion', 'a version a write replied with', minVersion);
    }
    if (consistency === 'eventual') return 0;
    if (consistency === 'strong') {
      const version = await this.#services.store.version(this.uid);
      if (version === undefined) throw createError('COLLECTION_NOT_FOUND', this.name);
      return version;
    }
    return Math.max(minVersion ?? 0, this.#services.session.get(this.uid) ?? 0);
  }

  /** Commits a write (pg-store.ts write) and records its version in the session. */
  async #write<T>(build: (tx: TransactionSql) => Promise<{ rows: DocumentWrite[]; result: T }>): Promise<{ result: T; version: number }> {
    const written = await this.#services.store.write(this.name, async (tx, row) => {
      if (row.uid !== this.uid) throw createError('COLLECTION_NOT_FOUND', this.name);
      return build(tx);
    });
    const session = this.#services.session;
    session.set(this.uid, Math.max(session.get(this.uid) ?? 0, written.version));
    if (written.version > this.#row.version) this.#row = { ...this.#row, version: written.version };
    return written;
  }

  /** A batch of documents checked as the embedded write path checks it (checks.ts checkDocuments), as rows to write. */
  #documentRows(documents: readonly DocumentInput[]): DocumentWrite[] {
    return checkDocuments(documents, this.name, this.options).map(({ id, vector, text, metadata }) => ({
      id, shard: shardOf(id, this.shards), deleted: false,
      vector: this.options.vectors ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength) : null,
      text: text ?? null, metadata: metadata?.json ?? null,
    }));
  }

  #tombstone(id: string): DocumentWrite {
    return { id, shard: shardOf(id, this.shards), deleted: true, vector: null, text: null, metadata: null };
  }

  /** A stored document after a field change: its vector as it was. */
  #changedRow(before: DocumentRow, change: CheckedChange): DocumentWrite {
    const { text, metadata } = changed(before, change, `document '${before.id}'`);
    return { id: before.id, shard: shardOf(before.id, this.shards), deleted: false, vector: before.vector, text: text ?? null, metadata: metadata?.json ?? null };
  }

  /** The live rows whose metadata passes `filter`, read inside the write's transaction (its lock holds other writers off). */
  async #matching(tx: TransactionSql, filter: CompiledFilter): Promise<DocumentRow[]> {
    const out: DocumentRow[] = [];
    for await (const page of PgStore.liveFields(tx, this.uid)) {
      for (const row of page) if (matches(filter, row.metadata === null ? undefined : JSON.parse(row.metadata))) out.push(row);
    }
    return out;
  }
}

/** A cluster search's explain: the shards' (see Explain.shards) and the whole search's. */
function clusterExplain(shards: Explain[], totalMs: number): Explain {
  const slowest = (stage: 'filter' | 'search' | 'fetch') => Math.max(...shards.map((explain) => explain.timings[stage]));
  return {
    ...shards[0]!,
    total: shards.reduce((sum, explain) => sum + explain.total, 0),
    candidates: shards.reduce((sum, explain) => sum + explain.candidates, 0),
    timings: { filter: slowest('filter'), search: slowest('search'), fetch: slowest('fetch'), total: totalMs },
    shards,
  };
}

/** Rows a list page reads from PostgreSQL at a time. */
const LIST_SCAN = 1000;
/** Documents an export reads per list page. */
const EXPORT_PAGE = 1000;

/** A stored row as a document with the fields asked for. */
function documentOf(row: DocumentRow, metadata: Metadata | undefined, include: readonly SearchField[]): Document {
  const document: Document = { id: row.id };
  if (include.includes('metadata') && metadata !== undefined) document.metadata = metadata;
  if (include.includes('text') && row.text !== null) document.text = row.text;
  if (include.includes('vector') && row.vector !== null) document.vector = floatsOf(row.vector);
  return document;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

