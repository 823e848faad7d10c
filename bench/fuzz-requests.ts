/**
 * Request generators for bench/fuzz.bench.ts: seeded requests, valid and
 * malformed, for every route of the REST server. Each request carries what
 * it expects (`ok`: 2xx, `reject`: 4xx, `any`: either) and, when it reads
 * or writes the documents the fuzz run keeps a model of, a `model` event
 * that the run applies only once the server acknowledged it (2xx).
 *
 * A generator's bytes depend only on its Random stream and its own counters,
 * never on replies, so a seed reproduces every request body (the order in
 * which concurrent requests reach the server still varies).
 */
import { rng } from '../test/fixtures/random.js';

// ---------------------------------------------------------------- randomness

export class Random {
  readonly #next: () => number;

  constructor(seed: number) {
    this.#next = rng(seed);
  }

  float(): number {
    return this.#next();
  }

  /** An integer from `min` to `max`, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.#next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.#next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#next() * items.length)]!;
  }

  /** One of the values, each as likely as its weight. */
  weighted<T>(entries: readonly (readonly [number, T])[]): T {
    const total = entries.reduce((sum, [weight]) => sum + weight, 0);
    let left = this.#next() * total;
    for (const [weight, value] of entries) {
      left -= weight;
      if (left < 0) return value;
    }
    return entries[entries.length - 1]![1];
  }
}

// ---------------------------------------------------------------- requests

export type Expect = 'ok' | 'reject' | 'any';
export type Auth = 'read-write' | 'read-only' | 'none' | 'wrong';
export type Metadata = Record<string, unknown>;

/** One writer's view of its documents in a tracked collection. */
export interface OwnerFilter {
  filter: Record<string, unknown>;
  /** What the filter selects among the owner's documents, by their metadata. */
  matches: (metadata: Metadata) => boolean;
}

/** What an acknowledged request means to the model (see bench/fuzz.bench.ts). */
export type ModelEvent =
  | { type: 'upsert'; collection: string; documents: { id: string; metadata: Metadata }[] }
  | { type: 'delete'; collection: string; ids: string[] }
  | { type: 'delete-where'; collection: string; owner: number; selection: OwnerFilter }
  | { type: 'count-where'; collection: string; owner: number; selection: OwnerFilter }
  | { type: 'create'; name: string; dimension: number }
  | { type: 'drop'; name: string }
  | { type: 'race-upsert'; ids: string[] };

export interface FuzzRequest {
  /** The generator that made it, e.g. `search.hybrid` or `upsert.bad-base64`. */
  kind: string;
  method: string;
  /** Path and query string, sent as is (the URL parser leaves bad percent-escapes alone). */
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  auth: Auth;
  expect: Expect;
  model?: ModelEvent;
}

export const READ_WRITE_KEY = 'fuzz-read-write-key-0123456789';
export const READ_ONLY_KEY = 'fuzz-read-only-key-0123456789';
// No key that differs only by surrounding spaces: fetch trims header values, so it would arrive as the right key.
const WRONG_KEYS = ['fuzz-read-write-key-012345678', 'x', `${READ_WRITE_KEY}x`, READ_WRITE_KEY.toUpperCase(), READ_ONLY_KEY.slice(1), 'é'.repeat(40)];

const JSON_TYPE = 'application/json';

function request(kind: string, method: string, path: string, expect: Expect, body?: unknown, model?: ModelEvent): FuzzRequest {
  const headers: Record<string, string> = {};
  let encoded: string | undefined;
  if (body !== undefined) {
    headers['content-type'] = JSON_TYPE;
    encoded = JSON.stringify(body);
  }
  return { kind, method, path, headers, body: encoded, auth: 'read-write', expect, model };
}

/** A request whose body is sent byte for byte, with the content type given (none when undefined). */
function rawRequest(kind: string, method: string, path: string, expect: Expect, body: string | Uint8Array, contentType: string | undefined): FuzzRequest {
  const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
  // fetch labels a string body text/plain when no type is given: bytes go without one.
  const bytes = contentType === undefined && typeof body === 'string' ? new TextEncoder().encode(body) : body;
  return { kind, method, path, headers, body: bytes, auth: 'read-write', expect };
}

const PUBLIC_PATHS = new Set(['/health', '/health/ready']);
const READ_POSTS = /^\/collections\/[^/]+\/(search|search\/batch|documents\/get|documents\/list|count)$/;

/** Whether the read-only key may use the route (see config.readOnly in src/server/routes). */
function isReadRoute(method: string, path: string): boolean {
  return method === 'GET' || method === 'HEAD' || (method === 'POST' && READ_POSTS.test(path));
}

/**
 * Sends most requests with the read-write key, in one of the accepted
 * header forms, and some with the read-only key, a wrong key or none; the
 * expectation follows (401 without a valid key, 403 for the read-only key
 * on a write; the health routes need no key).
 */
export function authorize(r: Random, fuzz: FuzzRequest): FuzzRequest {
  const auth = r.weighted<Auth>([[88, 'read-write'], [4, 'read-only'], [4, 'none'], [4, 'wrong']]);
  const headers = { ...fuzz.headers };
  if (auth === 'read-write') {
    const form = r.int(0, 2);
    if (form === 0) headers.authorization = `Bearer ${READ_WRITE_KEY}`;
    else if (form === 1) headers.authorization = `bEaReR   ${READ_WRITE_KEY}`;
    else headers['x-api-key'] = READ_WRITE_KEY;
  } else if (auth === 'read-only') {
    if (r.chance(0.5)) headers.authorization = `Bearer ${READ_ONLY_KEY}`;
    else headers['x-api-key'] = READ_ONLY_KEY;
  } else if (auth === 'wrong') {
    const key = r.pick(WRONG_KEYS);
    // Header values must be Latin-1 for fetch: a non-ASCII key goes as its UTF-8 bytes read as Latin-1.
    const value = Buffer.from(key, 'utf8').toString('latin1');
    if (r.chance(0.5)) headers['x-api-key'] = value;
    else headers.authorization = r.chance(0.7) ? `Bearer ${value}` : `Basic ${Buffer.from(`user:${key}`).toString('base64')}`;
  }
  const path = fuzz.path.split('?')[0]!;
  let expect = fuzz.expect;
  if (!PUBLIC_PATHS.has(path)) {
    if (auth === 'none' || auth === 'wrong') expect = 'reject';
    else if (auth === 'read-only' && !isReadRoute(fuzz.method, path)) expect = 'reject';
  }
  return { ...fuzz, headers, auth, expect };
}

// ---------------------------------------------------------------- data

export interface CollectionSpec {
  name: string;
  dimension: number;
  metric: 'cosine' | 'dot' | 'l2';
  /** Further create options (quantization, text, hnsw, bm25). */
  options?: Record<string, unknown>;
}

const WORDS = [
  'vector', 'search', 'hybrid', 'rust', 'typescript', 'borrowing', 'ownership', 'graph', 'index', 'quiver', 'segment',
  'café', 'naïve', 'straße', 'мир', 'δοκιμή', '泛型', '实践', '向量', '検索', 'ベクトル', '한국어', 'emoji😀', 'a-b_c',
];
const TAGS: readonly string[] = ['red', 'green', 'blue', 'ünïcödé', ''];
const BUCKETS = 10;

