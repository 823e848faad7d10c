/**
 * Fuzz run of the REST server (issue 23, hardening): `npm run bench:fuzz`
 * (or `npx tsx bench/fuzz.bench.ts` after `npm run build`).
 *
 * Flags: --requests=N generated requests (default 12,000), --seed=S (default
 * 1; the same seed sends the same request bodies, bench/fuzz-requests.ts).
 *
 * What it does:
 *   1. Starts the real server, `node dist/cli.js serve`, as a child process on
 *      a free loopback port (bench/lib/server-process.ts) with a temporary data
 *      directory, a read-write and a read-only API key and a 1 MiB body
 *      limit, and watches it: an exit nobody asked for is a crash (reported
 *      with the log's last lines; each start's whole log goes to
 *      bench/results/fuzz-server-<n>.log).
 *   2. Reads every method and path from its OpenAPI document (/openapi.json).
 *   3. Sends N generated requests from concurrent writers at once:
 *      - MIXED_WRITERS writers, valid and malformed requests over every route
 *        (upserts with JSON-array and base64 vectors, text and metadata;
 *        vector, keyword, hybrid, filtered, exact, batch and GET searches;
 *        get, list, count and delete by ids and by filter; collection create,
 *        describe, list, optimize, drop, and small scratch collections with a
 *        few documents, optimized and searched; health, metrics; wrong and
 *        missing keys; broken JSON, wrong types and charsets, empty and
 *        oversized bodies, NaN and strings in vectors, wrong dimensions, bad
 *        base64, lone surrogates, deeply nested filters, unknown operators,
 *        unknown routes and wrong methods). Each writes only its own ids in
 *        the tracked collections and its own scratch collections, and keeps a
 *        model of them from the writes the server acknowledged (2xx); counts
 *        and filtered deletes of its own ids are checked against the model as
 *        they are answered.
 *      - RACE_WRITERS writers hammering one collection (fz-race) with drop,
 *        create, upsert, search, list, count, get, delete and optimize at
 *        random, so drops race searches and writes. Any 2xx or 4xx is fine.
 *      A crash is reported, and the server started again on the same data
 *      (up to MAX_CRASH_RESTARTS times): the requests go on, and writes that
 *      were in flight are left out of the model as uncertain.
 *   4. Checks (after a crash, on the server started again on the same data:
 *      a crash may lose no acknowledged write): the ids, metadata and counts
 *      the server holds in the tracked collections equal the model's; the
 *      collections listed are the ones the model says exist; fz-race holds
 *      only ids some upsert wrote, and after a final create (when absent),
 *      known upserts and deletes, exactly what it should; searches answer;
 *      every scratch collection takes two more documents and a search.
 *   5. Stops the server with SIGTERM (it must exit 0), starts it again on the
 *      same data directory and repeats the checks (no acknowledged write
 *      lost, nothing extra, small collections still writable), then stops it
 *      again (exit 0).
 *
 * Reported: requests per route (with a status histogram), statuses overall,
 * 5xx replies (the first ones, request and reply, in
 * bench/results/fuzz-failures.json, with the server's error log lines),
 * 2xx replies whose hits or documents are malformed (no string id),
 * transport errors, crashes, replies that differ from what the generator
 * expected (2xx for valid, 4xx for malformed: listed, not failures), error
 * replies without the standard body, the consistency checks, load average
 * and duration; everything in bench/results/fuzz.json.
 *
 * Exit code 1 on any 5xx, malformed 2xx reply, crash, transport error,
 * unclean stop or failed restart, error line in the server log (pino level
 * error or fatal, or a plain line reporting a failure, such as 'graph update
 * failed'), route of the OpenAPI document that got no request (or no 2xx),
 * or consistency mismatch.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  MixedGenerator,
  RaceGenerator,
  READ_ONLY_KEY,
  READ_WRITE_KEY,
  Random,
  base64Vector,
  type CollectionSpec,
  type FuzzRequest,
  type Metadata,
  type ModelEvent,
} from './fuzz-requests.js';
import { createProgress, formatTable, machineInfo, RESULTS_DIR, writeResults } from './lib/harness.js';
import { startServer, stopServer, type ServerProcess } from './lib/server-process.js';

const REQUESTS = Number(flag('requests') ?? 12_000);
const SEED = Number(flag('seed') ?? 1);
const MIXED_WRITERS = 4;
const RACE_WRITERS = 8;
/** Share of the generated requests that the race writers send. */
const RACE_SHARE = 0.35;
/** 1 MiB: small enough that oversized bodies stay cheap to send on a shared machine. */
const BODY_LIMIT = 1024 * 1024;
const REQUEST_TIMEOUT_MS = 60_000;
/** Crashes during the generated requests after which the server is started again on the same data and the run goes on. */
const MAX_CRASH_RESTARTS = 3;
/** How many 5xx and transport failures are kept whole for fuzz-failures.json. */
const KEPT_FAILURES = 25;
const KEPT_TEXT = 2_000;
const LIST_PAGE = 1_000;
/** Plain (not JSON) server log lines that count as errors. */
const FAILURE_LINE = /error|fail|abort|double free|corrupt|segmentation/i;
const FINAL_RACE_DOCUMENTS = 200;
const FINAL_RACE_DELETED = 20;

const TRACKED: readonly CollectionSpec[] = [
  { name: 'fz-shared', dimension: 8, metric: 'cosine' },
  { name: 'fz-int8', dimension: 16, metric: 'l2', options: { quantization: 'int8', text: { language: 'zh', cjk: 'both' }, hnsw: { m: 8, segments: 1 } } },
];
const RACE: CollectionSpec = { name: 'fz-race', dimension: 4, metric: 'dot' };

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

