/**
 * A collection on a Quiver server, with the library Collection's method
 * names, arguments and results: code written against PortableCollection
 * runs on either.
 */
import type { Collection } from '../core/collection/collection.js';
import type {
  CollectionInfo,
  Document,
  DocumentInput,
  DocumentUpdate,
  ExportOptions,
  FieldChange,
  GetOptions,
  ListPage,
  ListRequest,
  OptimizeResult,
  ReadConsistency,
  SearchHit,
  SearchRequest,
  SearchResult,
  WhereOptions,
} from '../core/api.js';
import { createError, isQuiverError } from '../core/errors.js';
import type { Transport } from './transport.js';
import { decodeVector, encodeVector } from './vectors.js';

/** What a library Collection and a RemoteCollection both offer, with the same signatures. */
export type PortableCollection = Pick<
  Collection,
  'name' | 'upsert' | 'get' | 'getMany' | 'delete' | 'deleteWhere' | 'update' | 'updateWhere' | 'search' | 'export' | 'countWhere' | 'list' | 'optimize'
>;

/** Most searches in one batch request (the server's MAX_BATCH_SEARCHES); longer batches are sent in chunks. */
export const MAX_BATCH_SEARCHES = 100;

/** Documents per `list` page of an export. */
export const EXPORT_PAGE = 1_000;

type WriteResult<K extends string> = { [key in K]: number } & { version: number };

export class RemoteCollection implements PortableCollection {
  readonly name: string;
  readonly #transport: Transport;

  /** @internal Use `client.collection(name)` or `client.createCollection(...)`. */
  constructor(transport: Transport, name: string) {
    this.#transport = transport;
    this.name = name;
  }

  /**
   * The collection's settings and counts (the library's `collection.info`
   * getter; one request). Also how to read `count` and `version`, which the
   * library offers as synchronous getters.
   */
  async describe(): Promise<CollectionInfo> {
    const { json } = await this.#transport.send('describeCollection', this.name);
    return json as CollectionInfo;
  }

  /** Inserts documents, replacing any with the same id. All or nothing. Vectors travel as base64 float32. */
  async upsert(documents: readonly DocumentInput[]): Promise<{ upserted: number; version: number }> {
    // The server rejects an empty batch; the library accepts it and writes nothing.
    if (Array.isArray(documents) && documents.length === 0) return { upserted: 0, version: (await this.describe()).version };
    const body = { documents: Array.isArray(documents) ? documents.map(encodeDocument) : documents };
    return this.#wrote((await this.#transport.send('upsert', this.name, body)).json as WriteResult<'upserted'>);
  }

  /** The document with this id, or null. */
  async get(id: string, read?: ReadConsistency): Promise<Document | null> {
    // POST .../documents/get rather than GET .../documents/{id}: URLs collapse ids such as '..' (dot segments).
    const [document] = await this.getMany([id], {}, read);
    return document ?? null;
  }

  /** Documents by id, in the order asked; null where an id does not exist. `options.signal` is not sent. */
  async getMany(ids: readonly string[], options: GetOptions = {}, read?: ReadConsistency): Promise<(Document | null)[]> {
    if (Array.isArray(ids) && ids.length === 0) return [];
    const { json } = await this.#transport.send('getMany', this.name, { ids, ...withoutSignal(options), ...this.#read(read) });
    const byId = new Map<string, Document>();
    for (const document of (json as { documents: Record<string, unknown>[] }).documents) {
      const decoded = decodeDocument(document);
      byId.set(decoded.id, decoded);
    }
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Deletes documents by id; ids that do not exist are skipped. */
  async delete(ids: readonly string[]): Promise<{ deleted: number; version: number }> {
    if (Array.isArray(ids) && ids.length === 0) return { deleted: 0, version: (await this.describe()).version };
    return this.#wrote((await this.#transport.send('delete', this.name, { ids })).json as WriteResult<'deleted'>);
  }

  /** Deletes every document matching `filter` in one transaction; `{}` only with `options.all`. */
  async deleteWhere(filter: Record<string, unknown>, options: WhereOptions = {}): Promise<{ deleted: number; version: number }> {
    return this.#wrote((await this.#transport.send('delete', this.name, { filter, ...options })).json as WriteResult<'deleted'>);
  }

  /** Changes documents' metadata and text by id, keeping their vectors. All or nothing. */
  async update(updates: readonly DocumentUpdate[]): Promise<{ updated: number; version: number }> {
    if (Array.isArray(updates) && updates.length === 0) return { updated: 0, version: (await this.describe()).version };
    return this.#wrote((await this.#transport.send('update', this.name, { updates })).json as WriteResult<'updated'>);
  }

  /** Applies one change to every document matching `filter`, in one transaction; `{}` only with `options.all`. */
  async updateWhere(filter: Record<string, unknown>, change: FieldChange, options: WhereOptions = {}): Promise<{ updated: number; version: number }> {
    return this.#wrote((await this.#transport.send('update', this.name, { filter, change, ...options })).json as WriteResult<'updated'>);
  }

  /**
   * The k best documents, as the library's `search`: `vector` (base64 on the
   * wire), `text`, or both (hybrid). With `explain: true`, `{ hits, explain }`.
   * The server may answer from its result cache; the reply's `cached` flag is
   * not part of the result.
   */
  async search(request: SearchRequest & { explain: true }, read?: ReadConsistency): Promise<SearchResult>;
  async search(request: SearchRequest, read?: ReadConsistency): Promise<SearchHit[]>;
  async search(request: SearchRequest, read?: ReadConsistency): Promise<SearchHit[] | SearchResult> {
    const body = encodeSearch(request);
    const { json } = await this.#transport.send('search', this.name, isObject(body) ? { ...body, ...this.#read(read) } : body);
    return searchOutcome(request, json);
  }

  /** A write's reply, its version recorded for this client's session reads (Transport.versions). */
  #wrote<T extends { version: number }>(reply: T): T {
    const versions = this.#transport.versions;
    if (typeof reply?.version === 'number' && reply.version > (versions.get(this.name) ?? 0)) versions.set(this.name, reply.version);
    return reply;
  }

