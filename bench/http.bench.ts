/**
 * HTTP benchmark: `npm run bench:http [-- --quick]` (or `npx tsx bench/http.bench.ts`).
 *
 * autocannon against a real server on loopback, in one run:
 *   1. a plain Fastify hello-world (the ceiling: what Fastify alone does);
 *   2. the same hello-world answering a POST of the cached-search body
 *      (Fastify parses the JSON and ignores it: the cost of the body alone);
 *   3. Quiver GET /health;
 *   4. a cached search (the same body every time: every request after the
 *      first is a result-cache hit), in three forms: a POST with the vector
 *      as a JSON array (2.7 KB), a POST with it as base64 float32 (the wire
 *      format the API recommends for vectors, 0.7 KB) and a GET with the
 *      base64 vector in the URL;
 *   5. uncached HNSW search (`exact: false`) on 100,000 x 128 cosine vectors
 *      (20,000 with --quick); every request carries a different query vector,
 *      so every one misses the cache;
 *   6. and 7. uncached search with a 768-d query as a JSON array and as base64
 *      little-endian float32, on 10,000 x 768 vectors (2,000 with --quick).
 * Each scenario: 16 connections, a 2 s warm-up, then 10 s measured (--quick:
 * 1 s and 3 s; QUIVER_BENCH_SMOKE=1: 1 s and 1 s with 2,000 / 500 vectors).
 * Reported: requests/s (autocannon's mean of per-second samples),
 * p50/p95/p99 latency (from every response's time, as autocannon measures
 * it), non-2xx replies, and the result-cache hit rate during the run (from
 * /metrics), plus each scenario's throughput relative to hello-world (the
 * mean of a hello-world run first and another last).
 *
 * The servers run in a child process (this file with --child): autocannon
 * spends a core of its own generating load and parsing replies, and sharing
 * one event loop with it would understate the server. Both the hello-world
 * and the Quiver app live in that child and are measured one at a time. The
 * data is seeded (bench/lib/datasets.ts embedding model) and built once, before
 * anything is timed. Query bodies are built per request from pre-built
 * vectors: the first component gets a unique small offset (1e-5 steps, far
 * above float32 resolution there) so no two requests share a cache key.
 *
 * Targets: cached search >= 0.6 x hello-world requests/s, in the
 * recommended form (POST, base64 vector; the JSON-array POST and the GET
 * are reported beside it); uncached HNSW search at dimension 128 >= 2,000
 * requests/s with p99 < 20 ms.
 * Results: a printed table and bench/results/http.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { openDatabase, type Collection } from '../src/index.js';
import { buildApp } from '../src/server/app.js';
import { embeddingModel } from './lib/datasets.js';
import { createProgress, fmt, formatTable, machineInfo, quickMode, SMOKE, writeResults } from './lib/harness.js';
import { percentile } from './lib/stats.js';

const QUICK = quickMode();
const CONNECTIONS = 16;
const WARMUP_SECONDS = QUICK ? 1 : 2;
const DURATION_SECONDS = SMOKE ? 1 : QUICK ? 3 : 10;
const COUNT_128 = SMOKE ? 2_000 : QUICK ? 20_000 : 100_000;
const COUNT_768 = SMOKE ? 500 : QUICK ? 2_000 : 10_000;
const QUERY_POOL = 1024;
const UPSERT_BATCH = 5_000;
const MODEL_SEED = 42;
const DATA_SEED = 1;
const QUERY_SEED = 2;
const TARGETS = { cachedVsHello: 0.6, uncached128Rps: 2_000, uncached128P99Ms: 20 };

interface ChildReady {
  type: 'ready';
  helloPort: number;
  quiverPort: number;
  buildSeconds: number;
}
type ChildMessage = ChildReady | { type: 'progress'; message: string };

// ------------------------------------------------------------------ the server (child process)

async function child(): Promise<void> {
  const send = (message: ChildMessage) => process.send!(message);
  const started = performance.now();
  const db = await openDatabase({ logger: { info: () => {}, warn: () => {}, error: (m) => console.error(m) } });
  const build = async (name: string, dim: number, count: number) => {
    const collection: Collection = await db.createCollection(name, { dimension: dim, metric: 'cosine' });
    const model = embeddingModel({ dim, seed: MODEL_SEED });
    for (let start = 0; start < count; start += UPSERT_BATCH) {
      const n = Math.min(UPSERT_BATCH, count - start);
      const data = model.sample(n, DATA_SEED * 1_000_003 + start);
      await collection.upsert(Array.from({ length: n }, (_, i) => ({ id: `${name}-${start + i}`, vector: data.subarray(i * dim, (i + 1) * dim) })));
      send({ type: 'progress', message: `built ${name}: ${start + n}/${count} (${((performance.now() - started) / 1000).toFixed(1)} s)` });
    }
  };
  await build('vec128', 128, COUNT_128);
  await build('vec768', 768, COUNT_768);
  const buildSeconds = (performance.now() - started) / 1000;

  const hello = Fastify({ logger: false });
  hello.get('/', async () => ({ hello: 'world' }));
  // The same 128-d search body, parsed by Fastify's JSON parser and not looked at: what a body costs before Quiver does anything.
  hello.post('/', async () => ({ hello: 'world' }));
  await hello.listen({ host: '127.0.0.1', port: 0 });
  const { app } = await buildApp(db, { rateLimitMax: 0, logLevel: 'silent' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const portOf = (server: typeof hello.server) => {
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    return address.port;
  };
  send({ type: 'ready', helloPort: portOf(hello.server), quiverPort: portOf(app.server), buildSeconds });
  process.on('disconnect', () => process.exit(0));
}

// ------------------------------------------------------------------ the load generator (parent)

interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
}
interface AutocannonResult {
  requests: { average: number; total: number };
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): void;
}
type Autocannon = (
  options: { url: string; connections: number; duration: number; pipelining?: number; timeout?: number; requests: AutocannonRequest[] },
  done: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

// autocannon ships no types: load it through require and type the part used here.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface Scenario {
  name: string;
  url: string;
  request: AutocannonRequest;
}

interface Measured {
  name: string;
  requestsPerSecond: number;
  requests: number;
  latencyMs: { p50: number; p95: number; p99: number; mean: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  cacheHitRate: number | null;
}

function run(scenario: Scenario, seconds: number): Promise<{ result: AutocannonResult; latencies: Float64Array }> {
  return new Promise((resolve, reject) => {
    let latencies = new Float64Array(1 << 16);
    let count = 0;
    const instance = autocannon(
      // autocannon takes the path from `url` unless each request names its own: give it the request list.
      { url: scenario.url, connections: CONNECTIONS, duration: seconds, pipelining: 1, timeout: 10, requests: [scenario.request] },
      (error, result) => (error ? reject(error) : resolve({ result, latencies: latencies.slice(0, count).sort() })),
    );
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = responseTimeMs;
    });
  });
}

async function cacheCounts(base: string): Promise<{ hits: number; misses: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { hits: value('quiver_cache_hits'), misses: value('quiver_cache_misses') };
}

/** Request bodies for searches whose vectors never repeat (see the file comment). */
function uniqueQueries(dim: number, encoding: 'json' | 'base64', start = 0): () => string {
  const model = embeddingModel({ dim, seed: MODEL_SEED });
  const pool = model.sample(QUERY_POOL, QUERY_SEED * 7 + dim);
  const rest = Array.from({ length: QUERY_POOL }, (_, q) => Array.from(pool.subarray(q * dim + 1, (q + 1) * dim)).join(','));
  const scratch = new Float32Array(dim);
  let i = start;
  return () => {
    const q = i % QUERY_POOL;
    const offset = 1e-5 * (Math.floor(i / QUERY_POOL) + 1);
    i++;
    if (encoding === 'json') return `{"vector":[${pool[q * dim]! + offset},${rest[q]}],"k":10,"exact":false}`;
    scratch.set(pool.subarray(q * dim, (q + 1) * dim));
    scratch[0] = scratch[0]! + offset;
    return `{"vector":"${Buffer.from(scratch.buffer).toString('base64')}","k":10,"exact":false}`;
  };
}