function clip(text: string, max = KEPT_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length.toLocaleString()} characters)`;
}

function bodyText(body: string | Uint8Array | undefined): string | undefined {
  if (body === undefined) return undefined;
  return clip(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
}

/** JSON with object keys sorted, so two equal values print alike. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- the server process

/** The server's configuration besides the defaults (bench/lib/server-process.ts passes nothing else on). */
const SERVER_ENV = {
  QUIVER_API_KEY: READ_WRITE_KEY,
  QUIVER_READ_ONLY_KEY: READ_ONLY_KEY,
  // On, so every request goes through the limiter, but far above what this run sends.
  QUIVER_RATE_LIMIT_MAX: '10000000',
  QUIVER_BODY_LIMIT: String(BODY_LIMIT),
};

/** A started server whose exit is watched: an exit nobody asked for is a crash. */
interface Watched {
  server: ServerProcess;
  running: boolean;
  stopping: boolean;
}

async function start(data: string, log: string, onCrash: (watched: Watched, exit: string) => void): Promise<Watched> {
  const watched: Watched = { server: await startServer(data, log, SERVER_ENV), running: true, stopping: false };
  void watched.server.exited.then((exit) => {
    watched.running = false;
    if (!watched.stopping) onCrash(watched, exit);
  });
  return watched;
}

/** SIGTERM (stopServer); clean when the server exits with code 0. */
async function stop(watched: Watched): Promise<{ exit: string; seconds: number; clean: boolean }> {
  if (!watched.running) return { exit: 'had exited already', seconds: 0, clean: false };
  watched.stopping = true;
  const { exit, seconds } = await stopServer(watched.server);
  return { exit, seconds, clean: exit === 'code 0' };
}

/**
 * The server's error lines: pino at level error (50) or fatal (60), with
 * their stacks, and plain lines that report a failure (the database logs
 * to stderr as text: 'graph update failed: ...'; glibc: 'double free detected').
 */
function errorLinesOf(server: ServerProcess): string[] {
  return server.notable.filter((line) => {
    const level = (parseJson(line) as { level?: number } | undefined)?.level;
    return level === undefined ? FAILURE_LINE.test(line) : level >= 50;
  });
}

// ---------------------------------------------------------------- routes

/** The routes of the OpenAPI document, and which of them a request reaches. */
class RouteTable {
  /** `METHOD /path/{param}`, in the document's order. */
  readonly routes: string[] = [];
  readonly #templates: { method: string; template: string; pattern: RegExp; statics: number }[] = [];

  constructor(document: { paths: Record<string, Record<string, unknown>> }) {
    for (const [template, operations] of Object.entries(document.paths)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      const statics = template.split('/').filter((segment) => segment && !segment.startsWith('{')).length;
      for (const method of Object.keys(operations)) {
        this.routes.push(`${method.toUpperCase()} ${template}`);
        this.#templates.push({ method: method.toUpperCase(), template, pattern, statics });
      }
    }
    // Static segments win over parameters, as in the router: /documents/get before /documents/{id}.
    this.#templates.sort((a, b) => b.statics - a.statics);
  }

  keyOf(method: string, url: string): string {
    const path = url.split('?')[0]!;
    const route = this.#templates.find((t) => t.method === method && t.pattern.test(path));
    if (route) return `${method} ${route.template}`;
    if (path === '/openapi.json' || path === '/docs' || path.startsWith('/docs/')) return `${method} ${path === '/openapi.json' ? path : '/docs/*'} (not in the document)`;
    const other = this.#templates.find((t) => t.pattern.test(path));
    if (other) return `${method} ${other.template} (${method === 'HEAD' ? 'implicit HEAD' : 'no such method'})`;
    return `${method} (no route)`;
  }
}

// ---------------------------------------------------------------- replies and their tally

interface Reply {
  /** 0 when no reply came (connection refused or reset, timeout). */
  status: number;
  text: string;
  ms: number;
  error?: string;
}

async function send(url: string, fuzz: FuzzRequest): Promise<Reply> {
  const started = performance.now();
  try {
    const response = await fetch(`${url}${fuzz.path}`, {
      method: fuzz.method,
      headers: fuzz.headers,
      body: fuzz.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    return { status: response.status, text, ms: performance.now() - started };
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return { status: 0, text: '', ms: performance.now() - started, error: `${String(error)}${cause ? ` (${String(cause)})` : ''}` };
  }
}

type Phase = 'fuzz' | 'check';

interface Sample {
  phase: Phase;
  kind: string;
  auth: string;
  expect: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  status: number;
  reply: string;
  error?: string;
  ms: number;
}

function sampleOf(phase: Phase, fuzz: FuzzRequest, reply: Reply): Sample {
  return {
    phase,
    kind: fuzz.kind,
    auth: fuzz.auth,
    expect: fuzz.expect,
    method: fuzz.method,
    path: clip(fuzz.path, 300),
    headers: fuzz.headers,
    body: bodyText(fuzz.body),
    status: reply.status,
    reply: clip(reply.text),
    error: reply.error,
    ms: Math.round(reply.ms * 10) / 10,
  };
}

function expected(fuzz: FuzzRequest, status: number): boolean {
  if (fuzz.expect === 'ok') return status >= 200 && status < 400;
  if (fuzz.expect === 'reject') return status >= 400 && status < 500;
  return status > 0 && status < 500;
}

/** Every error reply is `{ statusCode, code, error, message }` with statusCode equal to the status. */
function standardErrorBody(status: number, text: string): boolean {
  const body = parseJson(text) as Record<string, unknown> | undefined;
  return body !== undefined && body.statusCode === status && typeof body.code === 'string' && typeof body.error === 'string' && typeof body.message === 'string';
}

/**
 * What is wrong with the body of a 2xx reply from a route that returns
 * documents (searches, get, list): every hit needs a string id and a number
 * score, every document a string id. Undefined when nothing is, or for other routes.
 */
function replyProblem(method: string, url: string, status: number, text: string): string | undefined {
  if (status < 200 || status >= 300 || method === 'HEAD') return undefined;
  const path = url.split('?')[0]!;
  const body = parseJson(text) as { hits?: unknown; results?: { hits?: unknown }[]; documents?: unknown; id?: unknown } | undefined;
  const malformed = (items: unknown, what: string, ok: (item: Record<string, unknown>) => boolean): string | undefined => {
    if (!Array.isArray(items)) return `no ${what} array`;
    const bad = (items as Record<string, unknown>[]).filter((item) => item === null || typeof item !== 'object' || !ok(item)).length;
    return bad === 0 ? undefined : `${bad} of ${items.length} ${what} malformed`;
  };
  const hit = (item: Record<string, unknown>) => typeof item.id === 'string' && typeof item.score === 'number';
  const document = (item: Record<string, unknown>) => typeof item.id === 'string';
  if (/^\/collections\/[^/]+\/search$/.test(path)) return malformed(body?.hits, 'hits', hit);
  if (/^\/collections\/[^/]+\/search\/batch$/.test(path)) {
    if (!Array.isArray(body?.results)) return 'no results array';
    return malformed(body.results.flatMap((result) => (Array.isArray(result?.hits) ? result.hits : [null])), 'hits', hit);
  }
  if (method === 'POST' && /^\/collections\/[^/]+\/documents\/(get|list)$/.test(path)) return malformed(body?.documents, 'documents', document);
  if (method === 'GET' && /^\/collections\/[^/]+\/documents\/[^/]+$/.test(path)) return typeof body?.id === 'string' ? undefined : 'document without an id';
  return undefined;
}

function increment<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

class Tally {
  readonly #routes: RouteTable;
  /** Route -> status -> replies, for the generated requests. */
  readonly byRoute = new Map<string, Map<number, number>>();
  /** Generator kind -> status -> replies. */
  readonly byKind = new Map<string, Map<number, number>>();
  readonly byPhase: Record<Phase, Map<number, number>> = { fuzz: new Map(), check: new Map() };
  serverErrors = 0;
  readonly serverErrorSamples: Sample[] = [];
  transportErrors = 0;
  readonly transportSamples: Sample[] = [];
  /** `kind [auth] expected X, got S` -> how many, and the first. */
  readonly unexpected = new Map<string, { count: number; sample: Sample }>();
  nonStandardErrors = 0;
  readonly nonStandardSamples: Sample[] = [];
  /** 2xx replies whose documents or hits are malformed (replyProblem). */
  malformedReplies = 0;
  readonly malformedSamples: (Sample & { problem: string })[] = [];

  constructor(routes: RouteTable) {
    this.#routes = routes;
  }

  record(phase: Phase, fuzz: FuzzRequest, reply: Reply): void {
    increment(this.byPhase[phase], reply.status);
    if (phase === 'fuzz') {
      const route = this.#routes.keyOf(fuzz.method, fuzz.path);
      if (!this.byRoute.has(route)) this.byRoute.set(route, new Map());
      increment(this.byRoute.get(route)!, reply.status);
      if (!this.byKind.has(fuzz.kind)) this.byKind.set(fuzz.kind, new Map());
      increment(this.byKind.get(fuzz.kind)!, reply.status);
    }
    if (reply.status >= 500) {
      this.serverErrors++;
      if (this.serverErrorSamples.length < KEPT_FAILURES) this.serverErrorSamples.push(sampleOf(phase, fuzz, reply));
    } else if (reply.status === 0) {
      this.transportErrors++;
      if (this.transportSamples.length < KEPT_FAILURES) this.transportSamples.push(sampleOf(phase, fuzz, reply));
    } else if (!expected(fuzz, reply.status)) {
      const key = `${fuzz.kind} [${fuzz.auth}] expected ${fuzz.expect}, got ${reply.status}`;
      const entry = this.unexpected.get(key);
      if (entry) entry.count++;
      else this.unexpected.set(key, { count: 1, sample: sampleOf(phase, fuzz, reply) });
    }
    const problem = replyProblem(fuzz.method, fuzz.path, reply.status, reply.text);
    if (problem !== undefined) {
      this.malformedReplies++;
      if (this.malformedSamples.length < KEPT_FAILURES) this.malformedSamples.push({ ...sampleOf(phase, fuzz, reply), problem });
    }
    if (reply.status >= 400 && fuzz.method !== 'HEAD' && !standardErrorBody(reply.status, reply.text)) {
      this.nonStandardErrors++;
      if (this.nonStandardSamples.length < 10) this.nonStandardSamples.push(sampleOf(phase, fuzz, reply));
    }
  }
}

// ---------------------------------------------------------------- the model

/** A reply that contradicted the model as it came (a count or a filtered delete of a writer's own ids). */
interface Mismatch {
  kind: string;
  collection: string;
  filter: unknown;
  expected: number;
  actual: unknown;
}

/**
 * What the server must hold, from acknowledged writes only. Each mixed
 * writer touches only its own ids and scratch collections and waits for
 * each reply before its next request, so applying its events in reply
 * order is applying them in the server's order. A write answered with no
 * reply or a 5xx may or may not have happened: what it touched is
 * uncertain, and the checks leave it out (and say how much).
 */
class Model {
  /** Tracked collection -> id -> metadata. */
  readonly documents = new Map<string, Map<string, Metadata>>();
  /** Scratch collections that exist, with their dimension. */
  readonly scratch = new Map<string, number>();
  /** Every id an acknowledged upsert wrote to fz-race. */
  readonly raceWritten = new Set<string>();
  /** Tracked collection -> ids whose last write has an unknown outcome. */
  readonly uncertain = new Map<string, Set<string>>();
  readonly uncertainCollections = new Set<string>();
  /** fz-race ids sent in upserts with an unknown outcome. */
  readonly raceUncertain = new Set<string>();
  readonly mismatches: Mismatch[] = [];

  constructor(tracked: readonly CollectionSpec[]) {
    for (const spec of tracked) {
      this.documents.set(spec.name, new Map());
      this.uncertain.set(spec.name, new Set());
    }
  }

  hasDocument(collection: string, id: string): boolean {
    return this.documents.get(collection)?.has(id) ?? false;
  }

  hasCollection(name: string): boolean {
    return this.documents.has(name) || this.scratch.has(name);
  }

  /** The owner's documents in `collection` that `matches` selects. */
  #selected(collection: string, owner: number, matches: (metadata: Metadata) => boolean): string[] {
    const selected: string[] = [];
    for (const [id, metadata] of this.documents.get(collection) ?? []) if (metadata.owner === owner && matches(metadata)) selected.push(id);
    return selected;
  }

  apply(event: ModelEvent, replyText: string): void {
    const reply = parseJson(replyText) as { count?: unknown; deleted?: unknown } | undefined;
    switch (event.type) {
      case 'upsert': {
        const documents = this.documents.get(event.collection)!;
        for (const { id, metadata } of event.documents) documents.set(id, metadata);
        return;
      }
      case 'delete':
        for (const id of event.ids) this.documents.get(event.collection)!.delete(id);
        return;
      case 'delete-where': {
        const selected = this.#selected(event.collection, event.owner, event.selection.matches);
        for (const id of selected) this.documents.get(event.collection)!.delete(id);
        if (reply?.deleted !== selected.length) this.#mismatch('delete-where', event.collection, event.selection.filter, selected.length, reply?.deleted);
        return;
      }
      case 'count-where': {
        const selected = this.#selected(event.collection, event.owner, event.selection.matches);
        if (reply?.count !== selected.length) this.#mismatch('count-where', event.collection, event.selection.filter, selected.length, reply?.count);
        return;
      }
      case 'create':
        this.scratch.set(event.name, event.dimension);
        return;
      case 'drop':
        this.scratch.delete(event.name);
        return;
      case 'race-upsert':
        for (const id of event.ids) this.raceWritten.add(id);
        return;
    }
  }

  /** A write whose outcome is unknown (no reply, or a 5xx): what it may have changed. */
  applyUnknown(event: ModelEvent): void {
    switch (event.type) {
      case 'upsert':
        for (const { id } of event.documents) this.uncertain.get(event.collection)!.add(id);
        return;
      case 'delete':
        for (const id of event.ids) this.uncertain.get(event.collection)!.add(id);
        return;
      case 'delete-where':
        for (const id of this.#selected(event.collection, event.owner, event.selection.matches)) this.uncertain.get(event.collection)!.add(id);
        return;
      case 'create':
      case 'drop':
        this.uncertainCollections.add(event.name);
        return;
      case 'race-upsert':
        for (const id of event.ids) this.raceUncertain.add(id);
        return;
      case 'count-where':
        return;
    }
  }

  #mismatch(kind: string, collection: string, filter: unknown, expected: number, actual: unknown): void {
    if (this.mismatches.length < 1000) this.mismatches.push({ kind, collection, filter, expected, actual });
  }
}

// ---------------------------------------------------------------- checks

interface Check {
  stage: string;
  name: string;
  ok: boolean;
  detail: string;
}

/** Requests the checks send (read-write key), tallied as the `check` phase. */
class CheckClient {
  readonly #server: ServerProcess;
  readonly #tally: Tally;

  constructor(server: ServerProcess, tally: Tally) {
    this.#server = server;
    this.#tally = tally;
  }

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }> {
    const fuzz: FuzzRequest = {
      kind: `check ${method} ${path.split('?')[0]}`,
      method,
      path,
      headers: { 'x-api-key': READ_WRITE_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      auth: 'read-write',
      expect: 'any',
    };
    const reply = await send(this.#server.url, fuzz);
    this.#tally.record('check', fuzz, reply);
    return { status: reply.status, json: parseJson(reply.text), text: reply.text };
  }

  /** Every document of a collection, id -> metadata, a page at a time; undefined when a page failed. */
  async listAll(collection: string): Promise<Map<string, Metadata> | undefined> {
    const documents = new Map<string, Metadata>();
    let after: string | null = null;
    do {
      const page = await this.call('POST', `/collections/${collection}/documents/list`, { limit: LIST_PAGE, include: ['metadata'], ...(after === null ? {} : { after }) });
      if (page.status !== 200) return undefined;
      const json = page.json as { documents: { id: string; metadata?: Metadata }[]; next: string | null };
      for (const document of json.documents) documents.set(document.id, document.metadata ?? {});
      after = json.next;
    } while (after !== null);
    return documents;
  }

  async count(collection: string): Promise<number | undefined> {
    const reply = await this.call('POST', `/collections/${collection}/count`, {});
    return reply.status === 200 ? (reply.json as { count: number }).count : undefined;
  }

  async info(collection: string): Promise<{ status: number; info: { count?: number; state?: string } }> {
    const reply = await this.call('GET', `/collections/${collection}`);
    return { status: reply.status, info: (reply.json ?? {}) as { count?: number; state?: string } };
  }
}

function examples(items: readonly string[], count = 5): string {
  return items.length === 0 ? '' : ` (e.g. ${items.slice(0, count).map((item) => JSON.stringify(clip(item, 60))).join(', ')})`;
}

/** A listed set of ids against the expected one, leaving out `uncertain` ones: missing, extra, and the detail line. */
function compareIds(expectedIds: Iterable<string>, listed: ReadonlyMap<string, unknown>, uncertain: ReadonlySet<string> = new Set()): { ok: boolean; detail: string } {
  const expectedSet = new Set(expectedIds);
  const missing = [...expectedSet].filter((id) => !listed.has(id) && !uncertain.has(id));
  const extra = [...listed.keys()].filter((id) => !expectedSet.has(id) && !uncertain.has(id));
  return {
    ok: missing.length === 0 && extra.length === 0,
    detail:
      `${expectedSet.size} expected, ${listed.size} listed; ${missing.length} missing${examples(missing)}, ${extra.length} extra${examples(extra)}` +
      (uncertain.size > 0 ? `; ${uncertain.size} uncertain (no reply or a 5xx) left out` : ''),
  };
}

/** The tracked collections hold exactly the model's ids and metadata, and say so in their counts. */
async function checkTracked(client: CheckClient, model: Model, stage: string, checks: Check[]): Promise<void> {
  for (const spec of TRACKED) {
    const expectedDocuments = model.documents.get(spec.name)!;
    const listed = await client.listAll(spec.name);
    if (!listed) {
      checks.push({ stage, name: `${spec.name}: list`, ok: false, detail: 'documents/list failed' });
      continue;
    }
    const uncertain = model.uncertain.get(spec.name)!;
    const ids = compareIds(expectedDocuments.keys(), listed, uncertain);
    checks.push({ stage, name: `${spec.name}: ids`, ...ids });
    const differing = [...expectedDocuments]
      .filter(([id, metadata]) => listed.has(id) && !uncertain.has(id) && canonical(listed.get(id)) !== canonical(metadata))
      .map(([id]) => id);
    checks.push({ stage, name: `${spec.name}: metadata`, ok: differing.length === 0, detail: `${differing.length} of ${expectedDocuments.size} differ${examples(differing)}` });
    const count = await client.count(spec.name);
    const { info } = await client.info(spec.name);
    // With uncertain ids the model's size is not exact; the count must still be what the list shows.
    const countOk = uncertain.size === 0 ? count === expectedDocuments.size : count === listed.size;
    checks.push({
      stage,
      name: `${spec.name}: count route and info`,
      ok: countOk && info.count === count && info.state === 'ready',
      detail: `model ${expectedDocuments.size}, listed ${listed.size}, count ${count}, info.count ${info.count}, state ${info.state}`,
    });
  }
}

async function checkCollections(client: CheckClient, model: Model, stage: string, checks: Check[]): Promise<void> {
  const expectedNames = [...TRACKED.map((spec) => spec.name), RACE.name, ...model.scratch.keys()];
  const reply = await client.call('GET', '/collections');
  const listed = new Map(((reply.json as { collections?: { name: string; state: string }[] })?.collections ?? []).map((c) => [c.name, c.state]));
  const names = compareIds(expectedNames, listed, model.uncertainCollections);
  checks.push({ stage, name: 'collections listed', ok: reply.status === 200 && names.ok, detail: names.detail });
  const notReady = [...listed].filter(([, state]) => state !== 'ready').map(([name, state]) => `${name}: ${state}`);
  checks.push({ stage, name: 'collections ready', ok: notReady.length === 0, detail: `${notReady.length} not ready${examples(notReady)}` });
}

/**
 * After the race: whatever fz-race holds must be self-consistent and come
 * from acknowledged upserts; then a final create (when absent), known
 * upserts and deletes make its content exact. Returns the ids it must hold.
 */
async function settleRace(client: CheckClient, model: Model, checks: Check[]): Promise<Set<string>> {
  const stage = 'after the race';
  const expectedIds = new Set<string>();
  const { status } = await client.info(RACE.name);
  if (status === 200) {
    const listed = await client.listAll(RACE.name);
    const count = await client.count(RACE.name);
    const { info } = await client.info(RACE.name);
    const leftovers = [...(listed?.keys() ?? [])];
    const foreign = leftovers.filter((id) => !model.raceWritten.has(id) && !model.raceUncertain.has(id));
    checks.push({
      stage,
      name: `${RACE.name}: left as the race left it`,
      ok: listed !== undefined && count === leftovers.length && info.count === leftovers.length && foreign.length === 0,
      detail: `${leftovers.length} listed, count ${count}, info.count ${info.count}; ${foreign.length} never sent in an upsert that was acknowledged or left unanswered${examples(foreign)}`,
    });
    for (const id of leftovers) expectedIds.add(id);
  } else {
    const created = await client.call('POST', '/collections', { name: RACE.name, dimension: RACE.dimension, metric: RACE.metric });
    checks.push({ stage, name: `${RACE.name}: final create`, ok: created.status === 201, detail: `status ${created.status}` });
  }
  const r = new Random(SEED ^ 0x5eed);
  const finalIds = Array.from({ length: FINAL_RACE_DOCUMENTS }, (_, i) => `final-${i}`);
  for (let start = 0; start < finalIds.length; start += 100) {
    const documents = finalIds.slice(start, start + 100).map((id, i) => {
      const vector = Array.from({ length: RACE.dimension }, () => r.float() * 2 - 1);
      return { id, vector: i % 2 === 0 ? vector : base64Vector(vector), text: `final document ${id}`, metadata: { final: true } };
    });
    const upserted = await client.call('POST', `/collections/${RACE.name}/documents`, { documents });
    checks.push({ stage, name: `${RACE.name}: final upsert ${start / 100 + 1}`, ok: upserted.status === 200, detail: `status ${upserted.status}` });
  }
  const deleted = await client.call('POST', `/collections/${RACE.name}/documents/delete`, { ids: finalIds.slice(0, FINAL_RACE_DELETED) });
  checks.push({ stage, name: `${RACE.name}: final delete`, ok: deleted.status === 200, detail: `status ${deleted.status}` });
  for (const id of finalIds.slice(FINAL_RACE_DELETED)) expectedIds.add(id);
  await checkRace(client, expectedIds, stage, checks);
  return expectedIds;
}

async function checkRace(client: CheckClient, expectedIds: ReadonlySet<string>, stage: string, checks: Check[]): Promise<void> {
  const listed = await client.listAll(RACE.name);
  const count = await client.count(RACE.name);
  const ids = listed ? compareIds(expectedIds, listed) : { ok: false, detail: 'documents/list failed' };
  checks.push({ stage, name: `${RACE.name}: ids`, ok: ids.ok && count === expectedIds.size, detail: `${ids.detail}; count ${count}` });
}

/**
 * Two documents and a search for every scratch collection: small
 * collections (some of whose graph segments may be empty, after an optimize
 * or a restart) still take writes, and the server survives them.
 */
async function checkScratchWrites(client: CheckClient, model: Model, stage: string, checks: Check[]): Promise<void> {
  const r = new Random(SEED ^ 0xabc);
  const failed: string[] = [];
  for (const [name, dimension] of model.scratch) {
    if (model.uncertainCollections.has(name)) continue;
    const vector = () => Array.from({ length: dimension }, () => r.float() * 2 - 1);
    const documents = [0, 1].map((i) => ({ id: `${stage.replace(/\W+/g, '-')}-${i}`, vector: vector() }));
    const upserted = await client.call('POST', `/collections/${name}/documents`, { documents });
    if (upserted.status !== 200) failed.push(`upsert ${name}: ${upserted.status}`);
    const searched = await client.call('POST', `/collections/${name}/search`, { vector: vector(), k: 3 });
    if (searched.status !== 200) failed.push(`search ${name}: ${searched.status}`);
  }
  checks.push({ stage, name: 'scratch collections take writes', ok: failed.length === 0, detail: `${model.scratch.size} collections, ${failed.length} failed${examples(failed)}` });
}

/** A few plain searches per collection: after all this, the server still answers them. */
async function checkSearches(client: CheckClient, stage: string, checks: Check[]): Promise<void> {
  const r = new Random(SEED ^ 0xc0ffee);
  const failed: string[] = [];
  for (const spec of [...TRACKED, RACE]) {
    const vector = Array.from({ length: spec.dimension }, () => r.float() * 2 - 1);
    const searches: [string, string, unknown?][] = [
      ['POST', `/collections/${spec.name}/search`, { vector, k: 10 }],
      ['POST', `/collections/${spec.name}/search`, { vector: base64Vector(vector), text: 'vector search', k: 5, exact: true }],
      ['POST', `/collections/${spec.name}/search`, { text: 'final document', k: 5 }],
      ['GET', `/collections/${spec.name}/search?vector=${encodeURIComponent(base64Vector(vector))}&k=3`],
    ];
    for (const [method, path, body] of searches) {
      const reply = await client.call(method, path, body);
      if (reply.status !== 200) failed.push(`${method} ${path.split('?')[0]}: ${reply.status}`);
    }
  }
  checks.push({ stage, name: 'searches answer', ok: failed.length === 0, detail: `${failed.length} failed${examples(failed)}` });
}

// ---------------------------------------------------------------- the run

/** A count as text: the harness's fmt prints numbers with decimals (1.00), which counts are not. */
function countText(value: number): string {
  return value.toLocaleString('en-US');
}

function histogram(statuses: ReadonlyMap<number, number>): string {
  return [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status === 0 ? 'none' : status}:${n}`).join(' ');
}

