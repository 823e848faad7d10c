/**
 * A collection: documents in the store of record, their vectors in the
 * exact index, and the id <-> label maps. Every write is validated whole,
 * committed to the store in one transaction, then applied in memory; a
 * rejected batch changes nothing. Every write bumps `version`.
 */
import { createError } from './errors.js';
import { FlatIndex } from './flat-index.js';
import { normalizesAtInsert } from './metric.js';
import { DEFAULT_K, MAX_BATCH_SIZE, MAX_K, isIntegerIn, type ResolvedCollectionOptions } from './options.js';
import type { DocumentRow, DocumentTable } from './store.js';
import { checkId, checkMetadata, checkText, checkVector, isPlainObject, type Metadata } from './validate.js';

/** A document as written by `upsert`. */
export interface DocumentInput {
  id: string;
  vector: Float32Array | readonly number[];
  text?: string;
  metadata?: Metadata;
}

/** A document as read back by `get`: the vector exactly as it was written. */
export interface Document {
  id: string;
  vector: Float32Array;
  text?: string;
  metadata?: Metadata;
}

export interface SearchRequest {
  /** Query vector of the collection's dimension. */
  vector: Float32Array | readonly number[];
  /** Number of hits, 1 to MAX_K. Default DEFAULT_K (10). */
  k?: number;
  /** Force the exact scan even where an approximate index would be used. */
  exact?: boolean;
  /** For int8 collections: scan int8 codes and re-rank in f32 (default true); false scans f32 only. */
  quantized?: boolean;
  /** Fields to return with each hit; default metadata and text. */
  include?: readonly SearchField[];
}

export type SearchField = 'metadata' | 'text' | 'vector';

export interface SearchHit {
  id: string;
  /** Higher is closer: cosine similarity, dot product, or negated squared L2 distance. */
  score: number;
  metadata?: Metadata;
  text?: string;
  vector?: Float32Array;
}

export interface CollectionInfo {
  name: string;
  dimension: number;
  metric: ResolvedCollectionOptions['metric'];
  quantization: ResolvedCollectionOptions['quantization'];
  count: number;
  version: number;
}

const DOCUMENT_KEYS = new Set(['id', 'vector', 'text', 'metadata']);
const SEARCH_KEYS = new Set(['vector', 'k', 'exact', 'quantized', 'include']);
const SEARCH_FIELDS = new Set<SearchField>(['metadata', 'text', 'vector']);
const DEFAULT_INCLUDE: readonly SearchField[] = ['metadata', 'text'];

export class Collection {
  readonly name: string;
  readonly options: ResolvedCollectionOptions;
  readonly #table: DocumentTable;
  readonly #index: FlatIndex;
  readonly #labels = new Map<string, number>();
  #ids: (string | undefined)[] = [];
  #freeLabels: number[] = [];
  #version: number;
  #open = true;
  readonly #assertUsable: () => void;

  /** @internal Created by Database; use `db.createCollection` or `db.collection`. */
  constructor(name: string, options: ResolvedCollectionOptions, table: DocumentTable, version: number, assertUsable: () => void) {
    this.name = name;
    this.options = options;
    this.#table = table;
    this.#version = version;
    this.#index = new FlatIndex(options);
    this.#assertUsable = assertUsable;
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
    const { dimension, metric, quantization } = this.options;
    return { name: this.name, dimension, metric, quantization, count: this.count, version: this.#version };
  }

  /** Inserts documents, replacing any with the same id. All or nothing. */
  async upsert(documents: readonly DocumentInput[]): Promise<{ upserted: number; version: number }> {
    this.#checkUsable();
    const { rows, freeLeft } = this.#prepareWrites(documents);
    const version = this.#version + 1;
    this.#table.put(rows, version);
    this.#freeLabels.length = freeLeft;
    for (const row of rows) {
      this.#index.add(row.label, row.vector);
      this.#labels.set(row.id, row.label);
      this.#ids[row.label] = row.id;
    }
    this.#version = version;
    return { upserted: rows.length, version };
  }

  /** The document with this id, or null. */
  async get(id: string): Promise<Document | null> {
    this.#checkUsable();
    checkId(id, 'id');
    const row = this.#table.byId(id);
    return row ? toDocument(row) : null;
  }

  /** Deletes documents by id; ids that do not exist are skipped. Returns how many were deleted. */
  async delete(ids: readonly string[]): Promise<{ deleted: number; version: number }> {
    this.#checkUsable();
    if (!Array.isArray(ids)) throw createError('INVALID_ARGUMENT', 'ids', 'an array of ids', ids);
    checkBatchSize(ids.length);
    const labels: number[] = [];
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      checkId(id, `ids[${i}]`);
      const label = this.#labels.get(id);
      if (label !== undefined && !seen.has(id)) labels.push(label);
      seen.add(id);
    });
    if (labels.length === 0) return { deleted: 0, version: this.#version };
    const version = this.#version + 1;
    this.#table.remove(labels, version);
    for (const label of labels) {
      this.#index.remove(label);
      this.#labels.delete(this.#ids[label]!);
      this.#ids[label] = undefined;
      this.#freeLabels.push(label);
    }
    this.#version = version;
    return { deleted: labels.length, version };
  }