function dynamicPost(path: string, body: () => string): AutocannonRequest {
  return {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: body(),
    setupRequest: (request) => ({ ...request, body: body() }),
  };
}

async function parent(): Promise<void> {
  const progress = createProgress();
  const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  if (loadAtStart[0]! > cpus().length / 2) {
    progress.log(`warning: load average ${loadAtStart.join(' ')} on ${cpus().length} cores: other work on this machine will skew the numbers`);
  }
  progress.log(`starting the server process (${COUNT_128.toLocaleString()} x 128 and ${COUNT_768.toLocaleString()} x 768 vectors, HNSW)`);
  const server: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child', ...(QUICK ? ['--quick'] : [])], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<ChildReady>((resolve, reject) => {
    server.on('message', (message: ChildMessage) => {
      if (message.type === 'progress') progress.log(message.message);
      else resolve(message);
    });
    server.once('exit', (code) => reject(new Error(`the server process exited (${code}) before it was ready`)));
  });
  progress.log(`data built in ${ready.buildSeconds.toFixed(1)} s; hello-world on :${ready.helloPort}, Quiver on :${ready.quiverPort}`);

  const quiver = `http://127.0.0.1:${ready.quiverPort}`;
  // Far from the indices the uncached scenarios reach, so it is never one of their queries.
  const cachedBody = uniqueQueries(128, 'json', 1e7)();
  const primed = await fetch(`${quiver}/collections/vec128/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: cachedBody });
  if (primed.status !== 200) throw new Error(`priming search failed: ${primed.status} ${await primed.text()}`);
  // The same query in the GET form: the base64 vector in the query string, answered from the cache by URL.
  const cachedVector = Float32Array.from((JSON.parse(cachedBody) as { vector: number[] }).vector);
  const cachedPath = `/collections/vec128/search?vector=${encodeURIComponent(Buffer.from(cachedVector.buffer).toString('base64'))}`;
  const primedGet = await fetch(`${quiver}${cachedPath}`);
  if (primedGet.status !== 200) throw new Error(`priming GET search failed: ${primedGet.status} ${await primedGet.text()}`);
  // And as a POST with the base64 vector in the body.
  const cachedBase64Body = JSON.stringify({ ...(JSON.parse(cachedBody) as object), vector: Buffer.from(cachedVector.buffer).toString('base64') });
  const primedBase64 = await fetch(`${quiver}/collections/vec128/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: cachedBase64Body });
  if (primedBase64.status !== 200) throw new Error(`priming base64 search failed: ${primedBase64.status} ${await primedBase64.text()}`);

  const scenarios: Scenario[] = [
    { name: 'Fastify hello-world', url: `http://127.0.0.1:${ready.helloPort}`, request: { method: 'GET', path: '/' } },
    {
      name: 'Fastify POST hello-world, 128-d body',
      url: `http://127.0.0.1:${ready.helloPort}`,
      request: { method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: cachedBody },
    },
    { name: 'Quiver GET /health', url: quiver, request: { method: 'GET', path: '/health' } },
    { name: 'search, cached (128-d)', url: quiver, request: { method: 'POST', path: '/collections/vec128/search', headers: { 'content-type': 'application/json' }, body: cachedBody } },
    { name: 'search, cached POST (128-d base64)', url: quiver, request: { method: 'POST', path: '/collections/vec128/search', headers: { 'content-type': 'application/json' }, body: cachedBase64Body } },
    { name: 'search, cached GET (128-d base64 in the URL)', url: quiver, request: { method: 'GET', path: cachedPath } },
    { name: `search, uncached HNSW (${COUNT_128 / 1000}k x 128, JSON)`, url: quiver, request: dynamicPost('/collections/vec128/search', uniqueQueries(128, 'json')) },
    { name: `search, uncached HNSW (${COUNT_768 / 1000}k x 768, JSON)`, url: quiver, request: dynamicPost('/collections/vec768/search', uniqueQueries(768, 'json')) },
    { name: `search, uncached HNSW (${COUNT_768 / 1000}k x 768, base64)`, url: quiver, request: dynamicPost('/collections/vec768/search', uniqueQueries(768, 'base64')) },
    // The ceiling again, last: the ratios use the mean of both runs, so drift in the machine's load during the run counts less.
    { name: 'Fastify hello-world (again)', url: `http://127.0.0.1:${ready.helloPort}`, request: { method: 'GET', path: '/' } },
  ];

  const measured: Measured[] = [];
  try {
    for (const scenario of scenarios) {
      progress.log(`${scenario.name}: warm-up ${WARMUP_SECONDS} s`);
      await run(scenario, WARMUP_SECONDS);
      progress.log(`${scenario.name}: measuring ${DURATION_SECONDS} s at ${CONNECTIONS} connections`);
      const before = await cacheCounts(quiver);
      const { result, latencies } = await run(scenario, DURATION_SECONDS);
      const after = await cacheCounts(quiver);
      const lookups = after.hits - before.hits + (after.misses - before.misses);
      const row: Measured = {
        name: scenario.name,
        requestsPerSecond: result.requests.average,
        requests: result.requests.total,
        latencyMs: {
          p50: percentile(latencies, 0.5),
          p95: percentile(latencies, 0.95),
          p99: percentile(latencies, 0.99),
          mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
          max: latencies[latencies.length - 1] ?? Number.NaN,
        },
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        cacheHitRate: lookups > 0 ? (after.hits - before.hits) / lookups : null,
      };
      measured.push(row);
      progress.log(
        `${scenario.name}: ${fmt(row.requestsPerSecond)} req/s, p50 ${fmt(row.latencyMs.p50)} ms, p99 ${fmt(row.latencyMs.p99)} ms` +
          (row.non2xx + row.errors + row.timeouts > 0 ? `, ${row.non2xx} non-2xx, ${row.errors} errors, ${row.timeouts} timeouts` : ''),
      );
    }
  } finally {
    server.disconnect();
    server.kill('SIGTERM');
  }

  const hello = (measured[0]!.requestsPerSecond + measured[measured.length - 1]!.requestsPerSecond) / 2;
  console.log(
    formatTable(
      `HTTP, ${CONNECTIONS} connections, ${DURATION_SECONDS} s each${QUICK ? ' (--quick)' : ''}; servers in a child process; ${cpus().length} cores, load ${loadAtStart[0]} at start`,
      ['scenario', 'req/s', 'x hello (mean)', 'p50 ms', 'p95 ms', 'p99 ms', 'non-2xx', 'cache hits'],
      measured.map((m) => [
        m.name,
        m.requestsPerSecond,
        m.requestsPerSecond / hello,
        m.latencyMs.p50,
        m.latencyMs.p95,
        m.latencyMs.p99,
        m.non2xx + m.errors + m.timeouts,
        m.cacheHitRate === null ? '-' : `${(m.cacheHitRate * 100).toFixed(1)}%`,
      ]),
    ),
  );

  const byName = (prefix: string) => measured.find((m) => m.name.startsWith(prefix))!;
  const cached = byName('search, cached (128-d)');
  const cachedGet = byName('search, cached GET');
  const cachedBase64 = byName('search, cached POST (128-d base64)');
  const uncached128 = measured.find((m) => m.name.includes('x 128, JSON'))!;
  const json768 = measured.find((m) => m.name.includes('x 768, JSON'))!;
  const base64768 = measured.find((m) => m.name.includes('x 768, base64'))!;
  const health = byName('Quiver GET /health');
  const post = byName('Fastify POST');
  const checks = [
    { target: `cached search (POST, base64 vector) >= ${TARGETS.cachedVsHello} x hello-world req/s`, value: cachedBase64.requestsPerSecond / hello, met: cachedBase64.requestsPerSecond / hello >= TARGETS.cachedVsHello },
    { target: `uncached HNSW (128-d) >= ${TARGETS.uncached128Rps} req/s`, value: uncached128.requestsPerSecond, met: uncached128.requestsPerSecond >= TARGETS.uncached128Rps },
    { target: `uncached HNSW (128-d) p99 < ${TARGETS.uncached128P99Ms} ms`, value: uncached128.latencyMs.p99, met: uncached128.latencyMs.p99 < TARGETS.uncached128P99Ms },
    { target: 'every reply 2xx', value: measured.reduce((n, m) => n + m.non2xx + m.errors + m.timeouts, 0), met: measured.every((m) => m.non2xx + m.errors + m.timeouts === 0) },
  ];
  console.log(formatTable('Targets', ['target', 'measured', 'met'], checks.map((c) => [c.target, c.value, c.met ? 'yes' : 'NO'])));
  console.log(
    `\nratios: cached / hello-world ${fmt(cachedBase64.requestsPerSecond / hello)} (POST, base64), ${fmt(cached.requestsPerSecond / hello)} (POST, JSON array), ${fmt(cachedGet.requestsPerSecond / hello)} (GET); ` +
      `cached / POST hello-world with the same body ${fmt(cached.requestsPerSecond / post.requestsPerSecond)}; ` +
      `/health / hello-world ${fmt(health.requestsPerSecond / hello)}; ` +
      `768-d base64 / JSON ${fmt(base64768.requestsPerSecond / json768.requestsPerSecond)} (req/s), p50 ${fmt(base64768.latencyMs.p50)} vs ${fmt(json768.latencyMs.p50)} ms`,
  );

  const path = writeResults('http.json', {
    benchmark: 'http',
    machine: machineInfo(['fastify', 'autocannon', 'hnswlib-node', '@fastify/rate-limit']),
    runtimeSeconds: progress.elapsedMs() / 1000,
    settings: {
      quick: QUICK,
      smoke: SMOKE,
      connections: CONNECTIONS,
      warmupSeconds: WARMUP_SECONDS,
      durationSeconds: DURATION_SECONDS,
      pipelining: 1,
      helloWorldCeiling: 'mean of the first and the last scenario',
      servers: 'child process (fork), loopback, rateLimitMax 0, logging off',
      collections: { vec128: { count: COUNT_128, dimension: 128 }, vec768: { count: COUNT_768, dimension: 768 }, metric: 'cosine', hnsw: 'defaults', exact: false, k: 10 },
      buildSeconds: ready.buildSeconds,
      loadAverageAtStart: loadAtStart,
    },
    results: measured,
    ratios: {
      cachedVsHello: cachedBase64.requestsPerSecond / hello,
      cachedJsonVsHello: cached.requestsPerSecond / hello,
      cachedGetVsHello: cachedGet.requestsPerSecond / hello,
      cachedVsPostHello: cached.requestsPerSecond / post.requestsPerSecond,
      healthVsHello: health.requestsPerSecond / hello,
      base64VsJson768: base64768.requestsPerSecond / json768.requestsPerSecond,
    },
    targets: checks,
  });
  progress.log(`wrote ${path}`);
}

if (process.argv.includes('--child')) {
  child().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  parent().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
