/**
 * Quiver as a LangChain.js vector store (`quiverdb/langchain`), on
 * `@langchain/core`'s VectorStore, over a library Collection or a remote
 * client's collection alike (PortableCollection).
 *
 * A LangChain document is a Quiver document: `pageContent` is its text
 * (so BM25 and hybrid search see it), `metadata` its metadata, `id` its id
 * (a random UUID when the document has none). Filters are Quiver filters
 * (`{ year: { $gte: 2020 } }`, src/core/filter/filter.ts). Scores are Quiver's:
 * cosine similarity for a cosine collection, as LangChain's in-memory
 * store reports. Maximal marginal relevance is Quiver's `mmr` control with
 * `relevance: 'score'`, the same greedy rule as LangChain's
 * `maximalMarginalRelevance`, so it picks what the in-memory store picks.
 *
 * `@langchain/core` is a peer dependency, needed only by this module.
 */
import { randomUUID } from 'node:crypto';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { VectorStore, type MaxMarginalRelevanceSearchOptions } from '@langchain/core/vectorstores';
import type { PortableCollection } from '../client/remote-collection.js';
import type { FusionMethod, SearchHit, SearchRequest } from '../core/api.js';
import { createError } from '../core/errors.js';

export { QuiverLLMCache, type QuiverLLMCacheArgs } from './langchain-cache.js';

/** A Quiver metadata filter (src/core/filter/filter.ts). */
export type QuiverFilter = Record<string, unknown>;

export interface QuiverVectorStoreArgs {
  /** The collection: `db.collection(name)` in process, or `client.collection(name)` over REST. */
  collection: PortableCollection;
  /** `vector` (default): similarity searches embed the query; `hybrid`: they also score its words by BM25 and fuse the two. */
  searchMode?: 'vector' | 'hybrid';
  /** Hybrid fusion (default `relativeScore`) and its weight of the vector side, 0 to 1 (default 0.5). */
  fusion?: FusionMethod;
  alpha?: number;
  /** `true`: exact search; `false`: HNSW; unset: Quiver's planner chooses. */
  exact?: boolean;
  /** Documents per upsert call (default 500). */
  batchSize?: number;
}

/** Options of `delete`: ids, or a filter, or both (each applied). */
export interface QuiverDeleteParams {
  ids?: string[];
  filter?: QuiverFilter;
}

const DEFAULT_BATCH_SIZE = 500;

export class QuiverVectorStore extends VectorStore {
  declare FilterType: QuiverFilter;

  readonly collection: PortableCollection;
  readonly #args: QuiverVectorStoreArgs;

  _vectorstoreType(): string {
    return 'quiver';
  }

  constructor(embeddings: EmbeddingsInterface, args: QuiverVectorStoreArgs) {
    super(embeddings, args as unknown as Record<string, unknown>);
    if (args?.collection === undefined) throw createError('INVALID_ARGUMENT', 'QuiverVectorStore args.collection', 'a collection (db.collection(name) or client.collection(name))', args?.collection);
    if (args.batchSize !== undefined && !(Number.isSafeInteger(args.batchSize) && args.batchSize > 0)) {
      throw createError('INVALID_ARGUMENT', 'QuiverVectorStore args.batchSize', 'a positive integer', args.batchSize);
    }
    if (args.searchMode !== undefined && args.searchMode !== 'vector' && args.searchMode !== 'hybrid') {
      throw createError('INVALID_ARGUMENT', 'QuiverVectorStore args.searchMode', "'vector' or 'hybrid'", args.searchMode);
    }
    this.collection = args.collection;
    this.#args = args;
  }

  /** Embeds each document's page content, then stores it; returns the ids. */
  async addDocuments(documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]> {
    const vectors = await this.embeddings.embedDocuments(documents.map((document) => document.pageContent));
    return this.addVectors(vectors, documents, options);
  }

  /** Stores documents with their vectors (an upsert: an id already stored is replaced); returns the ids. */
  async addVectors(vectors: number[][], documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]> {
    if (vectors.length !== documents.length) throw createError('INVALID_ARGUMENT', 'addVectors', `one vector per document (${documents.length})`, `${vectors.length} vectors`);
    if (options?.ids !== undefined && options.ids.length !== documents.length) {
      throw createError('INVALID_ARGUMENT', 'addVectors options.ids', `one id per document (${documents.length})`, `${options.ids.length} ids`);
    }
    const ids = documents.map((document, i) => options?.ids?.[i] ?? document.id ?? randomUUID());
    const batch = this.#args.batchSize ?? DEFAULT_BATCH_SIZE;
    for (let from = 0; from < documents.length; from += batch) {
      await this.collection.upsert(documents.slice(from, from + batch).map((document, i) => ({
        id: ids[from + i]!, vector: vectors[from + i]!, text: document.pageContent, metadata: document.metadata ?? {},
      })));
    }
    return ids;
  }

