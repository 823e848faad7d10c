/**
 * Quiver as a LlamaIndex.TS vector store (`quiverdb/llamaindex`), on
 * `@llamaindex/core`'s BaseVectorStore, over a library Collection or a remote
 * client's collection alike (PortableCollection).
 *
 * A node is a Quiver document: its `id_` is the id, its content without
 * metadata the text (so BM25 and hybrid search see it), its embedding the
 * vector, and its metadata the node's metadata plus what LlamaIndex's own
 * stores add with `nodeToMetadata` to rebuild the node (`_node_content`,
 * `_node_type`) and to find a document's nodes (`ref_doc_id`, `doc_id`,
 * `document_id`: the id of the node's SOURCE, "None" without one).
 * Queries return the rebuilt nodes (`storesText`), so a VectorStoreIndex
 * needs no document store beside it.
 *
 * Query modes: `default` is vector search; `hybrid` adds `queryStr` scored
 * by BM25 and fuses the two with Quiver's relativeScore (min-max normalised
 * scores), `alpha` weighting the vector side as in LlamaIndex (0 is pure
 * keyword, 1 pure vector); `sparse` is keyword search alone; `mmr` is
 * LlamaIndex's own getTopKMMREmbeddings (with `mmrThreshold` as lambda)
 * over candidates Quiver finds with their vectors: LlamaIndex's rule
 * penalises a candidate by the latest pick alone, where Quiver's mmr control
 * (and LangChain's) take the closest pick, so it is computed here to pick
 * what SimpleVectorStore picks. Similarities are Quiver's scores: cosine
 * similarity for a cosine collection, as SimpleVectorStore reports (its MMR
 * objective for MMR picks, as SimpleVectorStore reports).
 *
 * LlamaIndex metadata filters become Quiver filters (src/core/filter/filter.ts,
 * see fieldFilter); `text_match` and `is_empty` have no exact Quiver
 * counterpart and are refused, as are `docIds` and the learner modes.
 *
 * `@llamaindex/core` is a peer dependency, needed only by this module.
 */
import { DEFAULT_SIMILARITY_TOP_K, getTopKMMREmbeddings } from '@llamaindex/core/embeddings';
import { MetadataMode, TextNode, type BaseNode } from '@llamaindex/core/schema';
import {
  BaseVectorStore,
  metadataDictToNode,
  nodeToMetadata,
  VectorStoreQueryMode,
  type MetadataFilter,
  type MetadataFilters,
  type VectorStoreBaseParams,
  type VectorStoreQuery,
  type VectorStoreQueryResult,
} from '@llamaindex/core/vector-store';
import type { PortableCollection } from '../client/remote-collection.js';
import type { DocumentInput, SearchHit, SearchRequest } from '../core/api.js';
import { createError } from '../core/errors.js';

/** A Quiver metadata filter (src/core/filter/filter.ts). */
export type QuiverFilter = Record<string, unknown>;

export interface QuiverVectorStoreArgs extends VectorStoreBaseParams {
  /** The collection: `db.collection(name)` in process, or `client.collection(name)` over REST. */
  collection: PortableCollection;
  /** `true`: exact search; `false`: HNSW; unset: Quiver's planner chooses. */
  exact?: boolean;
  /** Nodes per upsert call (default 500). */
  batchSize?: number;
}

const DEFAULT_BATCH_SIZE = 500;
/** LlamaIndex's lambda when a query has no `mmrThreshold` (getTopKMMREmbeddings). */
const DEFAULT_MMR_THRESHOLD = 0.5;
/**
 * Bounds of an MMR re-rank (Quiver's own MAX_MMR_CANDIDATES and MAX_MMR_WORK
 * in src/core/options.ts, repeated because an adapter imports only the error
 * table of Quiver at run time): candidates fetched, and picks x candidates x
 * dimension, the work getTopKMMREmbeddings does here.
 */