  /** The consistency fields a read sends: the caller's, and this client's session version unless the read is eventual or strong. */
  #read(read: ReadConsistency | undefined): ReadConsistency {
    const consistency = read?.consistency;
    const session = this.#transport.versions.get(this.name);
    const minVersion = consistency === 'eventual' || consistency === 'strong' ? read?.minVersion : Math.max(read?.minVersion ?? 0, session ?? 0) || undefined;
    const out: ReadConsistency = {};
    if (consistency !== undefined) out.consistency = consistency;
    if (minVersion !== undefined) out.minVersion = minVersion;
    return out;
  }

  /**
   * Several searches in order, as `search` would answer each (hits, or
   * `{ hits, explain }` where that request has `explain: true`). Sent
   * MAX_BATCH_SEARCHES to a request. The library has no batch call: in
   * process, `Promise.all(requests.map((r) => collection.search(r)))`.
   */
  async searchBatch(requests: readonly (SearchRequest & { explain?: false })[]): Promise<SearchHit[][]>;
  async searchBatch(requests: readonly SearchRequest[]): Promise<(SearchHit[] | SearchResult)[]>;
  async searchBatch(requests: readonly SearchRequest[]): Promise<(SearchHit[] | SearchResult)[]> {
    const results: (SearchHit[] | SearchResult)[] = [];
    for (let start = 0; start < requests.length; start += MAX_BATCH_SEARCHES) {
      const chunk = requests.slice(start, start + MAX_BATCH_SEARCHES);
      const { json } = await this.#transport.send('searchBatch', this.name, { searches: chunk.map(encodeSearch) });
      (json as { results: unknown[] }).results.forEach((result, i) => results.push(searchOutcome(chunk[i]!, result)));
    }
    return results;
  }

  /** Lays the collection's HNSW graph out afresh in the server's memory (the library's `optimize`). */
  async optimize(): Promise<OptimizeResult> {
    return (await this.#transport.send('optimize', this.name, {})).json as OptimizeResult;
  }

  /** Number of documents matching `filter` (all documents without one). */
  async countWhere(filter?: Record<string, unknown>, read?: ReadConsistency): Promise<number> {
    const { json } = await this.#transport.send('count', this.name, { ...(filter === undefined ? {} : { filter }), ...this.#read(read) });
    return (json as { count: number }).count;
  }

  /**
   * Every document, as the library's `export`: `list` pages of up to
   * EXPORT_PAGE documents, halved while the server refuses a page as past
   * its reply bounds (long vectors). Vectors travel as JSON numbers, which
   * keep every float32 but the sign of -0.
   */
  async *export(options: ExportOptions = {}): AsyncGenerator<Document, void, undefined> {
    const { include = ['metadata', 'text', 'vector'], signal } = options;
    let limit = EXPORT_PAGE;
    let after: string | undefined;
    for (;;) {
      if (signal?.aborted) throw createError('REQUEST_ABORTED', 'export');
      let page: ListPage;
      try {
        page = await this.list({ limit, include, ...(after === undefined ? {} : { after }) });
      } catch (error) {
        const code = isQuiverError(error) ? error.code : undefined;
        if ((code === 'LIMIT_EXCEEDED' || code === 'SERVER_BUSY') && limit > 1) {
          limit = Math.ceil(limit / 2);
          continue;
        }
        throw error;
      }
      yield* page.documents;
      if (page.next === null) return;
      after = page.next;
    }
  }

  /** Documents matching the filter, in label order, a page at a time. */
  async list(request: ListRequest = {}): Promise<ListPage> {
    const { json } = await this.#transport.send('list', this.name, withoutSignal(request));
    const page = json as { documents: Record<string, unknown>[]; next: string | null };
    return { documents: page.documents.map(decodeDocument), next: page.next };
  }
}

function encodeDocument(document: DocumentInput): unknown {
  if (typeof document !== 'object' || document === null || !('vector' in document)) return document;
  return { ...document, vector: encodeVector(document.vector) };
}

function encodeSearch(request: SearchRequest): unknown {
  if (typeof request !== 'object' || request === null) return request;
  const body = withoutSignal(request);
  return body.vector === undefined ? body : { ...body, vector: encodeVector(body.vector) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A request without its AbortSignal, which stays on this side (the server stops a request's work when its connection closes). */
function withoutSignal<T extends { signal?: AbortSignal }>(request: T): Omit<T, 'signal'> {
  if (typeof request !== 'object' || request === null || !('signal' in request)) return request;
  const { signal: _signal, ...rest } = request;
  return rest;
}

function decodeDocument<T extends Record<string, unknown>>(json: T): Document {
  const vector = decodeVector(json.vector);
  return (vector === undefined ? json : { ...json, vector }) as unknown as Document;
}

function searchOutcome(request: SearchRequest, json: unknown): SearchHit[] | SearchResult {
  const { hits, explain } = json as { hits: Record<string, unknown>[]; explain?: SearchResult['explain'] };
  const decoded = hits.map((hit) => decodeDocument(hit) as unknown as SearchHit);
  return request.explain === true && explain !== undefined ? { hits: decoded, explain } : decoded;
}