  /** Deletes by ids, by a Quiver filter, or both. */
  override async delete(params: QuiverDeleteParams = {}): Promise<void> {
    if (params.ids === undefined && params.filter === undefined) throw createError('INVALID_ARGUMENT', 'delete', '{ ids } or { filter }', params);
    if (params.ids !== undefined) await this.collection.delete(params.ids);
    if (params.filter !== undefined) await this.collection.deleteWhere(params.filter);
  }

  async similaritySearchVectorWithScore(query: number[], k: number, filter?: QuiverFilter): Promise<[DocumentInterface, number][]> {
    return this.#search({ vector: query, k, filter });
  }

  /** The k documents most similar to `query` (hybrid with `searchMode: 'hybrid'`), with their scores. */
  override async similaritySearchWithScore(query: string, k = 4, filter?: QuiverFilter): Promise<[DocumentInterface, number][]> {
    const vector = await this.embeddings.embedQuery(query);
    return this.#search({ vector, k, filter, ...(this.#args.searchMode === 'hybrid' ? { text: query } : {}) });
  }

  override async similaritySearch(query: string, k = 4, filter?: QuiverFilter): Promise<DocumentInterface[]> {
    return (await this.similaritySearchWithScore(query, k, filter)).map(([document]) => document);
  }

  /** Keyword plus vector search of `query`, whatever `searchMode` says; `alpha` and `fusion` as in the args. */
  async hybridSearchWithScore(query: string, k = 4, filter?: QuiverFilter, options: { alpha?: number; fusion?: FusionMethod } = {}): Promise<[DocumentInterface, number][]> {
    const vector = await this.embeddings.embedQuery(query);
    return this.#search({ vector, text: query, k, filter, ...options });
  }

  /** Documents picked by maximal marginal relevance from the `fetchK` (default 20) most similar, as LangChain's in-memory store picks them. */
  override async maxMarginalRelevanceSearch(query: string, options: MaxMarginalRelevanceSearchOptions<QuiverFilter>): Promise<DocumentInterface[]> {
    const { k = 4, fetchK = 20, lambda = 0.5, filter } = options;
    const vector = await this.embeddings.embedQuery(query);
    // LangChain returns min(k, fetchK) picks; Quiver's candidates are at least k.
    const picks = Math.min(k, fetchK);
    const hits = await this.#search({ vector, k: picks, filter, mmr: { lambda, candidates: fetchK, relevance: 'score' } });
    return hits.map(([document]) => document);
  }

  static override async fromTexts(texts: string[], metadatas: object[] | object, embeddings: EmbeddingsInterface, args: QuiverVectorStoreArgs): Promise<QuiverVectorStore> {
    const documents = texts.map((pageContent, i) => new Document({ pageContent, metadata: Array.isArray(metadatas) ? (metadatas[i] as Record<string, unknown>) : (metadatas as Record<string, unknown>) }));
    return QuiverVectorStore.fromDocuments(documents, embeddings, args);
  }

  static override async fromDocuments(documents: DocumentInterface[], embeddings: EmbeddingsInterface, args: QuiverVectorStoreArgs): Promise<QuiverVectorStore> {
    const store = new QuiverVectorStore(embeddings, args);
    await store.addDocuments(documents);
    return store;
  }

  /** A store over a collection that already holds documents. */
  static async fromExistingCollection(embeddings: EmbeddingsInterface, args: QuiverVectorStoreArgs): Promise<QuiverVectorStore> {
    // Fails here, with COLLECTION_NOT_FOUND, rather than at the first search.
    await args.collection.countWhere();
    return new QuiverVectorStore(embeddings, args);
  }

  async #search(request: SearchRequest): Promise<[DocumentInterface, number][]> {
    const { exact, alpha, fusion } = this.#args;
    const full: SearchRequest = { include: ['metadata', 'text'], ...request };
    if (exact !== undefined) full.exact = exact;
    // The store's hybrid settings, where the call gave none.
    if (full.text !== undefined && full.alpha === undefined && alpha !== undefined) full.alpha = alpha;
    if (full.text !== undefined && full.fusion === undefined && fusion !== undefined) full.fusion = fusion;
    if (full.filter === undefined) delete full.filter;
    const hits = (await this.collection.search(full)) as SearchHit[];
    return hits.map((hit) => [new Document({ pageContent: hit.text ?? '', metadata: (hit.metadata ?? {}) as Record<string, unknown>, id: hit.id }), hit.score]);
  }
}