const MAX_MMR_CANDIDATES = 1_000;
const MAX_MMR_WORK = 2 ** 27;
/** Vector components one search reply may carry (MAX_RESULT_VECTOR_VALUES): the candidates come with theirs. */
const MAX_RESULT_VECTOR_VALUES = 2 ** 20;

const SUPPORTED_OPERATORS = 'one of ==, !=, >, >=, <, <=, in, nin, any, all or contains (text_match and is_empty have no exact Quiver filter)';

export class QuiverVectorStore extends BaseVectorStore<PortableCollection> {
  storesText = true;

  readonly collection: PortableCollection;
  readonly #args: QuiverVectorStoreArgs;

  /** The embedding model is `args.embedModel`, else LlamaIndex's `Settings.embedModel` (BaseVectorStore's rule). */
  constructor(args: QuiverVectorStoreArgs) {
    // Checked before super(), which would otherwise fail first on a missing Settings.embedModel.
    if (args?.collection === undefined) throw createError('INVALID_ARGUMENT', 'QuiverVectorStore args.collection', 'a collection (db.collection(name) or client.collection(name))', args?.collection);
    if (args.batchSize !== undefined && !(Number.isInteger(args.batchSize) && args.batchSize > 0)) {
      throw createError('INVALID_ARGUMENT', 'QuiverVectorStore args.batchSize', 'a positive integer', args.batchSize);
    }
    super(args);
    this.collection = args.collection;
    this.#args = args;
  }

  client(): PortableCollection {
    return this.collection;
  }

  /** Stores embedded nodes (an upsert: a node id stored again is replaced); returns their ids. */
  async add(nodes: BaseNode[]): Promise<string[]> {
    // Every node is checked before the first write, so a bad one leaves nothing half stored.
    const documents: DocumentInput[] = nodes.map((node, i) => {
      if (node.embedding === undefined) throw createError('INVALID_ARGUMENT', `add nodes[${i}].embedding`, 'an embedded node (VectorStoreIndex embeds them)', node.embedding);
      // The text goes to Quiver's own field, so `_node_content` holds it empty rather than twice.
      return { id: node.id_, vector: node.embedding, text: node.getContent(MetadataMode.NONE), metadata: nodeToMetadata(node, true) };
    });
    const batch = this.#args.batchSize ?? DEFAULT_BATCH_SIZE;
    for (let from = 0; from < documents.length; from += batch) await this.collection.upsert(documents.slice(from, from + batch));
    return nodes.map((node) => node.id_);
  }

  /** Deletes every node of the document `refDocId` (the nodes whose SOURCE it is). */
  async delete(refDocId: string): Promise<void> {
    if (typeof refDocId !== 'string' || refDocId === '') throw createError('INVALID_ARGUMENT', 'delete refDocId', 'a document id', refDocId);
    await this.collection.deleteWhere({ ref_doc_id: { $eq: refDocId } });
  }

