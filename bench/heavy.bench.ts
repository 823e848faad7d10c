/**
 * Heavy requests: `npm run bench:heavy [-- --seconds=60 --clients=4]`.
 *
 * Issue 23, defect 1, measured from outside: the real server (dist, default
 * settings, rate limit off since all load comes from one address) over
 * 10,000 documents of dimension 4096 and 50,000 text documents, then, for
 * `--seconds`, `--clients` loops sending the heavy requests of the issue
 * one after another, several at once:
 *   - a search with k 10,000, exact, vectors included, and a list page and
 *     a get of 10,000 documents with vectors (refused: LIMIT_EXCEEDED);
 *   - the largest such reads allowed: a search of 256 hits with their
 *     4096-d vectors, a list page and a get of 10,000 text documents;
 *   - a keyword and a hybrid query of MAX_QUERY_TERMS common terms with k
 *     10,000, and a
 *     batch of ten such keyword queries;
 *   - a batch of 100 heavy searches whose client gives up after a second;
 *   - a search of 5,000 hits whose reply is never read (the socket stays
 *     open, unread, for ten seconds).
 * Meanwhile one client asks `/health` every 10 ms, and the server's
 * resident memory is read every 200 ms.
 *
 * Reported: per request kind, the count, the statuses and p50/p99 latency;
 * `/health` p50/p99/max (target: p99 under 100 ms); resident memory after
 * seeding and its peak under load, against the bound the README documents
 * ("Limits"); the load average. JSON in bench/results/heavy.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_QUERY_TERMS } from '../src/core/options.js';
import { rng } from '../test/fixtures/random.js';
import { createProgress, fmt, formatTable, machineInfo, writeResults } from './lib/harness.js';
import { latencyOf, memoryOf, startServer, stopServer, type Latency } from './lib/server-process.js';

const WIDE_DIM = 4096;
const WIDE_COUNT = 10_000;
const TEXT_COUNT = 50_000;
const VOCABULARY = 5_000;
const MiB = 2 ** 20;

function flag(name: string, fallback: number): number {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  const value = found === undefined ? fallback : Number(found.slice(name.length + 3));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const SECONDS = flag('seconds', 60);
const CLIENTS = flag('clients', 4);

function base64(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

interface Reply {
  status: number;
  ms: number;
}

async function request(base: string, method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<Reply> {
  const started = performance.now();
  try {
    const response = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - started };
  } catch (error) {
    // The client giving up (AbortSignal.timeout aborts with a TimeoutError).
    if ((error as Error).name === 'AbortError' || (error as Error).name === 'TimeoutError') return { status: 0, ms: performance.now() - started };
    throw error;
  }
}

async function post(base: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

// ------------------------------------------------------------------ data

const words = Array.from({ length: VOCABULARY }, (_, i) => `w${i.toString(36)}q`);

async function seed(base: string, progress: ReturnType<typeof createProgress>): Promise<void> {
  const next = rng(23);
  await post(base, '/collections', { name: 'wide', dimension: WIDE_DIM, metric: 'l2' });
  const batch = 200;
  for (let from = 0; from < WIDE_COUNT; from += batch) {
    const documents = Array.from({ length: batch }, (_, i) => ({
      id: `w${from + i}`,
      vector: base64(Float32Array.from({ length: WIDE_DIM }, () => next() - 0.5)),
      metadata: { i: from + i },
    }));
    await post(base, '/collections/wide/documents', { documents });
    if ((from + batch) % 2_000 === 0) progress.log(`wide: ${from + batch} / ${WIDE_COUNT}`);
  }
  await post(base, '/collections', { name: 'texts', dimension: 8 });
  for (let from = 0; from < TEXT_COUNT; from += 5_000) {
    const documents = Array.from({ length: 5_000 }, (_, i) => ({
      id: `t${from + i}`,
      vector: Array.from({ length: 8 }, () => next() - 0.5),
      // Skewed: the first words are in most documents, so a query of them touches long posting lists.
      text: Array.from({ length: 60 }, () => words[Math.floor(next() ** 2 * VOCABULARY)]).join(' '),
      metadata: { i: from + i, group: (from + i) % 10 },
    }));
    await post(base, '/collections/texts/documents', { documents });
    progress.log(`texts: ${from + 5_000} / ${TEXT_COUNT}`);
  }
  for (;;) {
    const infos = (await (await fetch(`${base}/collections`)).json()) as { collections: { indexingBacklog?: number }[] };
    const backlog = infos.collections.reduce((sum, info) => sum + (info.indexingBacklog ?? 0), 0);
    if (backlog === 0) break;
    progress.log(`graph inserts to go: ${backlog}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  progress.log('seeded');
}

// ------------------------------------------------------------------ heavy requests

interface Heavy {
  kind: string;
  send(base: string, next: () => number): Promise<Reply>;
}

/** The most common words but one: with one more, a query of MAX_QUERY_TERMS distinct terms, the most allowed. */
const COMMON = MAX_QUERY_TERMS - 1;
const commonTerms = words.slice(0, COMMON).join(' ');
const wideQuery = (next: () => number) => base64(Float32Array.from({ length: WIDE_DIM }, () => next() - 0.5));
const allIds = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/** Sends a search of 5,000 hits on a raw socket and never reads the reply; the socket closes after ten seconds. */
function unreadSearch(base: string, next: () => number): Promise<Reply> {
  const url = new URL(base);
  const body = JSON.stringify({ text: `${commonTerms} ${words[COMMON + Math.floor(next() * 1000)]}`, k: 5_000, include: ['metadata', 'text'] });
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`POST /collections/texts/search HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      socket.pause();
    });
    socket.on('error', () => {});
    const started = performance.now();
    setTimeout(() => {
      socket.destroy();
      resolve({ status: 0, ms: performance.now() - started });
    }, 10_000);
  });
}

const HEAVY: Heavy[] = [
  { kind: 'search k 10000 + vectors (4096-d)', send: (b, n) => request(b, 'POST', '/collections/wide/search', { vector: wideQuery(n), k: 10_000, exact: true, include: ['vector'] }) },
  { kind: 'search k 256 + vectors (4096-d)', send: (b, n) => request(b, 'POST', '/collections/wide/search', { vector: wideQuery(n), k: 256, exact: true, include: ['vector'] }) },
  { kind: 'list 10000 + vectors (4096-d)', send: (b) => request(b, 'POST', '/collections/wide/documents/list', { limit: 10_000, include: ['vector'] }) },
  { kind: 'get 10000 ids + vectors (4096-d)', send: (b) => request(b, 'POST', '/collections/wide/documents/get', { ids: allIds('w', 10_000) }) },
  { kind: 'list 10000 texts', send: (b) => request(b, 'POST', '/collections/texts/documents/list', { limit: 10_000 }) },
  { kind: 'get 10000 texts', send: (b) => request(b, 'POST', '/collections/texts/documents/get', { ids: allIds('t', 10_000), include: ['metadata', 'text'] }) },
  { kind: `keyword ${MAX_QUERY_TERMS} terms k 10000`, send: (b, n) => request(b, 'POST', '/collections/texts/search', { text: `${commonTerms} ${words[COMMON + Math.floor(n() * 100)]}`, k: 10_000 }) },
  {
    kind: `hybrid ${MAX_QUERY_TERMS} terms k 10000`,
    send: (b, n) => request(b, 'POST', '/collections/texts/search', { text: commonTerms, vector: Array.from({ length: 8 }, () => n() - 0.5), k: 10_000 }),
  },
  {
    kind: 'batch 10 x keyword k 10000',
    send: (b, n) => request(b, 'POST', '/collections/texts/search/batch', {
      searches: Array.from({ length: 10 }, () => ({ text: `${commonTerms} ${words[COMMON + Math.floor(n() * 1000)]}`, k: 10_000, include: [] })),
    }),
  },
  {
    kind: 'batch 100, client leaves after 1 s',
    send: (b, n) => request(b, 'POST', '/collections/texts/search/batch', {
      searches: Array.from({ length: 100 }, () => ({ text: commonTerms, vector: Array.from({ length: 8 }, () => n() - 0.5), k: 10_000, include: [] })),
    }, AbortSignal.timeout(1_000)),
  },
  { kind: 'search k 5000, reply never read', send: unreadSearch },
];

// ------------------------------------------------------------------ the run

interface KindFigures {
  kind: string;
  statuses: Record<string, number>;
  latency: Latency;
}

async function main(): Promise<void> {
  const data = mkdtempSync(join(tmpdir(), 'quiver-heavy-'));
  const server = await startServer(data, join(data, 'server.log'), { QUIVER_RATE_LIMIT_MAX: '0' });
  const pid = server.child.pid!;
  try {
    await seed(server.url, createProgress());
    const seeded = memoryOf(pid).rss;
    const samples: number[] = [];
    const health: number[] = [];
    const byKind = new Map<string, { statuses: Record<string, number>; ms: number[] }>(HEAVY.map(({ kind }) => [kind, { statuses: {}, ms: [] }]));
    const load = loadavg()[0]!;
    const until = performance.now() + SECONDS * 1000;
    const sampler = setInterval(() => samples.push(memoryOf(pid).rss), 200);
    const progress = createProgress();
    const clients = Array.from({ length: CLIENTS }, async (_, c) => {
      const next = rng(100 + c);
      for (let i = c; performance.now() < until; i++) {
        const heavy = HEAVY[i % HEAVY.length]!;
        const reply = await heavy.send(server.url, next);
        const figures = byKind.get(heavy.kind)!;
        figures.statuses[reply.status === 0 ? 'gave up' : String(reply.status)] = (figures.statuses[reply.status === 0 ? 'gave up' : String(reply.status)] ?? 0) + 1;
        figures.ms.push(reply.ms);
      }
    });
    const poller = (async () => {
      while (performance.now() < until) {
        health.push((await request(server.url, 'GET', '/health')).ms);
        if (health.length % 500 === 0) progress.log(`${Math.round((until - performance.now()) / 1000)} s to go, /health asked ${health.length} times`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    await Promise.all([...clients, poller]);
    clearInterval(sampler);
    progress.log('load done');
    const loadAfter = loadavg()[0]!;
    const peak = Math.max(...samples);
    const { hwm } = memoryOf(pid);
    const info = (await (await fetch(`${server.url}/collections`)).json()) as { collections: { memory: { vectors: number; graph: number } }[] };
    const indexes = info.collections.reduce((sum, { memory }) => sum + memory.vectors + memory.graph, 0);
    // The README's bound ("Limits"): indexes, the two caches, the replies waiting to be read, three times the
    // largest reply of a read for each read under way. Measured against the growth from seeding, which holds the indexes.
    const largestRead = 20 * MiB + 32 * MiB;
    const bound = 64 * MiB + 64 * MiB + 256 * MiB + 3 * largestRead * CLIENTS;
    const kinds: KindFigures[] = HEAVY.map(({ kind }) => ({ kind, statuses: byKind.get(kind)!.statuses, latency: latencyOf(byKind.get(kind)!.ms) }));
    const healthLatency = latencyOf(health);
    console.log(formatTable(`Heavy requests, ${CLIENTS} at once for ${SECONDS} s (load average ${fmt(load, 2)} -> ${fmt(loadAfter, 2)})`,
      ['request', 'sent', 'statuses', 'p50 ms', 'p99 ms'],
      kinds.map(({ kind, statuses, latency }) => [kind, latency.count, Object.entries(statuses).map(([s, n]) => `${s} x${n}`).join(', '), fmt(latency.p50, 1), fmt(latency.p99, 1)])));
    console.log(formatTable('/health meanwhile, and memory', ['figure', 'value'], [
      ['/health asked', healthLatency.count],
      ['/health p50 ms', fmt(healthLatency.p50, 1)],
      ['/health p99 ms (target < 100)', fmt(healthLatency.p99, 1)],
      ['/health max ms', fmt(healthLatency.max, 1)],
      ['index memory (MiB)', fmt(indexes / MiB, 0)],
      ['RSS after seeding (MiB)', fmt(seeded / MiB, 0)],
      ['RSS peak under load (MiB)', fmt(peak / MiB, 0)],
      ['VmHWM, whole run (MiB)', fmt(hwm / MiB, 0)],
      ['growth under load (MiB)', fmt((peak - seeded) / MiB, 0)],
      ['documented bound on that growth (MiB)', fmt(bound / MiB, 0)],
    ]));
    const verdict = healthLatency.p99 < 100 && peak - seeded < bound && !kinds.some((k) => Object.keys(k.statuses).some((s) => s.startsWith('5') && s !== '503'));
    console.log(verdict ? 'PASS: /health p99 under 100 ms, memory growth under the bound, no 5xx but 503 SERVER_BUSY' : 'FAIL');
    if (server.notable.length > 0) console.log(`server warnings and errors (${server.notable.length}), first five:\n${server.notable.slice(0, 5).join('\n')}`);
    writeResults('heavy.json', {
      machine: machineInfo(),
      seconds: SECONDS,
      clients: CLIENTS,
      loadAverage: { before: load, after: loadAfter },
      kinds,
      health: healthLatency,
      memory: { indexes, seeded, peak, hwm, bound },
      pass: verdict,
    });
    process.exitCode = verdict ? 0 : 1;
  } finally {
    await stopServer(server);
    rmSync(data, { recursive: true, force: true });
  }
}

await main();