function words(r: Random, min: number, max: number): string {
  return Array.from({ length: r.int(min, max) }, () => r.pick(WORDS)).join(' ');
}

function randomVector(r: Random, dimension: number): number[] {
  return Array.from({ length: dimension }, () => Math.fround(r.float() * 2 - 1));
}

export function base64Vector(values: readonly number[]): string {
  const floats = Float32Array.from(values);
  return Buffer.from(floats.buffer).toString('base64');
}

/** A vector as a JSON array or as base64 float32, half and half. */
function encodedVector(r: Random, dimension: number): number[] | string {
  const values = randomVector(r, dimension);
  return r.chance(0.5) ? values : base64Vector(values);
}

/** Metadata values of every JSON type, nested a little; never under the keys the model filters on. */
function metadataValue(r: Random, depth: number): unknown {
  const kind = r.int(0, depth > 2 ? 4 : 7);
  switch (kind) {
    case 0:
      return r.pick(WORDS);
    case 1:
      return r.pick([0, 1, -1, 2.5, 1e300, -1e-300, 2 ** 53, r.int(-1000, 1000)]);
    case 2:
      return r.chance(0.5);
    case 3:
      return null;
    case 4:
      return r.pick(['2024-05-01', '2024-05-01T12:30:00Z', '1999-12-31T23:59:59.999+02:00', '2024-13-01']);
    case 5:
      return Array.from({ length: r.int(0, 4) }, () => metadataValue(r, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: r.int(0, 3) }, (_, i) => [r.pick(['a', 'b', 'ключ', '键', `k${i}`]), metadataValue(r, depth + 1)]));
  }
}

function trackedMetadata(r: Random, owner: number): Metadata {
  const metadata: Metadata = { owner, bucket: r.int(0, BUCKETS - 1), tag: r.pick(TAGS) };
  for (const key of ['lang', 'year', 'price', 'nested', 'when', 'list']) if (r.chance(0.3)) metadata[key] = metadataValue(r, 0);
  return metadata;
}

/** A filter that selects among one owner's documents, with the predicate it stands for. */
export function ownerFilter(r: Random, owner: number): OwnerFilter {
  const b = r.int(0, BUCKETS);
  const tag = r.pick(TAGS);
  switch (r.int(0, 5)) {
    case 0:
      return { filter: { owner }, matches: () => true };
    case 1:
      return { filter: { owner, bucket: { $lt: b } }, matches: (m) => (m.bucket as number) < b };
    case 2: {
      const tags = [tag, r.pick(TAGS)];
      return { filter: { owner, tag: { $in: tags } }, matches: (m) => tags.includes(m.tag as string) };
    }
    case 3:
      return { filter: { $and: [{ owner: { $eq: owner } }, { $or: [{ bucket: b }, { tag }] }] }, matches: (m) => m.bucket === b || m.tag === tag };
    case 4: {
      const high = r.int(b, BUCKETS);
      return {
        filter: { owner, bucket: { $gte: b, $lte: high }, $not: { tag } },
        matches: (m) => (m.bucket as number) >= b && (m.bucket as number) <= high && m.tag !== tag,
      };
    }
    default:
      return { filter: { owner, tag: { $nin: [tag] }, bucket: { $exists: true } }, matches: (m) => m.tag !== tag };
  }
}

/** A valid filter over the fields documents carry (any documents: for reads only). */
function readFilter(r: Random, depth = 0): Record<string, unknown> {
  const field = r.pick(['bucket', 'tag', 'owner', 'lang', 'year', 'price', 'nested.a', 'when', 'list', 'missing.field']);
  const leaf = (): Record<string, unknown> =>
    r.weighted<() => Record<string, unknown>>([
      [3, () => ({ [field]: r.pick<unknown>([r.int(0, 9), r.pick(TAGS), r.pick(WORDS), true]) })],
      [2, () => ({ [field]: { [r.pick(['$gt', '$gte', '$lt', '$lte'])]: r.pick<unknown>([r.int(0, 9), 'm', '2024-01-01']) } })],
      [2, () => ({ [field]: { [r.pick(['$in', '$nin'])]: [r.pick(TAGS), r.int(0, 9), r.pick(WORDS)] } })],
      [1, () => ({ [field]: { $exists: r.chance(0.5) } })],
      [1, () => ({ [field]: { $ne: r.pick<unknown>([r.int(0, 9), r.pick(TAGS)]) } })],
      [1, () => ({ [field]: { $not: { $gte: r.int(0, 9) } } })],
      [1, () => ({})],
    ])();
  if (depth >= 3 || r.chance(0.6)) return leaf();
  const op = r.pick(['$and', '$or', '$not']);
  if (op === '$not') return { $not: readFilter(r, depth + 1) };
  return { [op]: Array.from({ length: r.int(1, 3) }, () => readFilter(r, depth + 1)) };
}

/** `{"$not":` nested `depth` times around a leaf, as text (JSON.stringify would recurse that deep). */
function deepFilterText(depth: number, leaf: string): string {
  return '{"$not":'.repeat(depth) + leaf + '}'.repeat(depth);
}

const BAD_FILTERS: readonly unknown[] = [
  { tag: { $regex: 'r.*' } },
  { tag: { $where: 'sleep(1)' } },
  { $nor: [{ tag: 'red' }] },
  { list: { $elemMatch: { a: 1 } } },
  { tag: { $in: 'red' } },
  { bucket: { $gt: { $lt: 3 } } },
  { bucket: { $gt: true } },
  { tag: { $exists: 'yes' } },
  { tag: null },
  { tag: ['red', 'blue'] },
  { $and: [] },
  { $or: 'red' },
  { $not: [] },
  { bucket: { $eq: Number.MAX_VALUE, $in: [] }, '': 1, 'a..b': 2 },
  { tag: { $eq: { nested: true } } },
  { bucket: {} },
];

function badFilter(r: Random): unknown {
  return r.pick(BAD_FILTERS);
}

// ---------------------------------------------------------------- tracked writers

/** Prefixes that make ids awkward in paths and in UTF-8; id number n always gets the same one. */
const ID_PREFIXES = ['', 'ü-', '文档/', 'a b%20?#&', '😀', 'tab\t', '..', 'x'.repeat(300)];

/** Odd but valid collection names (Object.prototype members and a thenable), one per mixed writer. */
const ODD_NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'then', 'propertyIsEnumerable', 'toLocaleString'];

/** The id of writer `owner`'s document number `n`. */
export function trackedId(owner: number, n: number): string {
  return `${ID_PREFIXES[n % ID_PREFIXES.length]}w${owner}-${n}`;
}

/** Writer `owner`'s scratch collection number `n` (created and dropped by that writer only). */
export function scratchName(owner: number, n: number): string {
  return n === 0 && owner < ODD_NAMES.length ? ODD_NAMES[owner]! : `fz-s${owner}-${n}`;
}

/** What a mixed writer's generators read from the model (expectations only; never the bytes sent). */
export interface ModelView {
  hasDocument(collection: string, id: string): boolean;
  hasCollection(name: string): boolean;
}