  /** The k closest documents to `request.vector`, best first. */
  async search(request: SearchRequest): Promise<SearchHit[]> {
    this.#checkUsable();
    const { vector, k, quantized, include } = this.#checkSearch(request);
    const top = this.#index.search(vector, k, { quantized });
    const hits: SearchHit[] = new Array(top.labels.length);
    const wantMetadata = include.includes('metadata');
    const wantText = include.includes('text');
    const wantVector = include.includes('vector');
    for (let i = 0; i < top.labels.length; i++) {
      const label = top.labels[i]!;
      const hit: SearchHit = { id: this.#ids[label]!, score: top.scores[i]! };
      if (wantMetadata || wantText || wantVector) {
        const row = wantVector ? this.#table.byLabel(label) : this.#table.fields(label);
        if (wantMetadata && row?.metadata) hit.metadata = JSON.parse(row.metadata) as Metadata;
        if (wantText && row?.text) hit.text = row.text;
        if (wantVector && row && 'vector' in row) hit.vector = row.vector;
      }
      hits[i] = hit;
    }
    return hits;
  }

  /** @internal Rebuilds the in-memory indexes from the store. */
  load(): void {
    for (const { label, id, vector } of this.#table.scan()) {
      this.#index.add(label, vector);
      this.#labels.set(id, label);
      this.#ids[label] = id;
    }
    for (let label = 0; label < this.#ids.length; label++) {
      if (this.#ids[label] === undefined) this.#freeLabels.push(label);
    }
  }

  /** @internal Releases memory; the collection is unusable afterwards. */
  dispose(): void {
    this.#open = false;
    this.#index.dispose();
    this.#labels.clear();
    this.#ids = [];
    this.#freeLabels = [];
  }

  #checkUsable(): void {
    this.#assertUsable();
    if (!this.#open) throw createError('COLLECTION_NOT_FOUND', this.name);
  }

  /**
   * Validates the whole batch and picks labels: an existing id keeps its
   * label, a new one takes a freed label or the next unused one. Nothing is
   * changed here; `freeLeft` is how many freed labels remain once it commits.
   */
  #prepareWrites(documents: readonly DocumentInput[]): { rows: DocumentRow[]; freeLeft: number } {
    if (!Array.isArray(documents)) throw createError('INVALID_ARGUMENT', 'documents', 'an array of documents', documents);
    checkBatchSize(documents.length);
    const { dimension, metric } = this.options;
    const positions = new Map<string, number>();
    let freeLeft = this.#freeLabels.length;
    let nextNew = this.#ids.length;
    const rows = documents.map((document, i): DocumentRow => {
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
      const label = this.#labels.get(id) ?? (freeLeft > 0 ? this.#freeLabels[--freeLeft]! : nextNew++);
      return { label, id, vector, text, metadata: metadata?.json };
    });
    return { rows, freeLeft };
  }

  #checkSearch(request: SearchRequest) {
    if (!isPlainObject(request)) throw createError('INVALID_ARGUMENT', 'search request', 'an object', request);
    for (const key of Object.keys(request)) {
      if (!SEARCH_KEYS.has(key)) throw createError('INVALID_ARGUMENT', `search option '${key}'`, [...SEARCH_KEYS].join(', '), key);
    }
    const k = request.k ?? DEFAULT_K;
    if (!isIntegerIn(k, 1, MAX_K)) throw createError('INVALID_ARGUMENT', 'k', `an integer from 1 to ${MAX_K}`, k);
    if (request.exact !== undefined && typeof request.exact !== 'boolean') {
      throw createError('INVALID_ARGUMENT', 'exact', 'a boolean', request.exact);
    }
    if (request.quantized !== undefined && typeof request.quantized !== 'boolean') {
      throw createError('INVALID_ARGUMENT', 'quantized', 'a boolean', request.quantized);
    }
    const include = request.include ?? DEFAULT_INCLUDE;
    if (!Array.isArray(include) || !include.every((field) => SEARCH_FIELDS.has(field))) {
      throw createError('INVALID_ARGUMENT', 'include', 'an array of metadata, text, vector', include);
    }
    const vector = checkVector(request.vector, this.options.dimension, 'query vector', normalizesAtInsert(this.options.metric));
    return { vector, k, quantized: request.quantized, include };
  }
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
