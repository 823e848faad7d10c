/**
 * Soak run: `npm run bench:soak [-- --minutes=30 --dim=384 --seed=1 --docs=50000 --clients=8]`
 * (issue 23, hardening). Not in CI, and not part of `npm run bench`: it takes
 * the machine for half an hour.
 *
 * The real server (`node dist/cli.js serve`, built by the npm script) runs as
 * a child process on a temporary data directory and a free loopback port,
 * with the default settings but one: QUIVER_RATE_LIMIT_MAX is set to 1e9.
 * Every client here comes from 127.0.0.1, one address, which the default
 * (6,000 requests a minute per address) would answer mostly with 429; a
 * budget it cannot spend keeps the rate-limit plugin in every request's path
 * without limiting. QUIVER_* variables of the calling shell are not passed on.
 *
 * Before the clock starts, one collection (cosine, `--dim`) is seeded with
 * `--docs` documents over HTTP: vectors from the seeded embedding model of
 * bench/lib/datasets.ts, 12-40 words of text from a 3,000-word vocabulary (Zipf
 * frequencies), and metadata (owner, rev, slot, category, year, price,
 * published) to filter on; then the run waits for the HNSW backlog to drain.
 *
 * Load, for `--minutes`: `--clients` async loops, one request in flight each,
 * over Node's fetch (keep-alive), each picking its next request at random:
 * upserts of new ids and replacements, deletes by ids and by filter, GET of
 * one document, documents/get, documents/list pages (include subsets, a
 * cursor walked through the collection), count, and vector, keyword (POST and
 * GET), hybrid, filtered and batch searches. Writes keep each client's share
 * of the collection near its seeded size, so memory has no reason to grow
 * with the data. One more loop sends the heavy requests every 10 s: a search
 * with k = 1000 returning metadata and text, and a list of 1,000 documents.
 *
 * Every 10 s: the server's VmRSS and VmHWM (/proc/<pid>/status, worker
 * threads included: they share the process), requests/s, p50/p99 per kind
 * and overall for those 10 s, non-2xx replies, the load average, and the
 * collection's graph backlog, tombstones and index memory (its info),
 * printed as one progress line.
 *
 * Verdicts (exit status 1 when one fails):
 *   - RSS growth after warm-up < 10%. The run is cut into periods of 5
 *     minutes (sixths of a run shorter than 30), the first of them the
 *     warm-up; growth compares the median RSS of the run's last minute with
 *     that of the warm-up's last minute (spans of one period at most).
 *   - p99 of every later period <= 2x the first period's (all requests).
 *   - Acknowledged writes match the store: each client owns the ids with its
 *     prefix and applies every 2xx upsert and delete to its own model (id ->
 *     rev). At the end, the ids and revs paged out of documents/list equal the
 *     model's, and the count route and the collection's info agree with it.
 *   - Reads of owned ids agree with the model during the run: GET of an id
 *     the model holds answers 200 with its rev, documents/get lists exactly
 *     the deleted ids as missing, deletes report the counts expected.
 *   - No 5xx reply, no request without a reply, and the server never exits.
 * Results: printed tables, bench/results/soak.json, bench/results/soak.svg
 * (RSS and p99 over time) and bench/results/soak-server.log (its output).
 * Linux only (/proc).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { rng } from '../test/fixtures/random.js';
import { embeddingModel, type EmbeddingModel } from './lib/datasets.js';
import { lineSpec, renderSvg } from './lib/plots.js';
import { createProgress, fmt, formatTable, machineInfo, REPO_ROOT, RESULTS_DIR, writeResults, type Target } from './lib/harness.js';
import { latencyOf, memoryOf, startServer, stopServer, type Latency } from './lib/server-process.js';
import { median } from './lib/stats.js';

// ---------------------------------------------------------------- settings

const USAGE = 'usage: tsx bench/soak.bench.ts [--minutes=30] [--dim=384] [--seed=1] [--docs=50000] [--clients=8]';

/** `--name=value` flags; anything else is a usage error (exit status 2). */
function parseFlags(argv: readonly string[]): { minutes: number; dim: number; seed: number; docs: number; clients: number } {
  const flags = { minutes: 30, dim: 384, seed: 1, docs: 50_000, clients: 8 };
  const problems: string[] = [];
  for (const arg of argv) {
    const match = /^--([a-z]+)=(.+)$/.exec(arg);
    const name = match?.[1] as keyof typeof flags | undefined;
    if (!match || name === undefined || !(name in flags)) {
      problems.push(`unknown argument '${arg}'`);
      continue;
    }
    const value = Number(match[2]);
    const integer = name !== 'minutes';
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      problems.push(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got '${match[2]}'`);
      continue;
    }
    flags[name] = value;
  }
  // A shorter run would have a warm-up without a single 10 s sample in it.
  if (flags.minutes < 1) problems.push(`--minutes must be at least 1, got ${flags.minutes}`);
  if (problems.length > 0) {
    console.error(`soak: ${problems.join('; ')}\n${USAGE}`);
    process.exit(2);
  }
  return flags;
}

const FLAGS = parseFlags(process.argv.slice(2));
const DURATION_MS = FLAGS.minutes * 60_000;
const SAMPLE_MS = 10_000;
/** The periods of the p99 verdict, the first of them the warm-up: 5 minutes, or a sixth of a shorter run. */
const PERIOD_MS = Math.min(5 * 60_000, DURATION_MS / 6);
const PERIODS = Math.ceil(DURATION_MS / PERIOD_MS - 1e-9);
/** The span whose median RSS stands for "end of warm-up" and for "the end". */
const RSS_SPAN_MS = Math.min(60_000, PERIOD_MS);
const HEAVY_EVERY_MS = 10_000;
const REQUEST_TIMEOUT_MS = 60_000;

const COLLECTION = 'soak';
const SEED_BATCH = 1_000;
const VOCABULARY = 3_000;
const CATEGORIES = 12;
/** Values of the `slot` metadata field: a delete by filter takes one slot of a client's documents, about 1%. */
const SLOTS = 100;
const QUERY_POOL = 2_048;
/** Deleted ids each client remembers, to ask for them and expect them missing. */
const DELETED_MEMORY = 64;

/** The server's QUIVER_RATE_LIMIT_MAX: more than any run sends (see the file comment). */
const RATE_LIMIT_MAX = 1e9;

const TARGETS = { rssGrowth: 0.1, p99Ratio: 2 };

// ---------------------------------------------------------------- data

type Metadata = { owner: number; rev: number; slot: number; category: string; year: number; price: number; published: boolean };
interface DocumentIn {
  id: string;
  vector: string | number[];
  text: string;
  metadata: Metadata;
}

/** Pseudo-words from syllables, ranked: word i is drawn with weight 1 / (i + 1). */
function vocabulary(next: () => number): { words: string[]; cumulative: Float64Array } {
  const syllables = ['ka', 'lo', 'mi', 'ren', 'tu', 'sa', 'vo', 'di', 'ne', 'pa', 'quil', 'ze', 'bo', 'fi', 'gu', 'hal', 'jex', 'lu', 'mar', 'nor', 'pe', 'ri', 'sol', 'ta', 'ul', 've', 'wyn', 'xa', 'yo', 'dra'];
  const words = new Set<string>();
  while (words.size < VOCABULARY) {
    const length = 2 + Math.floor(next() * 2);
    words.add(Array.from({ length }, () => syllables[Math.floor(next() * syllables.length)]!).join(''));
  }
  const cumulative = new Float64Array(VOCABULARY);
  let total = 0;
  for (let i = 0; i < VOCABULARY; i++) cumulative[i] = total += 1 / (i + 1);
  return { words: [...words], cumulative };
}

/** Documents, queries and filters drawn from one seeded model of the collection. */
class Corpus {
  readonly #model: EmbeddingModel;
  readonly #words: string[];
  readonly #cumulative: Float64Array;
  readonly queries: string[];

  constructor(readonly dim: number, readonly seed: number) {
    this.#model = embeddingModel({ dim, seed });
    ({ words: this.#words, cumulative: this.#cumulative } = vocabulary(rng(seed ^ 0x5eed)));
    const pool = this.#model.sample(QUERY_POOL, seed * 31 + 7);
    this.queries = Array.from({ length: QUERY_POOL }, (_, q) => base64(pool.subarray(q * dim, (q + 1) * dim)));
  }

  /** Documents for `ids`, their vectors from sample stream `stream` (any integer: each gives other vectors). */
  documents(ids: readonly string[], owner: number, revs: readonly number[], stream: number, next: () => number): DocumentIn[] {
    const vectors = this.#model.sample(ids.length, (this.seed * 1_000_003 + stream) >>> 0);
    return ids.map((id, i) => {
      const vector = vectors.subarray(i * this.dim, (i + 1) * this.dim);
      return {
        id,
        // Mostly base64, the format the API recommends; some JSON arrays, which take the other parser path.
        vector: next() < 0.9 ? base64(vector) : Array.from(vector),
        text: this.text(12 + Math.floor(next() * 29), next),
        metadata: {
          owner,
          rev: revs[i]!,
          slot: Math.floor(next() * SLOTS),
          category: `c${Math.floor(next() * CATEGORIES)}`,
          year: 1990 + Math.floor(next() * 35),
          price: Math.round(next() * 100_000) / 100,
          published: next() < 0.7,
        },
      };
    });
  }

  text(words: number, next: () => number): string {
    return Array.from({ length: words }, () => this.#word(next)).join(' ');
  }

  /** 1-3 words of middling frequency: common enough to match, rare enough to rank. */
  keywords(next: () => number): string {
    const count = 1 + Math.floor(next() * 3);
    return Array.from({ length: count }, () => this.#words[10 + Math.floor(next() * 990)]!).join(' ');
  }

  vector(next: () => number): string {
    return this.queries[Math.floor(next() * QUERY_POOL)]!;
  }

  filter(next: () => number, owner: number): Record<string, unknown> {
    const category = () => `c${Math.floor(next() * CATEGORIES)}`;
    const filters = [
      () => ({ category: category() }),
      () => ({ year: { $gte: 1990 + Math.floor(next() * 35) } }),
      () => ({ $and: [{ category: { $in: [category(), category(), category()] } }, { published: true }] }),
      () => ({ price: { $lt: Math.round(next() * 1000) } }),
      () => ({ $or: [{ year: { $lt: 1995 } }, { category: category() }] }),
      () => ({ owner }),
    ];
    return filters[Math.floor(next() * filters.length)]!();
  }

  #word(next: () => number): string {
    const target = next() * this.#cumulative[VOCABULARY - 1]!;
    let low = 0;
    let high = VOCABULARY - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.#cumulative[mid]! < target) low = mid + 1;
      else high = mid;
    }
    return this.#words[low]!;
  }
}

function base64(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

// ---------------------------------------------------------------- the server

// startServer, stopServer and memoryOf: bench/lib/server-process.ts.

// ---------------------------------------------------------------- requests and their figures

const KINDS = [
  'upsert', 'replace', 'delete', 'delete where', 'get', 'get many', 'list', 'count',
  'vector', 'keyword', 'hybrid', 'filtered', 'batch', 'heavy search', 'heavy list',
] as const;
type Kind = (typeof KINDS)[number];

interface Reply {
  status: number;
  text: string;
}

/** A reply's body as JSON (the load loops parse only the replies they check). */
function jsonOf<T>(reply: Reply): T {
  return JSON.parse(reply.text) as T;
}

interface Failure {
  kind: Kind;
  status: number | null;
  message: string;
  atSeconds: number;
}

/**
 * Every request's latency, kept three ways: in the current 10 s window (per
 * kind), in its period (the 5-minute windows of the p99 verdict) and per kind
 * over the whole run. A request counts where it completes.
 */
class Recorder {
  clock = performance.now();
  window = new Map<Kind, number[]>();
  windowNon2xx = 0;
  readonly periods: number[][] = Array.from({ length: PERIODS }, () => []);
  readonly byKind = new Map<Kind, number[]>(KINDS.map((kind) => [kind, []]));
  /** Replies per kind and status. */
  readonly statuses = new Map<Kind, Map<number, number>>(KINDS.map((kind) => [kind, new Map()]));
  readonly failures: Failure[] = [];
  transportErrors = 0;
  serverErrors = 0;

  get non2xx(): number {
    let count = 0;
    for (const statuses of this.statuses.values()) for (const [status, n] of statuses) if (status < 200 || status > 299) count += n;
    return count;
  }

  get seconds(): number {
    return (performance.now() - this.clock) / 1000;
  }

  start(): void {
    this.clock = performance.now();
    this.window = new Map();
    this.windowNon2xx = 0;
  }

  record(kind: Kind, ms: number, status: number): void {
    const period = Math.min(PERIODS - 1, Math.max(0, Math.floor((performance.now() - this.clock) / PERIOD_MS)));
    this.periods[period]!.push(ms);
    this.byKind.get(kind)!.push(ms);
    const window = this.window.get(kind);
    if (window) window.push(ms);
    else this.window.set(kind, [ms]);
    const statuses = this.statuses.get(kind)!;
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (status < 200 || status > 299) this.windowNon2xx++;
    if (status >= 500) this.serverErrors++;
  }

  fail(kind: Kind, status: number | null, message: string): void {
    if (status === null) this.transportErrors++;
    // The first few of each are kept for the report; the counters above have them all.
    if (this.failures.length < 50) this.failures.push({ kind, status, message: message.slice(0, 300), atSeconds: Math.round(this.seconds) });
  }

  /** The window's figures, and a fresh window. */
  takeWindow(): { requests: number; non2xx: number; overall: Latency; kinds: Partial<Record<Kind, Latency>> } {
    const kinds: Partial<Record<Kind, Latency>> = {};
    for (const [kind, values] of this.window) kinds[kind] = latencyOf(values);
    const all = [...this.window.values()].flat();
    const taken = { requests: all.length, non2xx: this.windowNon2xx, overall: latencyOf(all), kinds };
    this.window = new Map();
    this.windowNon2xx = 0;
    return taken;
  }
}

/** One HTTP exchange, timed from send to the last byte of the reply read. */
async function request(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ reply: Reply; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  return { reply: { status: response.status, text }, ms: performance.now() - started };
}

/** Sends one request of the load and records it; undefined when no reply came (the failure is recorded). */
async function send(shared: Shared, kind: Kind, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply | undefined> {
  try {
    const { reply, ms } = await request(shared.base, method, path, body);
    shared.recorder.record(kind, ms, reply.status);
    if (reply.status >= 500) shared.recorder.fail(kind, reply.status, reply.text);
    return reply;
  } catch (error) {
    shared.recorder.fail(kind, null, String(error));
    return undefined;
  }
}

// ---------------------------------------------------------------- the model of acknowledged writes

/** The ids one client owns and the rev each holds, as the server acknowledged them. */
class OwnedIds {
  readonly #ids: string[] = [];
  readonly #entries = new Map<string, { rev: number; slot: number; at: number }>();
  /** Ids whose fate is unknown: a write to them got no reply or a 5xx. */
  readonly uncertain = new Set<string>();
  /** The latest deleted ids (never reused: new ids only count up). */
  readonly deleted: string[] = [];

  get size(): number {
    return this.#ids.length;
  }

  revOf(id: string): number | undefined {
    return this.#entries.get(id)?.rev;
  }

  entries(): IterableIterator<[string, { rev: number }]> {
    return this.#entries.entries();
  }

  set(id: string, rev: number, slot: number): void {
    const entry = this.#entries.get(id);
    if (entry) {
      entry.rev = rev;
      entry.slot = slot;
      return;
    }
    this.#entries.set(id, { rev, slot, at: this.#ids.length });
    this.#ids.push(id);
  }

  delete(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    // Swap with the last id, so a random pick stays O(1).
    const last = this.#ids.pop()!;
    if (last !== id) {
      this.#ids[entry.at] = last;
      this.#entries.get(last)!.at = entry.at;
    }
    this.#entries.delete(id);
    this.deleted.push(id);
    if (this.deleted.length > DELETED_MEMORY) this.deleted.shift();
  }

  inSlot(slot: number): string[] {
    return this.#ids.filter((id) => this.#entries.get(id)!.slot === slot);
  }

  /** Up to `count` distinct ids at random, none of them uncertain. */
  pick(count: number, next: () => number): string[] {
    const picked = new Set<string>();
    for (let tries = 0; picked.size < Math.min(count, this.size) && tries < count * 4; tries++) {
      const id = this.#ids[Math.floor(next() * this.size)]!;
      if (!this.uncertain.has(id)) picked.add(id);
    }
    return [...picked];
  }
}

// ---------------------------------------------------------------- the clients

interface Shared {
  base: string;
  corpus: Corpus;
  recorder: Recorder;
  /** Disagreements between reads and the model (each one fails the run): how many, and the first few. */
  readMismatches: { count: number; examples: string[] };
  stopped: () => boolean;
}

const pathOf = (suffix: string) => `/collections/${COLLECTION}${suffix}`;

/**
 * What a client sends, with weights in percent: 23 writes, 77 reads. A
 * "grow" write adds documents while the client holds fewer than it was
 * seeded with and deletes (by ids, or by filter) otherwise, so the
 * collection stays near its seeded size.
 */
const MIX = [
  ['replace', 10], ['grow or delete', 12], ['grow or delete where', 1],
  ['get', 8], ['get many', 6], ['list', 6], ['count', 3],
  ['vector', 15], ['keyword', 10], ['hybrid', 10], ['filtered', 10], ['batch', 9],
] as const;
type Operation = (typeof MIX)[number][0];
const MIX_TOTAL = MIX.reduce((sum, [, weight]) => sum + weight, 0);

/** Client `owner`: owns the ids `c<owner>-<n>`, sends one request at a time. */
class Client {
  readonly owned = new OwnedIds();
  readonly #shared: Shared;
  readonly #next: () => number;
  #nextId: number;
  #nextRev = 1;
  #stream = 0;
  #cursor: string | null = null;

  /** `target`: the documents it was seeded with; `firstId`: the first id number after those. */
  constructor(readonly owner: number, readonly target: number, firstId: number, shared: Shared) {
    this.#shared = shared;
    this.#next = rng(shared.corpus.seed * 1_000 + owner + 1);
    this.#nextId = firstId;
  }

  idOf(n: number): string {
    return `c${this.owner}-${n}`;
  }

  async run(): Promise<void> {
    while (!this.#shared.stopped()) await this.#step(this.#pick());
  }

  #pick(): Operation {
    let r = this.#next() * MIX_TOTAL;
    for (const [operation, weight] of MIX) if ((r -= weight) < 0) return operation;
    return MIX[MIX.length - 1]![0];
  }

  async #step(operation: Operation): Promise<void> {
    const { corpus } = this.#shared;
    const grow = this.owned.size < this.target;
    switch (operation) {
      case 'replace':
        return this.#upsert('replace', this.owned.pick(1 + Math.floor(this.#next() * 10), this.#next));
      case 'grow or delete':
        return grow ? this.#upsertNew() : this.#delete();
      case 'grow or delete where':
        return grow ? this.#upsertNew() : this.#deleteWhere();
      case 'get':
        return this.#getOne();
      case 'get many':
        return this.#getMany();
      case 'list':
        return this.#list();
      case 'count':
        return this.#read('count', '/count', { filter: corpus.filter(this.#next, this.owner) });
      case 'vector':
        return this.#read('vector', '/search', this.#vectorSearch());
      case 'keyword':
        return this.#keyword();
      case 'hybrid':
        return this.#read('hybrid', '/search', this.#hybridSearch());
      case 'filtered':
        return this.#read('filtered', '/search', this.#filteredSearch());
      case 'batch':
        return this.#read('batch', '/search/batch', { searches: Array.from({ length: 5 + Math.floor(this.#next() * 6) }, () => this.#anySearch()) });
    }
  }

  #send(kind: Kind, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply | undefined> {
    return send(this.#shared, kind, method, pathOf(path), body);
  }

  /** A read whose reply is not checked: searches, counts. */
  async #read(kind: Kind, path: string, body: unknown): Promise<void> {
    await this.#send(kind, 'POST', path, body);
  }

  #mismatch(what: string): void {
    const mismatches = this.#shared.readMismatches;
    if (mismatches.count++ < 50) mismatches.examples.push(`client ${this.owner}: ${what}`);
  }

  // ---- writes: the model changes only on a 200, and ids a write may or may not have reached become uncertain

  async #upsertNew(): Promise<void> {
    const ids = Array.from({ length: 1 + Math.floor(this.#next() * 20) }, () => this.idOf(this.#nextId++));
    return this.#upsert('upsert', ids);
  }

  async #upsert(kind: 'upsert' | 'replace', ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const revs = ids.map(() => this.#nextRev++);
    const documents = this.#shared.corpus.documents(ids, this.owner, revs, (this.owner << 24) + this.#stream++, this.#next);
    const reply = await this.#send(kind, 'POST', '/documents', { documents });
    if (reply === undefined || reply.status >= 500) for (const id of ids) this.owned.uncertain.add(id);
    else if (reply.status === 200) for (const document of documents) this.owned.set(document.id, document.metadata.rev, document.metadata.slot);
  }

  async #delete(): Promise<void> {
    const ids = this.owned.pick(1 + Math.floor(this.#next() * 10), this.#next);
    if (ids.length === 0) return;
    this.#afterDelete(await this.#send('delete', 'POST', '/documents/delete', { ids }), ids);
  }

  async #deleteWhere(): Promise<void> {
    const slot = Math.floor(this.#next() * SLOTS);
    const ids = this.owned.inSlot(slot);
    this.#afterDelete(await this.#send('delete where', 'POST', '/documents/delete', { filter: { owner: this.owner, slot } }), ids);
  }

  #afterDelete(reply: Reply | undefined, ids: readonly string[]): void {
    if (reply === undefined || reply.status >= 500) {
      for (const id of ids) this.owned.uncertain.add(id);
      return;
    }
    if (reply.status !== 200) return;
    const { deleted } = jsonOf<{ deleted?: number }>(reply);
    if (deleted !== ids.length && !ids.some((id) => this.owned.uncertain.has(id))) this.#mismatch(`a delete reported ${deleted} deleted, the model expected ${ids.length}`);
    for (const id of ids) this.owned.delete(id);
  }

  // ---- reads of owned ids, checked against the model

  async #getOne(): Promise<void> {
    const [id] = this.owned.pick(1, this.#next);
    if (id === undefined) return;
    const reply = await this.#send('get', 'GET', `/documents/${encodeURIComponent(id)}`);
    if (reply === undefined || reply.status >= 500) return;
    const rev = reply.status === 200 ? jsonOf<{ metadata?: { rev?: number } }>(reply).metadata?.rev : undefined;
    if (rev !== this.owned.revOf(id)) this.#mismatch(`GET ${id}: status ${reply.status}, rev ${rev}, the model holds rev ${this.owned.revOf(id)}`);
  }

  async #getMany(): Promise<void> {
    const present = this.owned.pick(5 + Math.floor(this.#next() * 16), this.#next);
    const deleted = this.owned.deleted.filter((id) => !this.owned.uncertain.has(id));
    const absent = deleted.slice(deleted.length - Math.floor(this.#next() * 6));
    if (present.length === 0) return;
    const reply = await this.#send('get many', 'POST', '/documents/get', { ids: [...present, ...absent] });
    if (reply === undefined || reply.status !== 200) return;
    const { documents, missing } = jsonOf<{ documents: { id: string; metadata?: { rev?: number } }[]; missing: string[] }>(reply);
    const wrongRevs = documents.filter((d) => d.metadata?.rev !== this.owned.revOf(d.id)).map((d) => d.id);
    if (missing.length !== absent.length || missing.some((id) => !absent.includes(id)) || wrongRevs.length > 0) {
      this.#mismatch(`documents/get: missing [${missing.join(', ')}], expected [${absent.join(', ')}]; wrong revs [${wrongRevs.join(', ')}]`);
    }
  }

  // ---- other reads

  async #list(): Promise<void> {
    const includes = [[], ['metadata'], ['text'], ['metadata', 'text']];
    const include = includes[Math.floor(this.#next() * includes.length)];
    if (this.#next() < 0.25) {
      await this.#read('list', '/documents/list', { filter: { category: `c${Math.floor(this.#next() * CATEGORIES)}` }, limit: 100, include });
      return;
    }
    // A cursor walked page by page through the collection while it changes, then from the start again.
    const reply = await this.#send('list', 'POST', '/documents/list', { limit: 100, include, ...(this.#cursor === null ? {} : { after: this.#cursor }) });
    if (reply?.status === 200) this.#cursor = jsonOf<{ next: string | null }>(reply).next;
  }

  async #keyword(): Promise<void> {
    const text = this.#shared.corpus.keywords(this.#next);
    // Some in the GET form, which the cache can answer by URL.
    if (this.#next() < 0.2) await this.#send('keyword', 'GET', `/search?text=${encodeURIComponent(text)}&k=10`);
    else await this.#read('keyword', '/search', { text, k: 10, ...this.#include() });
  }

  #include(): { include?: string[] } {
    const r = this.#next();
    return r < 0.4 ? {} : r < 0.6 ? { include: [] } : r < 0.8 ? { include: ['metadata'] } : { include: ['text'] };
  }

  #vectorSearch(): Record<string, unknown> {
    return { vector: this.#shared.corpus.vector(this.#next), k: 10, ...this.#include() };
  }

  #keywordSearch(): Record<string, unknown> {
    return { text: this.#shared.corpus.keywords(this.#next), k: 10, ...this.#include() };
  }

  #hybridSearch(): Record<string, unknown> {
    const fusion = this.#next() < 0.5 ? { fusion: 'rrf' } : { alpha: Math.round(this.#next() * 10) / 10 };
    return { ...this.#vectorSearch(), text: this.#shared.corpus.keywords(this.#next), ...fusion };
  }

  #filteredSearch(): Record<string, unknown> {
    const filter = this.#shared.corpus.filter(this.#next, this.owner);
    const r = this.#next();
    return { ...(r < 0.6 ? this.#vectorSearch() : r < 0.8 ? this.#keywordSearch() : this.#hybridSearch()), filter };
  }

  #anySearch(): Record<string, unknown> {
    const r = this.#next();
    return r < 0.4 ? this.#vectorSearch() : r < 0.6 ? this.#keywordSearch() : r < 0.8 ? this.#hybridSearch() : this.#filteredSearch();
  }
}

/** The heavy requests: one large search and one large page, every HEAVY_EVERY_MS. */
async function heavyLoop(shared: Shared): Promise<void> {
  const next = rng(shared.corpus.seed * 1_000 + 999);
  for (let at = performance.now(); !shared.stopped(); ) {
    await send(shared, 'heavy search', 'POST', pathOf('/search'), { vector: shared.corpus.vector(next), k: 1000, include: ['metadata', 'text'] });
    // A page of 1,000 from anywhere in the collection (cursors are internal labels, about 0 to --docs).
    await send(shared, 'heavy list', 'POST', pathOf('/documents/list'), { limit: 1000, include: ['metadata', 'text'], after: String(Math.floor(next() * FLAGS.docs)) });
    at += HEAVY_EVERY_MS;
    while (!shared.stopped() && performance.now() < at) await sleep(Math.min(250, at - performance.now()));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

// ---------------------------------------------------------------- the run

interface Sample {
  seconds: number;
  rssMiB: number;
  hwmMiB: number;
  requestsPerSecond: number;
  non2xx: number;
  p50Ms: number;
  p99Ms: number;
  kinds: Partial<Record<Kind, Latency>>;
  load1: number;
  /** Documents in the clients' models. */
  documents: number;
  /** Where the memory is, to tell a leak from a cache filling up: see `memoryParts`. */
  parts: MemoryParts | null;
}

const MiB = 2 ** 20;

/** `5 min`, `30 s`. */
const duration = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`);

/** A count for a table: as an integer, where the table's numbers get decimals. */
const count = (n: number) => n.toLocaleString('en-US');

/** A figure for a table: counts as integers, other numbers as `fmt` writes them. */
const figure = (n: number | null | undefined) => (n === null || n === undefined ? '-' : Number.isInteger(n) ? count(n) : fmt(n));

async function post<T>(base: string, path: string, body: unknown): Promise<T> {
  const { reply } = await request(base, 'POST', path, body);
  if (reply.status < 200 || reply.status > 299) throw new Error(`POST ${path}: ${reply.status} ${reply.text}`);
  return jsonOf<T>(reply);
}

interface CollectionInfo {
  count: number;
  indexingBacklog: number;
  tombstones: number;
  memory: { vectors: number; graph: number };
}

async function collectionInfo(base: string): Promise<CollectionInfo> {
  const { reply } = await request(base, 'GET', pathOf(''));
  if (reply.status !== 200) throw new Error(`GET ${pathOf('')}: ${reply.status} ${reply.text}`);
  return jsonOf(reply);
}

/** Seeds the collection, document i to client i % clients, and waits for the graph to catch up. */
async function seed(shared: Shared, clients: readonly Client[], log: (message: string) => void): Promise<number> {
  const started = performance.now();
  const next = rng(shared.corpus.seed ^ 0xa11ce);
  for (let from = 0, batch = 0; from < FLAGS.docs; from += SEED_BATCH, batch++) {
    const to = Math.min(FLAGS.docs, from + SEED_BATCH);
    const documents = clients.flatMap((client) => {
      const ids: string[] = [];
      for (let i = from; i < to; i++) if (i % clients.length === client.owner) ids.push(client.idOf(Math.floor(i / clients.length)));
      // Negative sample streams: the clients' own upserts use the positive ones.
      return shared.corpus.documents(ids, client.owner, ids.map(() => 0), -1 - batch * clients.length - client.owner, next);
    });
    await post(shared.base, pathOf('/documents'), { documents });
    for (const document of documents) clients[document.metadata.owner]!.owned.set(document.id, 0, document.metadata.slot);
    if (to % 5_000 === 0 || to === FLAGS.docs) {
      log(`seeding: ${to.toLocaleString()} / ${FLAGS.docs.toLocaleString()} documents (${fmt(to / ((performance.now() - started) / 1000))} docs/s)`);
    }
  }
  for (let logged = performance.now(); ; ) {
    const { indexingBacklog } = await collectionInfo(shared.base);
    if (indexingBacklog === 0) break;
    if (performance.now() - logged > 5_000) {
      log(`seeding: waiting for the HNSW graph, ${indexingBacklog.toLocaleString()} inserts behind`);
      logged = performance.now();
    }
    await sleep(500);
  }
  return (performance.now() - started) / 1000;
}

/**
 * The server's memory by part, in MiB: resident anonymous and file-backed
 * pages (/proc), the main thread's V8 heap and external memory (prom-client's
 * default metrics; worker threads' heaps are not in them), the result and
 * field caches (/metrics), and the collection's indexes (its info), with the
 * graph backlog and tombstones.
 */
interface MemoryParts {
  anonMiB: number;
  fileMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  resultCacheMiB: number;
  fieldCacheMiB: number;
  vectorsMiB: number;
  graphMiB: number;
  graphBacklog: number;
  tombstones: number;
}

async function memoryParts(base: string, memory: ReturnType<typeof memoryOf>): Promise<MemoryParts> {
  const { reply } = await request(base, 'GET', '/metrics');
  const metric = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(reply.text)?.[1] ?? Number.NaN) / MiB;
  const info = await collectionInfo(base);
  return {
    anonMiB: memory.anon / MiB,
    fileMiB: memory.file / MiB,
    heapUsedMiB: metric('nodejs_heap_size_used_bytes'),
    externalMiB: metric('nodejs_external_memory_bytes'),
    resultCacheMiB: metric('quiver_cache_bytes'),
    fieldCacheMiB: metric('quiver_field_cache_bytes'),
    vectorsMiB: info.memory.vectors / MiB,
    graphMiB: info.memory.graph / MiB,
    graphBacklog: info.indexingBacklog,
    tombstones: info.tombstones,
  };
}

/** Every SAMPLE_MS until the end (or until `crashed()`): the server's memory and the window's figures. */
async function sampleLoad(shared: Shared, pid: number, clients: readonly Client[], crashed: () => boolean, log: (message: string) => void): Promise<Sample[]> {
  const { recorder } = shared;
  const samples: Sample[] = [];
  for (let previous = 0, at = Math.min(SAMPLE_MS, DURATION_MS); ; previous = at, at = Math.min(at + SAMPLE_MS, DURATION_MS)) {
    await sleep(recorder.clock + at - performance.now());
    if (crashed()) break;
    let memory: ReturnType<typeof memoryOf>;
    try {
      memory = memoryOf(pid);
    } catch {
      break; // the process is gone; its exit is reported as a crash
    }
    const window = recorder.takeWindow();
    const parts = await memoryParts(shared.base, memory).catch(() => null);
    const sample: Sample = {
      seconds: at / 1000,
      rssMiB: memory.rss / MiB,
      hwmMiB: memory.hwm / MiB,
      requestsPerSecond: window.requests / ((at - previous) / 1000),
      non2xx: window.non2xx,
      p50Ms: window.overall.p50,
      p99Ms: window.overall.p99,
      kinds: window.kinds,
      load1: Math.round(loadavg()[0]! * 100) / 100,
      documents: clients.reduce((sum, client) => sum + client.owned.size, 0),
      parts,
    };
    samples.push(sample);
    log(
      `t ${String(sample.seconds).padStart(4)} s: RSS ${fmt(sample.rssMiB)} MiB (peak ${fmt(sample.hwmMiB)}), ${fmt(sample.requestsPerSecond)} req/s, ` +
        `p50 ${fmt(sample.p50Ms)} ms, p99 ${fmt(sample.p99Ms)} ms, non-2xx ${sample.non2xx}, load ${sample.load1}, ${sample.documents.toLocaleString()} docs` +
        (parts ? `, graph backlog ${parts.graphBacklog}, tombstones ${parts.tombstones}` : ''),
    );
    if (at >= DURATION_MS) break;
  }
  return samples;
}

interface ModelCheck {
  matches: boolean;
  modelCount: number;
  listedCount: number;
  countRoute: number;
  infoCount: number;
  pages: number;
  missing: number;
  unexpected: number;
  wrongRev: number;
  uncertain: number;
  examples: string[];
}

/** Pages through documents/list and compares every id and rev with the clients' models; then the counts. */
async function checkModel(base: string, clients: readonly Client[]): Promise<ModelCheck> {
  const stored = new Map<string, number | undefined>();
  let pages = 0;
  for (let after: string | null | undefined; after !== null; pages++) {
    const page: { documents: { id: string; metadata?: { rev?: number } }[]; next: string | null } = await post(
      base, pathOf('/documents/list'), { limit: 10_000, include: ['metadata'], ...(after === undefined ? {} : { after }) },
    );
    for (const document of page.documents) stored.set(document.id, document.metadata?.rev);
    after = page.next;
  }

  const uncertain = new Set(clients.flatMap((client) => [...client.owned.uncertain]));
  const missing: string[] = [];
  const wrongRev: string[] = [];
  let modelCount = 0;
  for (const client of clients) {
    for (const [id, { rev }] of client.owned.entries()) {
      modelCount++;
      if (uncertain.has(id)) continue;
      if (!stored.has(id)) missing.push(id);
      else if (stored.get(id) !== rev) wrongRev.push(`${id} (stored rev ${stored.get(id)}, model ${rev})`);
    }
  }
  const unexpected = [...stored.keys()].filter((id) => !uncertain.has(id) && clients.every((client) => client.owned.revOf(id) === undefined));
  const countRoute = (await post<{ count: number }>(base, pathOf('/count'), {})).count;
  const infoCount = (await collectionInfo(base)).count;
  return {
    matches: missing.length + unexpected.length + wrongRev.length + uncertain.size === 0 && countRoute === modelCount && infoCount === modelCount,
    modelCount,
    listedCount: stored.size,
    countRoute,
    infoCount,
    pages,
    missing: missing.length,
    unexpected: unexpected.length,
    wrongRev: wrongRev.length,
    uncertain: uncertain.size,
    examples: [...missing.slice(0, 5).map((id) => `missing ${id}`), ...unexpected.slice(0, 5).map((id) => `unexpected ${id}`), ...wrongRev.slice(0, 5)],
  };
}

async function plot(samples: readonly Sample[]): Promise<string> {
  const rows = (pick: (s: Sample) => [string, number][]) => samples.flatMap((s) => pick(s).map(([series, y]) => ({ x: s.seconds / 60, y, series })));
  const memory = lineSpec(rows((s) => [['VmRSS', s.rssMiB], ['VmHWM (peak)', s.hwmMiB]]), { title: 'Server memory', xTitle: 'minutes', yTitle: 'MiB' });
  const latency = lineSpec(rows((s) => [['p99', s.p99Ms], ['p50', s.p50Ms]]), {
    title: `Latency of all requests, per ${SAMPLE_MS / 1000} s`, xTitle: 'minutes', yTitle: 'ms (log scale)', yLog: true,
  });
  const spec = {
    title: {
      text: `Soak: ${FLAGS.minutes} min of mixed load, ${FLAGS.docs.toLocaleString()} x ${FLAGS.dim} documents, ${FLAGS.clients} clients`,
      subtitle: `warm-up: the first ${duration(PERIOD_MS)}; p99 compared over periods of ${duration(PERIOD_MS)}`,
    },
    vconcat: [memory, latency],
    resolve: { scale: { color: 'independent' } },
  } as unknown as TopLevelSpec;
  const path = join(RESULTS_DIR, 'soak.svg');
  writeFileSync(path, await renderSvg(spec));
  return relative(REPO_ROOT, path);
}

/** What a run leaves to judge. */
interface Run {
  samples: Sample[];
  recorder: Recorder;
  readMismatches: Shared['readMismatches'];
  model: ModelCheck | null;
  crash: string | null;
  seedSeconds: number;
  shutdown: { exit: string; seconds: number } | null;
}

/** The verdicts of the file comment, and the figures they stand on. */
function judge(run: Run) {
  const { samples, recorder } = run;
  const periods = recorder.periods.map((values, i) => ({
    period: i + 1,
    fromSeconds: (i * PERIOD_MS) / 1000,
    toSeconds: Math.min(DURATION_MS, (i + 1) * PERIOD_MS) / 1000,
    ...latencyOf(values),
  }));
  const kinds = Object.fromEntries(KINDS.map((kind) => [kind, { ...latencyOf(recorder.byKind.get(kind)!), statuses: Object.fromEntries(recorder.statuses.get(kind)!) }]));
  const completed = run.crash === null && samples[samples.length - 1]?.seconds === DURATION_MS / 1000;
  const warmupEnd = PERIOD_MS / 1000;
  const end = DURATION_MS / 1000;
  const span = RSS_SPAN_MS / 1000;
  const within = (from: number, to: number) => samples.filter((s) => s.seconds > from && s.seconds <= to);
  const rssAfterWarmup = median(within(warmupEnd - span, warmupEnd).map((s) => s.rssMiB));
  const rssAtEnd = median(within(end - span, end).map((s) => s.rssMiB));
  const rssGrowth = rssAtEnd / rssAfterWarmup - 1;
  const firstP99 = periods[0]!.p99;
  const worstP99Ratio = Math.max(...periods.slice(1).map((p) => p.p99 / firstP99));
  const failures = recorder.serverErrors + recorder.transportErrors + (run.crash === null ? 0 : 1);
  const { model, readMismatches } = run;
  const targets: Target[] = [
    {
      name: `RSS growth after warm-up (median of the last ${duration(RSS_SPAN_MS)} / of the warm-up's last ${duration(RSS_SPAN_MS)}, - 1)`,
      value: rssGrowth, target: `< ${TARGETS.rssGrowth}`, met: completed && rssGrowth < TARGETS.rssGrowth,
    },
    { name: `worst p99 of a later ${duration(PERIOD_MS)} period / the first period's`, value: worstP99Ratio, target: `<= ${TARGETS.p99Ratio}`, met: completed && worstP99Ratio <= TARGETS.p99Ratio },
    {
      name: 'ids and revs listed that differ from the model of acknowledged writes',
      value: model ? model.missing + model.unexpected + model.wrongRev : Number.NaN, target: '0, and counts = model', met: model?.matches === true,
    },
    { name: 'reads of owned ids that disagree with the model', value: readMismatches.count, target: '0', met: readMismatches.count === 0 },
    { name: '5xx replies, requests without a reply and server exits', value: failures, target: '0', met: completed && failures === 0 },
  ];
  const lastSample = samples[samples.length - 1];
  const memory = {
    rssAfterWarmupMiB: rssAfterWarmup,
    rssAtEndMiB: rssAtEnd,
    rssGrowth,
    rssLowestMiB: Math.min(...samples.map((s) => s.rssMiB)),
    rssHighestMiB: Math.max(...samples.map((s) => s.rssMiB)),
    hwmAtEndMiB: lastSample?.hwmMiB ?? null,
    /** Where the memory was at the end of warm-up and at the end. */
    partsAfterWarmup: within(warmupEnd - SAMPLE_MS / 1000, warmupEnd)[0]?.parts ?? null,
    partsAtEnd: lastSample?.parts ?? null,
  };
  return { completed, periods, kinds, memory, targets };
}

function print(run: Run, verdict: ReturnType<typeof judge>, notable: readonly string[], loadAtStart: number): void {
  const { periods, kinds, memory, targets } = verdict;
  const { recorder, model, shutdown } = run;
  console.log(formatTable(
    `Soak: ${FLAGS.minutes} min, ${FLAGS.docs.toLocaleString()} x ${FLAGS.dim}, ${FLAGS.clients} clients and heavy requests every ${duration(HEAVY_EVERY_MS)}; load ${loadAtStart} at start`,
    ['period', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'p99 / first'],
    periods.map((p) => [`${p.period}: ${p.fromSeconds}-${p.toSeconds} s`, count(p.count), p.count / (p.toSeconds - p.fromSeconds), p.p50, p.p99, p.max, p.p99 / periods[0]!.p99]),
  ));
  console.log(formatTable(
    'Per kind, whole run',
    ['kind', 'requests', 'p50 ms', 'p99 ms', 'max ms', 'replies by status'],
    KINDS.map((kind) => {
      const k = kinds[kind]!;
      return [kind, count(k.count), k.p50, k.p99, k.max, Object.entries(k.statuses).map(([status, n]) => `${status}: ${count(n)}`).join(', ')];
    }),
  ));
  console.log(formatTable('Server memory (MiB)', ['what', 'MiB'], [
    [`VmRSS, median of the warm-up's last ${duration(RSS_SPAN_MS)}`, memory.rssAfterWarmupMiB],
    [`VmRSS, median of the last ${duration(RSS_SPAN_MS)}`, memory.rssAtEndMiB],
    ['VmRSS, lowest sample', memory.rssLowestMiB],
    ['VmRSS, highest sample', memory.rssHighestMiB],
    ['VmHWM at the end', memory.hwmAtEndMiB],
  ]));
  const part = (name: keyof MemoryParts, what: string) => [what, figure(memory.partsAfterWarmup?.[name]), figure(memory.partsAtEnd?.[name])];
  console.log(formatTable(`Where it is: at the end of warm-up (${duration(PERIOD_MS)}) and at the end`, ['part', 'warm-up end', 'end'], [
    part('anonMiB', 'resident anonymous MiB'),
    part('fileMiB', 'resident file-backed MiB'),
    part('heapUsedMiB', 'V8 heap used, main thread, MiB'),
    part('externalMiB', 'V8 external memory, main thread, MiB'),
    part('resultCacheMiB', 'result cache MiB'),
    part('fieldCacheMiB', 'field cache MiB'),
    part('vectorsMiB', 'index vectors MiB'),
    part('graphMiB', 'index graph MiB (estimated)'),
    part('tombstones', 'graph tombstones'),
    part('graphBacklog', 'graph backlog'),
  ]));
  console.log(formatTable('Verdicts', ['check', 'value', 'target', 'met'], targets.map((t) => [t.name, figure(t.value), t.target, t.met ? 'yes' : 'NO'])));
  if (model) {
    console.log(`\nmodel: ${count(model.modelCount)} documents; listed ${count(model.listedCount)} (${model.pages} pages); count route ${count(model.countRoute)}; ` +
      `collection info ${count(model.infoCount)}${model.examples.length > 0 ? `; ${model.examples.join('; ')}` : ''}`);
  }
  console.log(`non-2xx replies: ${recorder.non2xx}; 5xx: ${recorder.serverErrors}; without a reply: ${recorder.transportErrors}; ` +
    `shutdown: ${shutdown ? `${shutdown.exit} after ${fmt(shutdown.seconds)} s` : 'the server was gone'}`);
  if (run.crash) console.log(`server: ${run.crash}`);
  for (const failure of recorder.failures.slice(0, 10)) console.log(`failure at ${failure.atSeconds} s: ${failure.kind}, ${failure.status ?? 'no reply'}: ${failure.message}`);
  for (const example of run.readMismatches.examples.slice(0, 10)) console.log(`read mismatch: ${example}`);
  console.log(`server output at warn or above: ${notable.length} lines${notable.length > 0 ? `, the first: ${notable[0]!.slice(0, 300)}` : ''}`);
}

async function main(): Promise<number> {
  const { log } = createProgress();
  const machine = machineInfo(['fastify', 'hnswlib-node', 'better-sqlite3']);
  log(`soak: ${FLAGS.minutes} min, ${FLAGS.docs.toLocaleString()} documents of dim ${FLAGS.dim}, ${FLAGS.clients} clients, seed ${FLAGS.seed}; ${machine.cores} cores, load ${machine.loadAverage.join(' ')}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const data = mkdtempSync(join(tmpdir(), 'quiver-soak-'));
  const server = await startServer(data, join(RESULTS_DIR, 'soak-server.log'), { QUIVER_RATE_LIMIT_MAX: String(RATE_LIMIT_MAX) });
  const pid = server.child.pid!;
  log(`server: pid ${pid} on ${server.url}, data in ${data}`);
  // An object, not loose variables: the exit handler below writes to it.
  const state = { stopped: false, stopping: false, crash: null as string | null };
  void server.exited.then((exit) => {
    if (!state.stopping) state.crash = `the server exited during the run (${exit})`;
  });

  const recorder = new Recorder();
  const shared: Shared = {
    base: server.url,
    corpus: new Corpus(FLAGS.dim, FLAGS.seed),
    recorder,
    readMismatches: { count: 0, examples: [] },
    stopped: () => state.stopped || state.crash !== null,
  };
  // Client c is seeded with the documents i where i % clients = c, ids c<c>-0, c<c>-1, ...
  const firstNewId = Math.ceil(FLAGS.docs / FLAGS.clients);
  const clients = Array.from({ length: FLAGS.clients }, (_, owner) => new Client(owner, Math.ceil((FLAGS.docs - owner) / FLAGS.clients), firstNewId, shared));

  const run: Run = { samples: [], recorder, readMismatches: shared.readMismatches, model: null, crash: null, seedSeconds: Number.NaN, shutdown: null };
  try {
    await post(server.url, '/collections', { name: COLLECTION, dimension: FLAGS.dim });
    run.seedSeconds = await seed(shared, clients, log);
    log(`seeded in ${fmt(run.seedSeconds)} s; server RSS ${fmt(memoryOf(pid).rss / MiB)} MiB; ${FLAGS.minutes} min of load start now`);
    recorder.start();
    const loops = [...clients.map((client) => client.run()), heavyLoop(shared)];
    run.samples = await sampleLoad(shared, pid, clients, () => state.crash !== null, log);
    state.stopped = true;
    await Promise.all(loops);
    if (state.crash === null) {
      log('load stopped; comparing the store with the model of acknowledged writes');
      run.model = await checkModel(server.url, clients);
    }
  } finally {
    state.stopped = true;
    if (state.crash === null) {
      state.stopping = true;
      run.shutdown = await stopServer(server);
    }
    rmSync(data, { recursive: true, force: true });
  }
  run.crash = state.crash;

  const verdict = judge(run);
  print(run, verdict, server.notable, machine.loadAverage[0]!);
  const file = writeResults('soak.json', {
    benchmark: 'soak',
    machine,
    config: {
      ...FLAGS,
      sampleSeconds: SAMPLE_MS / 1000, periodSeconds: PERIOD_MS / 1000, rssSpanSeconds: RSS_SPAN_MS / 1000,
      heavyEverySeconds: HEAVY_EVERY_MS / 1000, mix: Object.fromEntries(MIX), rateLimitMax: RATE_LIMIT_MAX,
    },
    seeding: { seconds: run.seedSeconds, documents: FLAGS.docs },
    completed: verdict.completed,
    crash: run.crash,
    shutdown: run.shutdown,
    memory: verdict.memory,
    periods: verdict.periods,
    kinds: verdict.kinds,
    samples: run.samples,
    model: run.model,
    readMismatches: run.readMismatches,
    non2xx: recorder.non2xx,
    failures: recorder.failures,
    serverOutput: { log: relative(REPO_ROOT, server.logPath), notableLines: server.notable.length, notable: server.notable.slice(0, 50) },
    targets: verdict.targets,
  });
  const svg = run.samples.length > 0 ? await plot(run.samples) : null;
  log(`wrote ${file}${svg ? `, ${svg}` : ''} and ${relative(REPO_ROOT, server.logPath)}`);
  return verdict.targets.every((t) => t.met) ? 0 : 1;
}

process.exitCode = await main();