/**
 * A writer of the mixed phase: valid and malformed requests over every
 * route. Its writes touch only its own ids (`trackedId(owner, n)`) and its
 * own scratch collections, so its model of them is exact.
 */
export class MixedGenerator {
  readonly #r: Random;
  readonly #owner: number;
  readonly #tracked: readonly CollectionSpec[];
  readonly #race: CollectionSpec;
  readonly #view: ModelView;
  readonly #nextId = new Map<string, number>();
  #nextScratch = 0;
  /** Dimension of scratch collection n, as its create asked. */
  readonly #scratchDimensions: number[] = [];

  constructor(r: Random, owner: number, tracked: readonly CollectionSpec[], race: CollectionSpec, view: ModelView) {
    this.#r = r;
    this.#owner = owner;
    this.#tracked = tracked;
    this.#race = race;
    this.#view = view;
  }

  next(): FuzzRequest {
    const r = this.#r;
    const make = r.weighted<() => FuzzRequest>([
      // valid
      [14, () => this.#upsert()],
      [7, () => this.#search()],
      [2, () => this.#searchBatch()],
      [3, () => this.#searchGet()],
      [3, () => this.#getOne()],
      [2, () => this.#getMany()],
      [2, () => this.#list()],
      [3, () => this.#count()],
      [3, () => this.#delete()],
      [2, () => this.#deleteWhere()],
      [3, () => this.#collections()],
      [2, () => this.#service()],
      // malformed
      [7, () => this.#badUpsert()],
      [6, () => this.#badSearch()],
      [2, () => this.#badSearchGet()],
      [4, () => this.#badDocuments()],
      [2, () => this.#badCollections()],
      [5, () => this.#badBody()],
      [3, () => this.#badPath()],
    ]);
    return authorize(r, make());
  }

  #collection(): CollectionSpec {
    return this.#r.pick(this.#tracked);
  }

  #base(spec: CollectionSpec): string {
    return `/collections/${spec.name}`;
  }

  /** A fresh id number (never used) or one used before, for writes. */
  #idNumber(collection: string, fresh: boolean): number {
    const next = this.#nextId.get(collection) ?? 0;
    if (fresh || next === 0) {
      this.#nextId.set(collection, next + 1);
      return next;
    }
    return this.#r.int(0, next - 1);
  }

  #documents(spec: CollectionSpec, count: number): { documents: Record<string, unknown>[]; ids: { id: string; metadata: Metadata }[] } {
    const r = this.#r;
    const seen = new Set<number>();
    const documents: Record<string, unknown>[] = [];
    const ids: { id: string; metadata: Metadata }[] = [];
    for (let i = 0; i < count; i++) {
      const n = this.#idNumber(spec.name, r.chance(0.6));
      if (seen.has(n)) continue;
      seen.add(n);
      const id = trackedId(this.#owner, n);
      const metadata = trackedMetadata(r, this.#owner);
      const document: Record<string, unknown> = { id, vector: encodedVector(r, spec.dimension), metadata };
      if (r.chance(0.7)) document.text = words(r, 1, 20);
      documents.push(document);
      ids.push({ id, metadata });
    }
    return { documents, ids };
  }

  #upsert(): FuzzRequest {
    const spec = this.#collection();
    const { documents, ids } = this.#documents(spec, this.#r.int(1, 40));
    return request('upsert', 'POST', `${this.#base(spec)}/documents`, 'ok', { documents }, { type: 'upsert', collection: spec.name, documents: ids });
  }

  #searchBody(spec: CollectionSpec): Record<string, unknown> {
    const r = this.#r;
    const mode = r.pick(['vector', 'keyword', 'hybrid']);
    const body: Record<string, unknown> = {};
    if (mode !== 'keyword') body.vector = encodedVector(r, spec.dimension);
    if (mode !== 'vector') body.text = words(r, 1, 4);
    if (r.chance(0.7)) body.k = r.weighted([[20, r.int(1, 50)], [1, 10_000]]);
    if (r.chance(0.4)) body.filter = r.chance(0.5) ? ownerFilter(r, r.int(0, 3)).filter : readFilter(r);
    if (r.chance(0.3)) body.exact = r.chance(0.5);
    if (r.chance(0.2)) body.ef = r.int(1, 500);
    if (r.chance(0.2)) body.quantized = r.chance(0.5);
    if (r.chance(0.3)) body.explain = r.chance(0.7);
    if (mode === 'hybrid' && r.chance(0.6)) body.fusion = r.pick(['relativeScore', 'rrf']);
    if (mode === 'hybrid' && r.chance(0.5)) body.alpha = r.pick([0, 1, r.float()]);
    if (r.chance(0.3)) body.include = r.pick([[], ['metadata'], ['text', 'vector'], ['metadata', 'text', 'vector']]);
    return body;
  }

  #search(): FuzzRequest {
    const spec = this.#collection();
    const body = this.#searchBody(spec);
    const kind = `search.${body.vector === undefined ? 'keyword' : body.text === undefined ? 'vector' : 'hybrid'}${body.filter ? '+filter' : ''}`;
    return request(kind, 'POST', `${this.#base(spec)}/search`, 'ok', body);
  }

  #searchBatch(): FuzzRequest {
    const spec = this.#collection();
    const searches = Array.from({ length: this.#r.int(1, 8) }, () => this.#searchBody(spec));
    return request('search.batch', 'POST', `${this.#base(spec)}/search/batch`, 'ok', { searches });
  }

  #searchGet(): FuzzRequest {
    const r = this.#r;
    const spec = this.#collection();
    const query = new URLSearchParams();
    if (r.chance(0.8)) query.set('vector', base64Vector(randomVector(r, spec.dimension)));
    if (!query.has('vector') || r.chance(0.3)) query.set('text', words(r, 1, 3));
    if (r.chance(0.6)) query.set('k', String(r.int(1, 100)));
    if (r.chance(0.3)) query.set('ef', String(r.int(1, 300)));
    if (r.chance(0.3)) query.set('filter', JSON.stringify(readFilter(r)));
    if (r.chance(0.2)) query.set('fusion', r.pick(['rrf', 'relativeScore']));
    if (r.chance(0.2)) query.set('alpha', r.pick(['0', '1', '0.25', '1.0']));
    if (r.chance(0.3)) query.set('include', r.pick(['', 'metadata', 'text,vector', 'metadata,text,vector']));
    return request('search.get', 'GET', `${this.#base(spec)}/search?${query}`, 'ok');
  }

  #getOne(): FuzzRequest {
    const spec = this.#collection();
    const id = trackedId(this.#owner, this.#idNumber(spec.name, false));
    const expect: Expect = this.#view.hasDocument(spec.name, id) ? 'ok' : 'reject';
    return request('get.one', 'GET', `${this.#base(spec)}/documents/${encodeURIComponent(id)}`, expect);
  }

  #getMany(): FuzzRequest {
    const spec = this.#collection();
    const ids = Array.from({ length: this.#r.int(1, 20) }, () => trackedId(this.#r.int(0, 3), this.#r.int(0, 500)));
    return request('get.many', 'POST', `${this.#base(spec)}/documents/get`, 'ok', { ids });
  }

  #list(): FuzzRequest {
    const r = this.#r;
    const spec = this.#collection();
    const body: Record<string, unknown> = {};
    if (r.chance(0.5)) body.filter = r.chance(0.5) ? ownerFilter(r, r.int(0, 3)).filter : readFilter(r);
    if (r.chance(0.7)) body.limit = r.pick([1, 10, 100, 10_000]);
    if (r.chance(0.3)) body.after = String(r.int(0, 2000));
    if (r.chance(0.4)) body.include = r.pick([[], ['metadata'], ['vector'], ['text', 'metadata']]);
    return request('list', 'POST', `${this.#base(spec)}/documents/list`, 'ok', body);
  }

  /** A count of the writer's own documents: the model predicts it exactly. */
  #count(): FuzzRequest {
    const r = this.#r;
    const spec = this.#collection();
    if (r.chance(0.2)) return request('count.any', 'POST', `${this.#base(spec)}/count`, 'ok', r.chance(0.5) ? {} : { filter: readFilter(r) });
    const selection = ownerFilter(r, this.#owner);
    return request('count.owner', 'POST', `${this.#base(spec)}/count`, 'ok', { filter: selection.filter }, { type: 'count-where', collection: spec.name, owner: this.#owner, selection });
  }

  #delete(): FuzzRequest {
    const spec = this.#collection();
    const ids = Array.from({ length: this.#r.int(1, 10) }, () => trackedId(this.#owner, this.#idNumber(spec.name, false)));
    return request('delete.ids', 'POST', `${this.#base(spec)}/documents/delete`, 'ok', { ids }, { type: 'delete', collection: spec.name, ids });
  }

  #deleteWhere(): FuzzRequest {
    const spec = this.#collection();
    const selection = ownerFilter(this.#r, this.#owner);
    return request('delete.filter', 'POST', `${this.#base(spec)}/documents/delete`, 'ok', { filter: selection.filter }, {
      type: 'delete-where',
      collection: spec.name,
      owner: this.#owner,
      selection,
    });
  }

  /**
   * Create, describe, list, optimize and drop: scratch collections of this
   * writer, and the tracked ones (read and optimize only). Scratch
   * collections also get a few documents and searches, so small collections
   * (a segment or more of their graph empty) are optimized, written and
   * snapshotted too.
   */
  #collections(): FuzzRequest {
    const r = this.#r;
    const action = r.pick(['create', 'create', 'drop', 'info', 'list', 'optimize', 'optimize', 'fill', 'fill', 'search']);
    if (action === 'list' || (this.#nextScratch === 0 && (action === 'fill' || action === 'search'))) return request('collections.list', 'GET', '/collections', 'ok');
    if (action === 'create') {
      const name = scratchName(this.#owner, this.#nextScratch++);
      const dimension = r.pick([1, 3, 16, 1536]);
      this.#scratchDimensions.push(dimension);
      const body: Record<string, unknown> = { name, dimension };
      if (r.chance(0.5)) body.metric = r.pick(['cosine', 'dot', 'l2']);
      if (r.chance(0.3)) body.quantization = r.pick(['none', 'int8']);
      if (r.chance(0.2)) body.rerank = r.int(1, 100);
      if (r.chance(0.3)) {
        const language = r.pick(['en', 'zh', 'ja', 'de', 'ru', 'ar']);
        // Stemming exists for English only: asking for it elsewhere is INVALID_OPTIONS.
        body.text = { language, stemming: language === 'en' && r.chance(0.5), stopwords: r.chance(0.5), cjk: r.pick(['words', 'bigrams', 'both']) };
      }
      if (r.chance(0.3)) body.bm25 = { k1: r.float() * 10, b: r.float() };
      if (r.chance(0.3)) body.hnsw = { m: r.int(2, 64), efConstruction: r.int(1, 400), ef: r.int(1, 400), segments: r.int(1, 4) };
      return request('collections.create', 'POST', '/collections', 'ok', body, { type: 'create', name, dimension });
    }
    const scratch = this.#nextScratch > 0 && (action === 'fill' || action === 'search' || r.chance(0.7));
    const n = scratch ? r.int(0, this.#nextScratch - 1) : -1;
    const name = scratch ? scratchName(this.#owner, n) : this.#collection().name;
    const expect: Expect = this.#view.hasCollection(name) ? 'ok' : 'reject';
    if (action === 'fill') {
      const dimension = this.#scratchDimensions[n]!;
      const documents = Array.from({ length: r.int(1, 3) }, (_, i) => ({ id: `s${i}-${r.int(0, 3)}`, vector: encodedVector(r, dimension), text: words(r, 1, 5) }));
      return request('scratch.upsert', 'POST', `/collections/${name}/documents`, expect, { documents });
    }
    if (action === 'search') {
      const body = { vector: encodedVector(r, this.#scratchDimensions[n]!), k: r.int(1, 10), ...(r.chance(0.5) ? { exact: r.chance(0.5) } : {}) };
      return request('scratch.search', 'POST', `/collections/${name}/search`, expect, body);
    }
    if (action === 'drop') {
      // Only scratch collections are dropped here; the drop-and-create races are the race writers' (fz-race).
      if (!scratch) return request('collections.info', 'GET', `/collections/${name}`, 'ok');
      return request('collections.drop', 'DELETE', `/collections/${name}`, expect, undefined, { type: 'drop', name });
    }
    if (action === 'info') return request('collections.info', 'GET', `/collections/${name}`, expect);
    if (r.chance(0.5)) return request('collections.optimize', 'POST', `/collections/${name}/optimize`, expect, r.chance(0.5) ? {} : undefined);
    return rawRequest('collections.optimize.empty-body', 'POST', `/collections/${name}/optimize`, expect, '', r.chance(0.5) ? JSON_TYPE : undefined);
  }

  #service(): FuzzRequest {
    const r = this.#r;
    return r.weighted<() => FuzzRequest>([
      [3, () => request('health', 'GET', '/health', 'ok')],
      [3, () => request('health.ready', 'GET', '/health/ready', 'ok')],
      [3, () => request('metrics', 'GET', '/metrics', 'ok')],
      [1, () => request('openapi', 'GET', '/openapi.json', 'ok')],
      [1, () => request('docs', 'GET', r.pick(['/docs', '/docs/json', '/docs/static/index.html', '/docs/nope']), 'any')],
    ])();
  }

  // ---------------------------------------------------------------- malformed

  /**
   * Upserts the schema or the engine must refuse whole. Every one carries
   * fresh ids of this writer: if one were accepted after all, the model
   * records what was sent, and the final comparison shows the consequence.
   */
  #badUpsert(): FuzzRequest {
    const r = this.#r;
    const spec = this.#collection();
    const dim = spec.dimension;
    const fresh = () => trackedId(this.#owner, this.#idNumber(spec.name, true));
    const good = () => ({ id: fresh(), vector: randomVector(r, dim), metadata: trackedMetadata(r, this.#owner) });
    const path = `${this.#base(spec)}/documents`;
    const nan32 = base64Vector(Array.from({ length: dim }, () => Number.NaN));
    const infinite32 = base64Vector(Array.from({ length: dim }, (_, i) => (i === 0 ? Number.POSITIVE_INFINITY : 0.5)));
    const cases: (readonly [string, () => unknown])[] = [
      ['no-documents', () => ({})],
      ['empty-batch', () => ({ documents: [] })],
      ['documents-object', () => ({ documents: good() })],
      ['unknown-field', () => ({ documents: [good()], upsert: true })],
      ['doc-unknown-field', () => ({ documents: [{ ...good(), score: 1 }] })],
      ['no-vector', () => ({ documents: [{ id: fresh() }] })],
      ['no-id', () => ({ documents: [{ vector: randomVector(r, dim) }] })],
      ['id-number', () => ({ documents: [{ ...good(), id: 42 }] })],
      ['id-empty', () => ({ documents: [{ ...good(), id: '' }] })],
      ['id-513-bytes', () => ({ documents: [{ ...good(), id: 'é'.repeat(256) + 'x' }] })],
      ['id-lone-surrogate', () => ({ documents: [good(), { ...good(), id: `${fresh()}\ud800` }] })],
      ['id-lone-low-surrogate', () => ({ documents: [{ ...good(), id: `\udc00${fresh()}` }] })],
      ['duplicate-ids', () => { const doc = good(); return { documents: [doc, good(), { ...doc }] }; }],
      ['wrong-dimension', () => ({ documents: [good(), { ...good(), vector: randomVector(r, dim + r.pick([-1, 1, 100])) }] })],
      ['vector-empty', () => ({ documents: [{ ...good(), vector: [] }] })],
      ['vector-strings', () => ({ documents: [{ ...good(), vector: randomVector(r, dim).map(String) }] })],
      ['vector-null', () => ({ documents: [{ ...good(), vector: [null, ...randomVector(r, dim - 1)] }] })],
      ['vector-object', () => ({ documents: [{ ...good(), vector: { 0: 1 } }] })],
      ['vector-float32-overflow', () => ({ documents: [{ ...good(), vector: [1e39, ...randomVector(r, dim - 1)] }] })],
      ['base64-bad-chars', () => ({ documents: [{ ...good(), vector: '!!!!@@@@' }] })],
      ['base64-3-bytes', () => ({ documents: [{ ...good(), vector: 'AAAA' }] })],
      ['base64-nan', () => ({ documents: [{ ...good(), vector: nan32 }] })],
      ['base64-infinity', () => ({ documents: [{ ...good(), vector: infinite32 }] })],
      ['base64-wrong-dimension', () => ({ documents: [{ ...good(), vector: base64Vector(randomVector(r, dim * 2)) }] })],
      ['base64-with-whitespace', () => ({ documents: [{ ...good(), vector: ` ${base64Vector(randomVector(r, dim))}` }] })],
      ['text-number', () => ({ documents: [{ ...good(), text: 5 }] })],
      ['text-oversized', () => ({ documents: [{ ...good(), text: 'a'.repeat(1_000_001) }] })],
      ['metadata-array', () => ({ documents: [{ ...good(), metadata: [1, 2] }] })],
      ['metadata-string', () => ({ documents: [{ ...good(), metadata: 'owner' }] })],
      ['metadata-oversized', () => ({ documents: [{ ...good(), metadata: { owner: this.#owner, blob: 'x'.repeat(70_000) } }] })],
    ];
    if (spec.metric === 'cosine') cases.push(['zero-vector-cosine', () => ({ documents: [{ ...good(), vector: new Array(dim).fill(0) }] })]);
    const [name, make] = r.pick(cases);
    const body = make() as { documents?: unknown };
    const ids = Array.isArray(body.documents)
      ? (body.documents as { id?: unknown; metadata?: unknown }[])
          .filter((d) => typeof d.id === 'string')
          .map((d) => ({ id: d.id as string, metadata: (d.metadata ?? {}) as Metadata }))
      : [];
    return request(`upsert.${name}`, 'POST', path, 'reject', body, { type: 'upsert', collection: spec.name, documents: ids });
  }

  /** Raw upsert bodies JSON.stringify cannot write: nesting far deeper than the engine's limit, NaN and 1e400. */
  #badUpsertText(spec: CollectionSpec): FuzzRequest {
    const r = this.#r;
    const id = trackedId(this.#owner, this.#idNumber(spec.name, true));
    const vector = JSON.stringify(randomVector(r, spec.dimension));
    const [name, body] = r.pick<readonly [string, string]>([
      ['metadata-deep-33', `{"documents":[{"id":${JSON.stringify(id)},"vector":${vector},"metadata":${'{"a":'.repeat(34)}1${'}'.repeat(34)}}]}`],
      ['metadata-deep-50000', `{"documents":[{"id":${JSON.stringify(id)},"vector":${vector},"metadata":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}]}`],
      ['metadata-array-deep-100000', `{"documents":[{"id":${JSON.stringify(id)},"vector":${vector},"metadata":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}]}`],
      ['vector-nan-literal', `{"documents":[{"id":${JSON.stringify(id)},"vector":[NaN${',0.5'.repeat(spec.dimension - 1)}]}]}`],
      ['vector-1e400', `{"documents":[{"id":${JSON.stringify(id)},"vector":[1e400${',0.5'.repeat(spec.dimension - 1)}]}]}`],
      ['metadata-proto', `{"documents":[{"id":${JSON.stringify(id)},"vector":${vector},"metadata":{"__proto__":{"owner":1}}}]}`],
      ['metadata-constructor-prototype', `{"documents":[{"id":${JSON.stringify(id)},"vector":${vector},"metadata":{"constructor":{"prototype":{"owner":1}}}}]}`],
    ]);
    const fuzz = rawRequest(`upsert.${name}`, 'POST', `${this.#base(spec)}/documents`, 'reject', body, JSON_TYPE);
    return { ...fuzz, model: { type: 'upsert', collection: spec.name, documents: [{ id, metadata: {} }] } };
  }

  #badSearch(): FuzzRequest {
    const r = this.#r;
    const spec = this.#collection();
    const path = `${this.#base(spec)}/search`;
    const dim = spec.dimension;
    const vector = () => randomVector(r, dim);
    const cases: (readonly [string, () => unknown])[] = [
      ['no-query', () => ({ k: 5 })],
      ['k-zero', () => ({ vector: vector(), k: 0 })],
      ['k-negative', () => ({ vector: vector(), k: -1 })],
      ['k-over-max', () => ({ vector: vector(), k: 10_001 })],
      ['k-huge', () => ({ vector: vector(), k: 1e12 })],
      ['k-fraction', () => ({ vector: vector(), k: 2.5 })],
      ['k-string', () => ({ vector: vector(), k: '10' })],
      ['ef-zero', () => ({ vector: vector(), ef: 0 })],
      ['ef-over-max', () => ({ vector: vector(), ef: 10_001 })],
      ['alpha-2', () => ({ vector: vector(), text: 'vector', alpha: 2 })],
      ['fusion-unknown', () => ({ vector: vector(), text: 'vector', fusion: 'max' })],
      ['wrong-dimension', () => ({ vector: randomVector(r, dim + 1) })],
      ['vector-strings', () => ({ vector: vector().map(String) })],
      ['vector-nested', () => ({ vector: [vector()] })],
      ['vector-float32-overflow', () => ({ vector: [-1e39, ...randomVector(r, dim - 1)] })],
      ['base64-nan', () => ({ vector: base64Vector(new Array(dim).fill(Number.NaN)) })],
      ['base64-bad', () => ({ vector: 'ab$d' })],
      ['base64-odd-bytes', () => ({ vector: 'AAAAAA==' + 'AAAA' })],
      ['text-empty', () => ({ text: '' })],
      ['text-oversized', () => ({ text: 'q'.repeat(10_001) })],
      ['text-number', () => ({ text: 7 })],
      ['include-unknown', () => ({ vector: vector(), include: ['score'] })],
      ['include-duplicate', () => ({ vector: vector(), include: ['text', 'text'] })],
      ['unknown-field', () => ({ vector: vector(), limit: 3 })],
      ['filter-bad', () => ({ vector: vector(), filter: badFilter(r) })],
      ['filter-array', () => ({ vector: vector(), filter: [{ tag: 'red' }] })],
      ['filter-deep-40', () => ({ vector: vector(), filter: JSON.parse(deepFilterText(40, '{"tag":"red"}')) as unknown })],
    ];
    if (r.chance(0.15)) {
      // Bodies as text: nesting JSON.stringify would overflow on, and literals it cannot write.
      const [name, body] = r.pick<readonly [string, string]>([
        ['filter-deep-5000', `{"text":"vector","filter":${deepFilterText(5000, '{"tag":"red"}')}}`],
        ['filter-deep-90000', `{"text":"vector","filter":${deepFilterText(90_000, '{"tag":"red"}')}}`],
        ['filter-and-deep-20000', `{"text":"vector","filter":${'{"$and":['.repeat(20_000)}{}${']}'.repeat(20_000)}}`],
        ['vector-nan-literal', `{"vector":[NaN${',1'.repeat(dim - 1)}]}`],
        ['vector-1e400', `{"vector":[1e400${',1'.repeat(dim - 1)}]}`],
        ['text-lone-surrogate', `{"text":"vector \\ud800 search"}`],
      ]);
      return rawRequest(`search.${name}`, 'POST', path, name === 'text-lone-surrogate' ? 'any' : 'reject', body, JSON_TYPE);
    }
    if (r.chance(0.15)) {
      const searches = r.pick<readonly [string, unknown]>([
        ['batch-empty', []],
        ['batch-101', Array.from({ length: 101 }, () => ({ text: 'vector' }))],
        ['batch-one-bad', [{ text: 'vector' }, { vector: randomVector(r, dim + 2) }]],
        ['batch-not-array', { text: 'vector' }],
      ]);
      return request(`search.${searches[0]}`, 'POST', `${path}/batch`, 'reject', { searches: searches[1] });
    }
    const [name, make] = r.pick(cases);
    return request(`search.${name}`, 'POST', path, 'reject', make());
  }

  #badSearchGet(): FuzzRequest {
    const r = this.#r;
    const spec = this.#collection();
    const vector = encodeURIComponent(base64Vector(randomVector(r, spec.dimension)));
    const [name, query] = r.pick<readonly [string, string]>([
      ['no-query', 'k=5'],
      ['k-letters', `vector=${vector}&k=abc`],
      ['k-six-digits', `vector=${vector}&k=999999`],
      ['k-repeated', `vector=${vector}&k=1&k=2`],
      ['filter-not-json', `text=vector&filter=${encodeURIComponent('{tag: red}')}`],
      ['filter-array', `text=vector&filter=${encodeURIComponent('[1]')}`],
      ['filter-bad-operator', `text=vector&filter=${encodeURIComponent(JSON.stringify(badFilter(r)))}`],
      ['vector-bad', 'vector=!!!!'],
      ['vector-wrong-dimension', `vector=${encodeURIComponent(base64Vector(randomVector(r, spec.dimension + 3)))}`],
      ['alpha-2', 'text=vector&alpha=2'],
      ['include-bad', 'text=vector&include=score'],
      ['unknown-param', 'text=vector&exact=true'],
      ['bad-escape', 'text=%ZZ'],
      ['text-lone-surrogate', 'text=%ED%A0%80'],
    ]);
    const expect: Expect = name === 'text-lone-surrogate' || name === 'bad-escape' ? 'any' : 'reject';
    return request(`search.get.${name}`, 'GET', `${this.#base(spec)}/search?${query}`, expect);
  }

  #badDocuments(): FuzzRequest {
    const r = this.#r;
    const spec = this.#collection();
    const base = this.#base(spec);
    // Malformed deletes also carry an impossible condition (bucket -1): accepted by mistake, they still delete nothing.
    const never = { owner: this.#owner, bucket: -1 };
    const none: OwnerFilter = { filter: never, matches: () => false };
    const deleteWhere = (kind: string, body: unknown): FuzzRequest =>
      request(kind, 'POST', `${base}/documents/delete`, 'reject', body, { type: 'delete-where', collection: spec.name, owner: this.#owner, selection: none });
    if (r.chance(0.25)) return this.#badUpsertText(spec);
    return r.pick<() => FuzzRequest>([
      () => request('get.one.missing', 'GET', `${base}/documents/${encodeURIComponent(`missing-${r.int(0, 1e6)}`)}`, 'reject'),
      () => request('get.one.too-long', 'GET', `${base}/documents/${'%C3%A9'.repeat(300)}`, 'reject'),
      () => request('get.one.lone-surrogate', 'GET', `${base}/documents/%ED%A0%80`, 'reject'),
      () => request('get.one.bad-escape', 'GET', `${base}/documents/%E0%A4%A`, 'reject'),
      () => request('get.one.missing-collection', 'GET', `/collections/fz-missing/documents/a`, 'reject'),
      () => request('get.many.empty', 'POST', `${base}/documents/get`, 'reject', { ids: [] }),
      () => request('get.many.not-array', 'POST', `${base}/documents/get`, 'reject', { ids: 'a' }),
      () => request('get.many.numbers', 'POST', `${base}/documents/get`, 'reject', { ids: [1, 2] }),
      () => request('get.many.lone-surrogate', 'POST', `${base}/documents/get`, 'any', { ids: ['\ud800'] }),
      () => request('delete.both', 'POST', `${base}/documents/delete`, 'reject', { ids: [trackedId(this.#owner, 0)], filter: never }, { type: 'delete', collection: spec.name, ids: [trackedId(this.#owner, 0)] }),
      () => request('delete.neither', 'POST', `${base}/documents/delete`, 'reject', {}),
      () => request('delete.ids-empty', 'POST', `${base}/documents/delete`, 'reject', { ids: [] }),
      () => deleteWhere('delete.filter-bad', { filter: { ...never, $and: [badFilter(r)] } }),
      () => deleteWhere('delete.filter-string', { filter: 'owner' }),
      () => deleteWhere('delete.filter-deep-40', { filter: { ...never, $and: [JSON.parse(deepFilterText(41, '{"tag":"red"}')) as unknown] } }),
      () => {
        const fuzz = rawRequest('delete.filter-deep-90000', 'POST', `${base}/documents/delete`, 'reject', `{"filter":{"owner":${this.#owner},"bucket":-1,"$and":[${deepFilterText(90_000, '{"tag":"red"}')}]}}`, JSON_TYPE);
        return { ...fuzz, model: { type: 'delete-where', collection: spec.name, owner: this.#owner, selection: none } };
      },
      () => request('list.limit-zero', 'POST', `${base}/documents/list`, 'reject', { limit: 0 }),
      () => request('list.limit-over-max', 'POST', `${base}/documents/list`, 'reject', { limit: 10_001 }),
      () => request('list.after-letters', 'POST', `${base}/documents/list`, 'reject', { after: 'abc' }),
      () => request('list.after-huge', 'POST', `${base}/documents/list`, 'any', { after: '9'.repeat(40) }),
      () => request('list.include-bad', 'POST', `${base}/documents/list`, 'reject', { include: ['id'] }),
      () => request('list.filter-bad', 'POST', `${base}/documents/list`, 'reject', { filter: badFilter(r) }),
      () => request('count.filter-bad', 'POST', `${base}/count`, 'reject', { filter: badFilter(r) }),
      () => request('count.filter-array', 'POST', `${base}/count`, 'reject', { filter: [] }),
      () => request('count.unknown-field', 'POST', `${base}/count`, 'reject', { where: {} }),
      () => rawRequest('count.filter-deep-90000', 'POST', `${base}/count`, 'reject', `{"filter":${deepFilterText(90_000, '{"tag":"red"}')}}`, JSON_TYPE),
    ])();
  }

  #badCollections(): FuzzRequest {
    const r = this.#r;
    const dimension = 8;
    const [name, body] = r.pick<readonly [string, unknown]>([
      ['name-space', { name: 'bad name', dimension }],
      ['name-empty', { name: '', dimension }],
      ['name-65', { name: 'n'.repeat(65), dimension }],
      ['name-dots', { name: '..', dimension }],
      ['name-proto', { name: '__proto__', dimension }],
      ['name-unicode', { name: 'sammlung-ü', dimension }],
      ['name-number', { name: 7, dimension }],
      ['no-dimension', { name: 'fz-nodim' }],
      ['dimension-zero', { name: 'fz-bad', dimension: 0 }],
      ['dimension-over-max', { name: 'fz-bad', dimension: 8193 }],
      ['dimension-string', { name: 'fz-bad', dimension: '8' }],
      ['dimension-fraction', { name: 'fz-bad', dimension: 1.5 }],
      ['metric-unknown', { name: 'fz-bad', dimension, metric: 'hamming' }],
      ['quantization-unknown', { name: 'fz-bad', dimension, quantization: 'pq' }],
      ['rerank-zero', { name: 'fz-bad', dimension, rerank: 0 }],
      ['hnsw-m-1', { name: 'fz-bad', dimension, hnsw: { m: 1 } }],
      ['hnsw-segments-65', { name: 'fz-bad', dimension, hnsw: { segments: 65 } }],
      ['hnsw-unknown', { name: 'fz-bad', dimension, hnsw: { M: 16 } }],
      ['text-language', { name: 'fz-bad', dimension, text: { language: 'xx' } }],
      ['bm25-k1', { name: 'fz-bad', dimension, bm25: { k1: 11 } }],
      ['unknown-field', { name: 'fz-bad', dimension, shards: 2 }],
      ['exists', { name: this.#collection().name, dimension: this.#collection().dimension }],
    ]);
    if (r.chance(0.3)) {
      return r.pick<() => FuzzRequest>([
        () => request('collections.info.bad-name', 'GET', '/collections/bad%20name', 'reject'),
        () => request('collections.info.missing', 'GET', '/collections/fz-missing', 'reject'),
        () => request('collections.drop.bad-name', 'DELETE', `/collections/${'n'.repeat(65)}`, 'reject'),
        () => request('collections.drop.missing', 'DELETE', '/collections/fz-missing', 'reject'),
        () => request('collections.optimize.body-field', 'POST', `/collections/${this.#collection().name}/optimize`, 'reject', { level: 2 }),
        () => request('collections.optimize.missing', 'POST', '/collections/fz-missing/optimize', 'reject', {}),
      ])();
    }
    return request(`collections.create.${name}`, 'POST', '/collections', 'reject', body);
  }

  /** Bodies that are not the JSON a route reads: broken syntax, other types and charsets, nothing at all, too much. */
  #badBody(): FuzzRequest {
    const r = this.#r;
    const spec = this.#collection();
    const base = this.#base(spec);
    const path = r.pick(['/collections', `${base}/documents`, `${base}/documents/get`, `${base}/documents/delete`, `${base}/documents/list`, `${base}/count`, `${base}/search`, `${base}/search/batch`, `${base}/optimize`]);
    // optimize takes no arguments: a body that parses to nothing is a valid call there.
    const optimize = path.endsWith('/optimize');
    const valid = `{"text":"vector"}`;
    const [name, body, type, expect] = r.pick<readonly [string, string | Uint8Array, string | undefined, Expect]>([
      ['truncated', '{"documents": [', JSON_TYPE, 'reject'],
      ['trailing-comma', '{"k": 10,}', JSON_TYPE, 'reject'],
      ['single-quotes', "{'text': 'x'}", JSON_TYPE, 'reject'],
      ['bad-escape', '{"text": "\\x41"}', JSON_TYPE, 'reject'],
      ['two-objects', '{"a":1}{"b":2}', JSON_TYPE, 'reject'],
      ['nul', '\u0000', JSON_TYPE, 'reject'],
      ['null', 'null', JSON_TYPE, optimize ? 'any' : 'reject'],
      ['array', '[]', JSON_TYPE, 'reject'],
      ['string', '"text"', JSON_TYPE, 'reject'],
      ['number', '42', JSON_TYPE, 'reject'],
      ['bom', `\ufeff${valid}`, JSON_TYPE, 'any'],
      ['proto', '{"__proto__": {"text": "x"}}', JSON_TYPE, 'reject'],
      ['empty', '', JSON_TYPE, optimize ? 'ok' : 'reject'],
      ['whitespace', ' \n\t ', JSON_TYPE, 'any'],
      ['text-plain', valid, 'text/plain', 'reject'],
      ['form', 'text=vector', 'application/x-www-form-urlencoded', 'reject'],
      ['multipart', '--b\r\ncontent-disposition: form-data; name="text"\r\n\r\nvector\r\n--b--', 'multipart/form-data; boundary=b', 'reject'],
      ['no-content-type', new TextEncoder().encode(valid), undefined, 'reject'],
      ['octet-stream', new Uint8Array([0xff, 0xfe, 0, 1, 2]), 'application/octet-stream', 'reject'],
      ['charset-utf16', new Uint8Array(Buffer.from(valid, 'utf16le')), 'application/json; charset=utf-16', 'reject'],
      ['charset-latin1', valid, 'application/json; charset=iso-8859-1', 'reject'],
      ['charset-quoted-utf8', valid, 'application/json; charset="UTF-8"', optimize ? 'reject' : 'any'],
      ['json-suffix-type', valid, 'application/vnd.api+json', 'reject'],
      ['invalid-utf8', new Uint8Array([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0x22, 0x7d]), JSON_TYPE, 'any'],
      ['over-body-limit', `{"text":"${'x'.repeat(1_100_000)}"}`, JSON_TYPE, 'reject'],
      ['huge-number', '{"k": 1' + '0'.repeat(400) + '}', JSON_TYPE, 'reject'],
    ]);
    return rawRequest(`body.${name}`, 'POST', path, expect, body, type);
  }

  /** Routes that do not exist, methods a route does not take, and paths the router cannot read. */
  #badPath(): FuzzRequest {
    const r = this.#r;
    const base = this.#base(this.#collection());
    const [name, method, path, expect] = r.pick<readonly [string, string, string, Expect]>([
      ['unknown', 'GET', '/nope', 'reject'],
      ['unknown-collection-route', 'POST', `${base}/nope`, 'reject'],
      ['too-many-segments', 'GET', `${base}/documents/a/b`, 'reject'],
      ['versioned', 'GET', '/v1/collections', 'reject'],
      ['batch-extra', 'POST', `${base}/search/batch/extra`, 'reject'],
      ['trailing-slash', 'GET', '/collections/', 'reject'],
      ['double-slash', 'GET', '//collections', 'reject'],
      ['bad-escape', 'GET', '/collections/%ZZ', 'reject'],
      ['truncated-escape', 'GET', '/collections/%E0%A4%A', 'reject'],
      ['nul-escape', 'GET', '/collections/a%00b', 'reject'],
      ['long-path', 'GET', `/collections/${'a'.repeat(20_000)}`, 'reject'],
      ['bad-collection-name', 'GET', '/collections/bad%20name/documents/x', 'reject'],
      ['put-collections', 'PUT', '/collections', 'reject'],
      ['patch-collection', 'PATCH', base, 'reject'],
      ['delete-collections', 'DELETE', '/collections', 'reject'],
      ['get-documents', 'GET', `${base}/documents`, 'reject'],
      ['post-health', 'POST', '/health', 'reject'],
      ['delete-document', 'DELETE', `${base}/documents/x`, 'reject'],
      ['put-search', 'PUT', `${base}/search`, 'reject'],
      ['options', 'OPTIONS', '/collections', 'reject'],
      ['head-collection', 'HEAD', base, 'any'],
      ['head-metrics', 'HEAD', '/metrics', 'any'],
    ]);
    return request(`path.${name}`, method, path, expect);
  }
}

// ---------------------------------------------------------------- race writers

/** Ids the race writers use: `r<writer>-<n>`. */
export function raceId(writer: number, n: number): string {
  return `r${writer}-${n}`;
}

/**
 * A writer of the race phase: drop, create, upsert, search, list and the
 * rest, at random, all on one collection that the other race writers drop
 * and create meanwhile. Any 2xx or 4xx is a fine answer; acknowledged
 * upserts are recorded so the leftovers can be checked afterwards.
 */
export class RaceGenerator {
  readonly #r: Random;
  readonly #writer: number;
  readonly #spec: CollectionSpec;
  #nextId = 0;

  constructor(r: Random, writer: number, spec: CollectionSpec) {
    this.#r = r;
    this.#writer = writer;
    this.#spec = spec;
  }

  next(): FuzzRequest {
    const r = this.#r;
    const spec = this.#spec;
    const base = `/collections/${spec.name}`;
    const dim = spec.dimension;
    const id = () => raceId(r.int(0, 7), r.int(0, Math.max(1, this.#nextId)));
    const make = r.weighted<() => FuzzRequest>([
      [12, () => {
        const body: Record<string, unknown> = { name: spec.name, dimension: dim, metric: spec.metric };
        if (r.chance(0.3)) body.hnsw = { segments: r.int(1, 3), m: r.int(4, 16) };
        if (r.chance(0.2)) body.quantization = 'int8';
        return request('race.create', 'POST', '/collections', 'any', body);
      }],
      [10, () => request('race.drop', 'DELETE', base, 'any')],
      [20, () => {
        // Now and then a large batch, so drops and optimizes land while its graph inserts are still running.
        const documents = Array.from({ length: r.chance(0.1) ? r.int(300, 1500) : r.int(1, 100) }, () => {
          const document: Record<string, unknown> = { id: raceId(this.#writer, this.#nextId++), vector: encodedVector(r, dim), metadata: { writer: this.#writer, bucket: r.int(0, 9) } };
          if (r.chance(0.5)) document.text = words(r, 1, 8);
          return document;
        });
        return request('race.upsert', 'POST', `${base}/documents`, 'any', { documents }, { type: 'race-upsert', ids: documents.map((d) => d.id as string) });
      }],
      [12, () => {
        const body: Record<string, unknown> = r.chance(0.7) ? { vector: encodedVector(r, dim) } : { text: words(r, 1, 2) };
        if (r.chance(0.3)) body.filter = { bucket: { $lt: r.int(0, 9) } };
        if (r.chance(0.3)) body.exact = r.chance(0.5);
        if (r.chance(0.2)) body.text = words(r, 1, 2);
        body.k = r.int(1, 50);
        return request('race.search', 'POST', `${base}/search`, 'any', body);
      }],
      [4, () => request('race.search.batch', 'POST', `${base}/search/batch`, 'any', { searches: [{ vector: encodedVector(r, dim) }, { text: words(r, 1, 2) }] })],
      [4, () => request('race.search.get', 'GET', `${base}/search?vector=${encodeURIComponent(base64Vector(randomVector(r, dim)))}&k=${r.int(1, 20)}`, 'any')],
      [6, () => request('race.list', 'POST', `${base}/documents/list`, 'any', r.chance(0.5) ? {} : { limit: r.int(1, 200), filter: { writer: r.int(0, 7) } })],
      [5, () => request('race.count', 'POST', `${base}/count`, 'any', r.chance(0.5) ? {} : { filter: { bucket: r.int(0, 9) } })],
      [3, () => request('race.get.many', 'POST', `${base}/documents/get`, 'any', { ids: Array.from({ length: r.int(1, 10) }, id) })],
      [3, () => request('race.get.one', 'GET', `${base}/documents/${id()}`, 'any')],
      [4, () => request('race.delete.ids', 'POST', `${base}/documents/delete`, 'any', { ids: Array.from({ length: r.int(1, 20) }, id) })],
      [3, () => request('race.delete.filter', 'POST', `${base}/documents/delete`, 'any', { filter: { writer: r.int(0, 7), bucket: { $gte: r.int(0, 9) } } })],
      [4, () => request('race.info', 'GET', base, 'any')],
      [3, () => request('race.optimize', 'POST', `${base}/optimize`, 'any', r.chance(0.5) ? {} : undefined)],
      [2, () => request('race.collections', 'GET', '/collections', 'any')],
      [2, () => request('race.upsert.wrong-dimension', 'POST', `${base}/documents`, 'reject', { documents: [{ id: raceId(this.#writer, this.#nextId++), vector: randomVector(r, dim + 1) }] })],
    ]);
    const fuzz = make();
    // The race writers always hold the read-write key: their point is the races, not auth.
    fuzz.headers['x-api-key'] = READ_WRITE_KEY;
    return fuzz;
  }
}