  /** The `similarityTopK` best nodes for the query's mode, with their ids and similarities. */
  async query(query: VectorStoreQuery): Promise<VectorStoreQueryResult> {
    if (query.docIds !== undefined) throw createError('INVALID_ARGUMENT', 'query.docIds', 'none (Quiver filters by metadata, not by node id)', query.docIds);
    const request: SearchRequest = { ...modeRequest(query), include: ['metadata', 'text'] };
    const filter = query.filters === undefined ? undefined : toQuiverFilter(query.filters);
    // An empty OR matches nothing, as in SimpleVectorStore; Quiver's $or takes no empty list.
    if (filter === null) return { nodes: [], similarities: [], ids: [] };
    if (query.similarityTopK !== undefined) request.k = query.similarityTopK;
    if (filter !== undefined) request.filter = filter;
    if (this.#args.exact !== undefined) request.exact = this.#args.exact;
    if (request.mmr !== undefined) return this.#mmr(query, request);
    const hits = (await this.collection.search(request)) as SearchHit[];
    return { nodes: hits.map(nodeOf), similarities: hits.map((hit) => hit.score), ids: hits.map((hit) => hit.id) };
  }

  /**
   * MMR as LlamaIndex computes it (getTopKMMREmbeddings, which SimpleVectorStore
   * runs): its rule penalises a candidate by its similarity to the latest pick
   * only, where Quiver's mmr control (and LangChain) take the closest pick, so
   * the candidates come from Quiver with their vectors and LlamaIndex's own
   * function picks among them. Its similarities are its MMR scores, as
   * SimpleVectorStore reports them.
   */
  async #mmr(query: VectorStoreQuery, request: SearchRequest): Promise<VectorStoreQueryResult> {
    const { mmr, ...search } = request;
    const hits = (await this.collection.search({ ...search, k: mmr!.candidates ?? search.k ?? DEFAULT_SIMILARITY_TOP_K, include: ['metadata', 'text', 'vector'] })) as SearchHit[];
    const byId = new Map(hits.map((hit) => [hit.id, hit]));
    const [similarities, ids] = getTopKMMREmbeddings(
      query.queryEmbedding!, hits.map((hit) => Array.from(hit.vector!)), null, query.similarityTopK ?? DEFAULT_SIMILARITY_TOP_K, hits.map((hit) => hit.id), null, mmr!.lambda,
    );
    return { nodes: ids.map((id) => nodeOf(byId.get(id as string)!)), similarities, ids: ids as string[] };
  }
}

/** The vector, text and mmr parts of a search for the query's mode. */
function modeRequest(query: VectorStoreQuery): SearchRequest {
  const mode = query.mode ?? VectorStoreQueryMode.DEFAULT;
  const needs = (field: 'queryEmbedding' | 'queryStr', what: string) => {
    if (query[field] === undefined) throw createError('INVALID_ARGUMENT', `query.${field}`, `${what} for the '${mode}' mode`, undefined);
  };
  switch (mode) {
    case VectorStoreQueryMode.DEFAULT:
      needs('queryEmbedding', 'a query embedding');
      return { vector: query.queryEmbedding };
    case VectorStoreQueryMode.HYBRID: {
      needs('queryEmbedding', 'a query embedding');
      needs('queryStr', 'a query string');
      // LlamaIndex's alpha weights the vector side (VectorStoreQuery: "0 for bm25, 1 for vector search"), as Quiver's does.
      const hybrid: SearchRequest = { vector: query.queryEmbedding, text: query.queryStr };
      if (query.alpha !== undefined) hybrid.alpha = query.alpha;
      return hybrid;
    }
    case VectorStoreQueryMode.SPARSE:
      needs('queryStr', 'a query string');
      return { text: query.queryStr };
    case VectorStoreQueryMode.MMR: {
      needs('queryEmbedding', 'a query embedding');
      // `??`, not LlamaIndex's `||`: an mmrThreshold of 0 means lambda 0 (the most diverse), not the default.
      const mmr: SearchRequest['mmr'] = { lambda: query.mmrThreshold ?? DEFAULT_MMR_THRESHOLD, relevance: 'score' };
      if (typeof query.similarityTopK === 'number') mmr.candidates = mmrCandidates(query.similarityTopK, query.queryEmbedding!.length);
      return { vector: query.queryEmbedding, mmr };
    }
    default:
      throw createError('INVALID_ARGUMENT', 'query.mode', "'default', 'hybrid', 'sparse' or 'mmr'", mode);
  }
}

/**
 * How many candidates MMR re-ranks: LlamaIndex's SimpleVectorStore re-ranks
 * every node the filters allow, so as many as the bounds allow (picks x
 * candidates x dimension within MAX_MMR_WORK, their vectors within one
 * reply's MAX_RESULT_VECTOR_VALUES, at least k so that Quiver rather than
 * this module reports a k beyond its limits). Up to that many matching
 * documents, the picks come from all of them, as in SimpleVectorStore.
 */