function sum(statuses: ReadonlyMap<number, number>, from = 0, to = 1000): number {
  let total = 0;
  for (const [status, n] of statuses) if (status >= from && status < to) total += n;
  return total;
}

/** Splits `total` into `parts` near-equal integers. */
function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

interface Crash {
  stage: string;
  exit: string;
  /** The server's last notable log lines (warnings, errors, plain text); the whole log is at `log`. */
  tail: string;
  log: string;
}

async function main(): Promise<void> {
  if (!Number.isInteger(REQUESTS) || REQUESTS < 1 || !Number.isInteger(SEED)) throw new Error(`usage: fuzz.bench.ts [--requests=N] [--seed=S] (got --requests=${flag('requests')}, --seed=${flag('seed')})`);
  const progress = createProgress();
  const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  const data = mkdtempSync(join(tmpdir(), 'quiver-fuzz-'));
  // The server logs go there from the start (writeResults makes it only for the JSON, at the end).
  mkdirSync(RESULTS_DIR, { recursive: true });
  const crashes: Crash[] = [];
  const checks: Check[] = [];
  const stops: { stage: string; exit: string; seconds: number; clean: boolean }[] = [];
  let stage = 'start';
  /** The server requests go to; after a crash during the generated requests, its successor. */
  let current: Watched | undefined;
  /** Set by a crash during the generated requests: resolves once the server listens again (false: it did not start). */
  let recovery: Promise<boolean> | undefined;
  const onCrash = (crashed: Watched, exit: string) => {
    crashes.push({ stage, exit, tail: crashed.server.notable.slice(-15).join('\n'), log: crashed.server.logPath });
    progress.log(`the server exited during '${stage}' (${exit}); its log: ${crashed.server.logPath}`);
    if (stage !== 'fuzz' || crashes.length > MAX_CRASH_RESTARTS) return;
    progress.log('restarting it on the same data; the run goes on');
    recovery = restart('restart during the run').then((next) => {
      stage = 'fuzz';
      if (next) current = next;
      return next !== undefined;
    });
  };
  const servers: Watched[] = [];
  const startFailures: { stage: string; error: string }[] = [];
  /** The server on the data directory, or undefined when it does not start (a failure). */
  const restart = async (why: string): Promise<Watched | undefined> => {
    stage = why;
    try {
      const next = await start(data, join(RESULTS_DIR, `fuzz-server-${servers.length + 1}.log`), onCrash);
      servers.push(next);
      return next;
    } catch (error) {
      startFailures.push({ stage: why, error: String(error) });
      progress.log(`the server did not start (${why})`);
      return undefined;
    }
  };

  progress.log(`fuzz: ${REQUESTS.toLocaleString()} requests, seed ${SEED}, ${MIXED_WRITERS} mixed and ${RACE_WRITERS} race writers; data in ${data}; ${cpus().length} cores, load ${loadAtStart.join(' ')}`);
  current = await restart('start');
  if (!current) throw new Error(`the server did not start: ${startFailures[0]?.error}`);
  const server = current.server;
  progress.log(`server on ${server.url}`);
  const openapi = await fetch(`${server.url}/openapi.json`, { headers: { 'x-api-key': READ_ONLY_KEY } });
  if (openapi.status !== 200) throw new Error(`GET /openapi.json answered ${openapi.status}`);
  const routes = new RouteTable((await openapi.json()) as { paths: Record<string, Record<string, unknown>> });
  progress.log(`${routes.routes.length} routes in the OpenAPI document`);
  const tally = new Tally(routes);
  const model = new Model(TRACKED);
  let client = new CheckClient(server, tally);

  stage = 'setup';
  for (const spec of [...TRACKED, RACE]) {
    const created = await client.call('POST', '/collections', { name: spec.name, dimension: spec.dimension, metric: spec.metric, ...spec.options });
    if (created.status !== 201) throw new Error(`creating ${spec.name} answered ${created.status}: ${created.text}`);
  }

  stage = 'fuzz';
  const fuzzStarted = performance.now();
  let sent = 0;
  let nextReport = Math.ceil(REQUESTS / 10);
  /** Whether there is a server to send to, once a restart in progress is done. */
  const serving = async (): Promise<boolean> => {
    if (current?.running) return true;
    if (recovery === undefined || !(await recovery)) return false;
    return current?.running ?? false;
  };
  const run = async (next: () => FuzzRequest, quota: number) => {
    for (let i = 0; i < quota && (await serving()); i++) {
      const fuzz = next();
      const target = current!;
      const reply = await send(target.server.url, fuzz);
      tally.record('fuzz', fuzz, reply);
      if (fuzz.model && reply.status >= 200 && reply.status < 300) model.apply(fuzz.model, reply.text);
      else if (fuzz.model && (reply.status === 0 || reply.status >= 500)) model.applyUnknown(fuzz.model);
      if (++sent >= nextReport) {
        progress.log(`${sent.toLocaleString()} / ${REQUESTS.toLocaleString()} requests, ${tally.serverErrors} 5xx, ${tally.transportErrors} without a reply`);
        nextReport += Math.ceil(REQUESTS / 10);
      }
      // A reset connection usually comes before the exit is seen: wait for it briefly, so the next request finds the restart.
      if (reply.status === 0) await Promise.race([target.server.exited, delay(1000)]);
    }
  };
  const raceTotal = Math.round(REQUESTS * RACE_SHARE);
  const mixed = shares(REQUESTS - raceTotal, MIXED_WRITERS).map((quota, writer) => {
    const generator = new MixedGenerator(new Random(SEED * 1_000_003 + writer), writer, TRACKED, RACE, model);
    return run(() => generator.next(), quota);
  });
  const race = shares(raceTotal, RACE_WRITERS).map((quota, writer) => {
    const generator = new RaceGenerator(new Random(SEED * 1_000_003 + 1000 + writer), writer, RACE);
    return run(() => generator.next(), quota);
  });
  await Promise.all([...mixed, ...race]);
  const fuzzSeconds = (performance.now() - fuzzStarted) / 1000;
  progress.log(`${sent.toLocaleString()} requests in ${fuzzSeconds.toFixed(1)} s; checking`);

  await recovery;
  if (!current?.running) {
    progress.log('restarting on the same data after the crash: no acknowledged write may be lost');
    current = await restart('restart after the crash');
  }
  let raceIds = new Set<string>();
  if (current) {
    stage = 'checks';
    client = new CheckClient(current.server, tally);
    raceIds = await settleRace(client, model, checks);
    await checkTracked(client, model, 'after the run', checks);
    await checkCollections(client, model, 'after the run', checks);
    await checkSearches(client, 'after the run', checks);
    await checkScratchWrites(client, model, 'after the run', checks);
    const stopped = await stop(current);
    stops.push({ stage: 'stop after the checks', ...stopped });
    progress.log(`stopped (${stopped.exit}, ${stopped.seconds.toFixed(1)} s); restarting on the same data`);
    current = await restart('restart');
  }
  if (current) {
    stage = 'checks after restart';
    client = new CheckClient(current.server, tally);
    await checkTracked(client, model, 'after restart', checks);
    await checkRace(client, raceIds, 'after restart', checks);
    await checkCollections(client, model, 'after restart', checks);
    await checkSearches(client, 'after restart', checks);
    await checkScratchWrites(client, model, 'after restart', checks);
    stage = 'final stop';
    stops.push({ stage: 'final stop', ...(await stop(current)) });
  }
  const errorLines = servers.flatMap((watched) => errorLinesOf(watched.server));

  const serverLogs = servers.map((watched) => watched.server.logPath);
  report({ tally, routes, model, checks, crashes, stops, startFailures, errorLines, serverLogs, raceIds, fuzzSeconds, loadAtStart, elapsed: progress.elapsedMs() / 1000 });
  if (process.exitCode !== 1) rmSync(data, { recursive: true, force: true });
  else progress.log(`data directory kept for inspection: ${data}`);
}

interface RunResult {
  tally: Tally;
  routes: RouteTable;
  model: Model;
  checks: Check[];
  crashes: Crash[];
  stops: { stage: string; exit: string; seconds: number; clean: boolean }[];
  startFailures: { stage: string; error: string }[];
  errorLines: string[];
  serverLogs: string[];
  raceIds: Set<string>;
  fuzzSeconds: number;
  loadAtStart: number[];
  elapsed: number;
}

function report(result: RunResult): void {
  const { tally, routes, model, checks, crashes, stops, startFailures, errorLines, fuzzSeconds, loadAtStart, elapsed } = result;
  const loadAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  const fuzz = tally.byPhase.fuzz;
  const check = tally.byPhase.check;

  const routeRows = routes.routes.map((route) => {
    const statuses = tally.byRoute.get(route) ?? new Map<number, number>();
    return { route, requests: sum(statuses), ok: sum(statuses, 200, 300), client: sum(statuses, 400, 500), server: sum(statuses, 500), statuses };
  });
  const otherRows = [...tally.byRoute].filter(([route]) => !routes.routes.includes(route)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([route, statuses]) => ({
    route, requests: sum(statuses), ok: sum(statuses, 200, 300), client: sum(statuses, 400, 500), server: sum(statuses, 500), statuses,
  }));
  const uncovered = routeRows.filter((row) => row.requests === 0 || row.ok === 0).map((row) => `${row.route} (${row.requests} requests, ${row.ok} 2xx)`);
  const unclean = stops.filter((stop) => !stop.clean);
  const failedChecks = checks.filter((c) => !c.ok);

  const reasons: string[] = [];
  if (tally.serverErrors > 0) reasons.push(`${tally.serverErrors} replies of 5xx`);
  if (tally.transportErrors > 0) reasons.push(`${tally.transportErrors} requests without a reply`);
  if (tally.malformedReplies > 0) reasons.push(`${tally.malformedReplies} 2xx replies with malformed hits or documents`);
  if (crashes.length > 0) reasons.push(`${crashes.length} server crashes`);
  if (unclean.length > 0) reasons.push(`${unclean.length} unclean stops`);
  if (startFailures.length > 0) reasons.push(`${startFailures.length} failed restarts`);
  if (uncovered.length > 0) reasons.push(`${uncovered.length} routes without requests or without a 2xx`);
  if (errorLines.length > 0) reasons.push(`${errorLines.length} error lines in the server log`);
  if (model.mismatches.length > 0) reasons.push(`${model.mismatches.length} counts or filtered deletes that contradicted the model`);
  if (failedChecks.length > 0) reasons.push(`${failedChecks.length} consistency checks failed`);
  const passed = reasons.length === 0;

  console.log(formatTable(
    `Fuzz: ${REQUESTS.toLocaleString()} generated requests, seed ${SEED}, ${MIXED_WRITERS} mixed + ${RACE_WRITERS} race writers; ${cpus().length} cores, load ${loadAtStart.join(' ')} at start, ${loadAtEnd.join(' ')} at end`,
    ['route (OpenAPI)', 'requests', '2xx', '4xx', '5xx', 'statuses'],
    routeRows.map((row) => [row.route, countText(row.requests), countText(row.ok), countText(row.client), countText(row.server), histogram(row.statuses)]),
  ));
  console.log(formatTable('Other requests (routes outside the document, wrong methods, unknown paths)', ['request', 'requests', '2xx', '4xx', '5xx', 'statuses'],
    otherRows.map((row) => [row.route, countText(row.requests), countText(row.ok), countText(row.client), countText(row.server), histogram(row.statuses)])));
  const unexpectedRows = [...tally.unexpected].sort(([, a], [, b]) => b.count - a.count);
  if (unexpectedRows.length > 0) {
    console.log(formatTable('Replies other than the generator expected (not failures; first example in fuzz-failures.json)', ['request kind [key] expectation', 'count'],
      unexpectedRows.map(([key, unexpected]) => [key, countText(unexpected.count)])));
  }
  for (const crash of crashes) {
    console.log(`\nServer crash during '${crash.stage}' (${crash.exit}); the last notable lines of ${crash.log}:\n${crash.tail}`);
  }
  if (errorLines.length > 0) {
    console.log(`\nServer log errors (${errorLines.length}; all in fuzz-failures.json), the first:\n${errorLines.slice(0, 5).map((line) => clip(line, 400)).join('\n')}`);
  }
  const failures = [...tally.serverErrorSamples, ...tally.malformedSamples, ...tally.transportSamples].slice(0, 10);
  if (failures.length > 0) {
    console.log(formatTable('First 5xx replies, malformed 2xx replies and requests without a reply (all kept: fuzz-failures.json)', ['kind', 'request', 'status', 'reply or error'],
      failures.map((f) => [f.kind, clip(`${f.method} ${f.path}`, 70), f.status === 0 ? 'none' : String(f.status), clip('problem' in f ? `${String(f.problem)}: ${f.reply}` : (f.error ?? f.reply), 90)])));
  }
  console.log(formatTable('Consistency', ['stage', 'check', 'ok', 'detail'], checks.map((c) => [c.stage, c.name, c.ok ? 'yes' : 'NO', c.detail])));
  console.log(formatTable('Summary', ['measure', 'value'], [
    ['generated requests', countText(sum(fuzz))],
    ['check requests (setup, checks, restart)', countText(sum(check))],
    ['statuses, generated', histogram(fuzz)],
    ['statuses, checks', histogram(check)],
    ['5xx replies', countText(tally.serverErrors)],
    ['requests without a reply', countText(tally.transportErrors)],
    ['2xx replies with malformed hits or documents', countText(tally.malformedReplies)],
    ['server crashes', countText(crashes.length)],
    ['clean stops (SIGTERM, exit 0)', `${stops.length - unclean.length} of ${stops.length}`],
    ['failed restarts', countText(startFailures.length)],
    ['server error log lines', countText(errorLines.length)],
    ['routes covered (requests and a 2xx)', `${routeRows.length - uncovered.length} of ${routeRows.length}`],
    ['online model mismatches', countText(model.mismatches.length)],
    ['consistency checks passed', `${checks.length - failedChecks.length} of ${checks.length}`],
    ['unexpected (non-5xx) replies', countText([...tally.unexpected.values()].reduce((n, u) => n + u.count, 0))],
    ['error replies without the standard body', countText(tally.nonStandardErrors)],
    ['fuzz phase seconds', fuzzSeconds.toFixed(1)],
    ['requests/s in the fuzz phase', countText(Math.round(sum(fuzz) / fuzzSeconds))],
    ['total seconds', elapsed.toFixed(1)],
    ['verdict', passed ? 'PASS' : `FAIL: ${reasons.join('; ')}`],
  ]));

  const failuresPath = writeResults('fuzz-failures.json', {
    benchmark: 'fuzz',
    seed: SEED,
    requests: REQUESTS,
    serverErrors: { count: tally.serverErrors, first: tally.serverErrorSamples },
    transportErrors: { count: tally.transportErrors, first: tally.transportSamples },
    malformedReplies: { count: tally.malformedReplies, first: tally.malformedSamples },
    serverErrorLog: errorLines,
    crashes,
    uncleanStops: unclean,
    startFailures,
    uncoveredRoutes: uncovered,
    modelMismatches: model.mismatches,
    failedChecks,
    unexpected: unexpectedRows.map(([key, { count, sample }]) => ({ key, count, first: sample })),
    nonStandardErrorBodies: { count: tally.nonStandardErrors, first: tally.nonStandardSamples },
  });
  const toObject = (statuses: ReadonlyMap<number, number>) => Object.fromEntries([...statuses].sort(([a], [b]) => a - b));
  const path = writeResults('fuzz.json', {
    benchmark: 'fuzz',
    machine: machineInfo(['fastify', '@fastify/rate-limit', '@fastify/swagger', 'better-sqlite3', 'hnswlib-node']),
    runtimeSeconds: elapsed,
    settings: {
      requests: REQUESTS,
      seed: SEED,
      mixedWriters: MIXED_WRITERS,
      raceWriters: RACE_WRITERS,
      raceShare: RACE_SHARE,
      bodyLimit: BODY_LIMIT,
      tracked: TRACKED,
      race: RACE,
      server: 'node dist/cli.js serve on 127.0.0.1, port 0, a temporary data directory, API keys (read-write and read-only), rate limit 10,000,000 a minute (bench/lib/server-process.ts)',
      serverLogs: result.serverLogs,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadAtEnd,
    },
    totals: {
      generated: sum(fuzz),
      checks: sum(check),
      statusesGenerated: toObject(fuzz),
      statusesChecks: toObject(check),
      serverErrors: tally.serverErrors,
      transportErrors: tally.transportErrors,
      malformedReplies: tally.malformedReplies,
      crashes: crashes.length,
      uncleanStops: unclean.length,
      startFailures: startFailures.length,
      serverErrorLogLines: errorLines.length,
      modelMismatches: model.mismatches.length,
      unexpected: [...tally.unexpected.values()].reduce((n, u) => n + u.count, 0),
      nonStandardErrorBodies: tally.nonStandardErrors,
      fuzzSeconds,
      requestsPerSecond: sum(fuzz) / fuzzSeconds,
    },
    routes: routeRows.map((row) => ({ route: row.route, requests: row.requests, statuses: toObject(row.statuses) })),
    otherRequests: otherRows.map((row) => ({ request: row.route, requests: row.requests, statuses: toObject(row.statuses) })),
    kinds: Object.fromEntries([...tally.byKind].sort(([a], [b]) => (a < b ? -1 : 1)).map(([kind, statuses]) => [kind, toObject(statuses)])),
    model: {
      documents: Object.fromEntries([...model.documents].map(([name, documents]) => [name, documents.size])),
      scratchCollections: [...model.scratch.keys()],
      raceIdsWritten: model.raceWritten.size,
      uncertainIds: Object.fromEntries([...model.uncertain].map(([name, ids]) => [name, ids.size])),
      uncertainCollections: [...model.uncertainCollections],
      raceIdsUncertain: model.raceUncertain.size,
      raceIdsAtEnd: result.raceIds.size,
    },
    checks,
    verdict: { passed, reasons },
  });
  console.log(`\nwrote ${path} and ${failuresPath}`);
  if (!passed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