function mmrCandidates(k: number, dimension: number): number {
  const fits = Math.min(Math.floor(MAX_MMR_WORK / (k * Math.max(dimension, 1))), Math.floor(MAX_RESULT_VECTOR_VALUES / Math.max(dimension, 1)));
  return Math.min(MAX_MMR_CANDIDATES, Math.max(k, fits));
}

/**
 * A LlamaIndex MetadataFilters as a Quiver filter; undefined when it has no
 * conditions under AND (it allows everything), null under OR (it allows
 * nothing).
 */
export function toQuiverFilter(filters: MetadataFilters): QuiverFilter | undefined | null {
  const condition = filters.condition ?? 'and';
  if (condition !== 'and' && condition !== 'or') throw createError('INVALID_ARGUMENT', 'filters.condition', "'and' or 'or'", condition);
  if (!Array.isArray(filters.filters)) throw createError('INVALID_ARGUMENT', 'filters.filters', 'an array of { key, value, operator }', filters.filters);
  const parts = filters.filters.map((filter, i) => fieldFilter(filter, `filters.filters[${i}]`));
  if (parts.length === 0) return condition === 'and' ? undefined : null;
  if (parts.length === 1) return parts[0];
  return condition === 'and' ? { $and: parts } : { $or: parts };
}

/**
 * One condition. LlamaIndex's filters never match a node without the key
 * (SimpleVectorStore's buildFilterFn), where Quiver's $ne and $nin do, so
 * those two also require the key. On a key holding an array, Quiver's
 * operators match by any element: exactly LlamaIndex's any / all / contains,
 * which are defined on arrays; ==, in and the ranges are defined on strings
 * and numbers, where the two agree (Quiver also compares date strings as
 * times: see filter.ts).
 */
function fieldFilter(filter: MetadataFilter, at: string): QuiverFilter {
  const { key, operator, value } = filter ?? ({} as Partial<MetadataFilter>);
  // Quiver reads a dot as a step into a nested object, where LlamaIndex's keys are flat.
  if (typeof key !== 'string' || key === '' || key.includes('.')) throw createError('INVALID_ARGUMENT', `${at}.key`, 'a metadata key without a dot', key);
  const scalar = () => {
    if (Array.isArray(value) || value === undefined) throw createError('INVALID_ARGUMENT', `${at}.value`, `a string or a number for '${operator}'`, value);
    return value;
  };
  const list = () => {
    if (!Array.isArray(value)) throw createError('INVALID_ARGUMENT', `${at}.value`, `an array of strings or numbers for '${operator}'`, value);
    return value;
  };
  switch (operator) {
    case '==':
    case 'contains':
      return { [key]: { $eq: scalar() } };
    case '!=':
      return { [key]: { $exists: true, $ne: scalar() } };
    case '>':
      return { [key]: { $gt: scalar() } };
    case '>=':
      return { [key]: { $gte: scalar() } };
    case '<':
      return { [key]: { $lt: scalar() } };
    case '<=':
      return { [key]: { $lte: scalar() } };
    case 'in':
    case 'any':
      return { [key]: { $in: list() } };
    case 'nin':
      return { [key]: { $exists: true, $nin: list() } };
    case 'all': {
      const values = list();
      // Every element of an empty list is contained in any array: the key need only be there.
      return values.length === 0 ? { [key]: { $exists: true } } : { $and: values.map((item) => ({ [key]: { $eq: item } })) };
    }
    default:
      throw createError('INVALID_ARGUMENT', `${at}.operator`, SUPPORTED_OPERATORS, operator);
  }
}

/** The node a hit was stored from; a document written without LlamaIndex becomes a TextNode of its id, text and metadata. */
function nodeOf(hit: SearchHit): BaseNode {
  const metadata = hit.metadata ?? {};
  const node = typeof metadata._node_content === 'string' ? metadataDictToNode(metadata) : new TextNode({ id_: hit.id, metadata });
  node.setContent(hit.text ?? '');
  return node;
}
