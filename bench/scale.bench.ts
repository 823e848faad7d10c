/**
 * `npm run bench:scale`: how Quiver uses the cores (issue 7).
 *
 * Every database is on a data directory (SQLite commits and snapshots included).
 *
 * 1. Build: the same vectors upserted into a collection whose graph has
 *    `segments` segments, hosted by 1 worker and by all workers (and, for
 *    reference, the single graph on the main thread, `workers: 0`): vectors
 *    per second until every graph insert has run, and process memory. Each
 *    build runs alone in the process; the two compared run twice each, in
 *    the order A B B A. The searches below reopen the databases built.
 * 2. In-process search throughput: CONCURRENCY searches in flight, rounds
 *    interleaved between the configurations so machine noise hits each
 *    alike; recall@10 against an exact scan, next to QPS.
 * 3. HTTP search throughput: `quiver serve` in a child process with 1 and
 *    with all workers, autocannon on loopback, distinct query bodies (no
 *    cache hits).
 * 4. Search latency during a bulk ingest of COUNT more vectors, against the
 *    same searches with no ingest before and after it (the graph sizes the
 *    ingest spans), and the longest event-loop stall.
 *
 * Flags: --quick (20,000 vectors, shorter rounds).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { openDatabase, type Collection, type Database } from '../src/index.js';
import { embeddingModel, rowsOf } from './lib/datasets.js';
import { collectGarbage, createProgress, fmt, hasFlag, machineInfo, printTable, writeResults, type Target } from './lib/harness.js';
import { median, percentileFloorRank } from './lib/stats.js';

const QUICK = hasFlag('quick');
const CORES = availableParallelism();
const SEGMENTS = Math.max(2, CORES);
const COUNT = QUICK ? 20_000 : 100_000;
const DIM = 128;
const K = 10;
const EF = 64;
const QUERIES = 200;
const BATCH = 1_000;
/** Batches of the ingest that runs while searches are timed: what a pipeline sends per request. */
const INGEST_BATCH = 128;
const CONCURRENCY = 16;
const ROUNDS = QUICK ? 3 : 5;
const ROUND_MS = QUICK ? 1_500 : 3_000;
const IDLE_MS = QUICK ? 3_000 : 6_000;
const HTTP_SECONDS = QUICK ? 4 : 8;
const HTTP_CONNECTIONS = 16;

interface CannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}
// autocannon ships no types: load it through require and type the part used here (it returns a promise without a callback).
const autocannon = createRequire(import.meta.url)('autocannon') as (options: Record<string, unknown>) => Promise<CannonResult>;

const progress = createProgress();
const log = progress.log;

interface Config {
  name: string;
  workers: number;
  segments: number;
}

const CONFIGS: Config[] = [
  { name: `main thread, 1 graph (workers 0)`, workers: 0, segments: 1 },
  { name: `1 worker, ${SEGMENTS} segments`, workers: 1, segments: SEGMENTS },
  { name: `${CORES} workers, ${SEGMENTS} segments`, workers: CORES, segments: SEGMENTS },
];

/** Build order, as indexes into CONFIGS: the reference once, then A B B A (see the build phase). */
const BUILD_ORDER = [0, 1, 2, 2, 1];

interface BuildRun {
  name: string;
  seconds: number;
  rssGrowthMiB: number;
}

const collectionName = (config: Config) => `w${config.workers}`;

const model = embeddingModel({ dim: DIM, rank: 16, clusters: 8, clusterSpread: 1.5, noise: 0.25, offset: 0.5, seed: 7 });

function documents(base: Float32Array, from: number, to: number, prefix: string) {
  return Array.from({ length: to - from }, (_, i) => ({ id: `${prefix}${from + i}`, vector: base.subarray((from + i) * DIM, (from + i + 1) * DIM) }));
}

async function load(collection: Collection, base: Float32Array, count: number, prefix: string, batch: number): Promise<void> {
  for (let from = 0; from < count; from += batch) {
    await collection.upsert(documents(base, from, Math.min(count, from + batch), prefix));
    if ((from / batch) % 20 === 0) log(`  ${collection.name}: ${from.toLocaleString()} / ${count.toLocaleString()} sent`);
  }
}

/** Closed loop: `concurrency` searches always in flight for `ms`; returns QPS. */
async function throughput(collection: Collection, queries: Float32Array[], ms: number, concurrency: number): Promise<number> {
  let done = 0;
  let next = 0;
  const end = performance.now() + ms;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await collection.search({ vector: queries[next++ % queries.length]!, k: K, ef: EF, exact: false, include: [] });
      done++;
    }
  }));
  return done / ((performance.now() - started) / 1000);
}

/** One search at a time for `ms` (or until `until` resolves); latencies in ms. */
async function latencies(collection: Collection, queries: Float32Array[], ms: number, until?: Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  let stop = false;
  void until?.then(() => (stop = true));
  const end = performance.now() + ms;
  for (let i = 0; until ? !stop : performance.now() < end; i++) {
    const t0 = performance.now();
    await collection.search({ vector: queries[i % queries.length]!, k: K, ef: EF, exact: false, include: [] });
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

/** A gap between timer ticks over STALL_MS, and where the main thread's time went meanwhile (Linux). */
interface Stall {
  /** Seconds into the phase when it ended. */
  atSeconds: number;
  ms: number;
  /**
   * From the thread's schedstat, over the window from the last reading
   * before the stall (at most SCHED_EVERY ticks earlier) to its end:
   * running, runnable but waiting for a core, and the rest (blocked).
   */
  windowMs?: number;
  onCpuMs?: number;
  waitingForCpuMs?: number;
  blockedMs?: number;
}

const STALL_MS = 50;
/** Timer ticks between schedstat readings (each costs a few microseconds). */
const SCHED_EVERY = 10;

/** The main thread's time on a CPU and waiting for one, in ms (Linux), or undefined elsewhere. */
function schedstat(): { onCpuMs: number; waitingMs: number } | undefined {
  try {
    const [onCpuNs, waitingNs] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return { onCpuMs: onCpuNs! / 1e6, waitingMs: waitingNs! / 1e6 };
  } catch {
    return undefined;
  }
}

/**
 * The longest gap between 1 ms timer ticks while `work` runs (how long the
 * event loop was blocked), and each gap over STALL_MS with what the main
 * thread was doing meanwhile: a stall spent on the CPU is this process's
 * code; one spent waiting for a CPU or blocked is the machine's.
 */
async function longestStall<T>(work: Promise<T>): Promise<{ result: T; stallMs: number; histogramMaxMs: number; stalls: Stall[] }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const started = performance.now();
  let last = started;
  let stallMs = 0;
  let ticks = 0;
  let reading = schedstat();
  let readAt = started;
  const stalls: Stall[] = [];
  const timer = setInterval(() => {
    const now = performance.now();
    const gap = now - last;
    stallMs = Math.max(stallMs, gap);
    last = now;
    const long = gap > STALL_MS;
    if (!long && ++ticks % SCHED_EVERY !== 0) return;
    const current = schedstat();
    if (long) {
      const stall: Stall = { atSeconds: (now - started) / 1000, ms: gap };
      if (reading && current) {
        stall.windowMs = now - readAt;
        stall.onCpuMs = current.onCpuMs - reading.onCpuMs;
        stall.waitingForCpuMs = current.waitingMs - reading.waitingMs;
        stall.blockedMs = Math.max(0, stall.windowMs - stall.onCpuMs - stall.waitingForCpuMs);
      }
      stalls.push(stall);
    }
    reading = current;
    readAt = now;
  }, 1);
  try {
    const result = await work;
    return { result, stallMs, histogramMaxMs: histogram.max / 1e6, stalls };
  } finally {
    clearInterval(timer);
    histogram.disable();
  }
}

function recallOf(found: readonly string[], truth: readonly string[]): number {
  const set = new Set(truth);
  return found.filter((id) => set.has(id)).length / truth.length;
}

// ---------------------------------------------------------------- HTTP

interface HttpRun {
  workers: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

async function startServer(workers: number, data: string): Promise<{ child: ChildProcess; url: string }> {
  const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  const child = fork(cli, ['serve', '--port', '0', '--data', data, '--workers', String(workers), '--log-level', 'silent'], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    // A one-entry result cache: every search below runs the engine (the bodies cycle through 2,000 queries).
    env: { ...process.env, QUIVER_RATE_LIMIT_MAX: '0', QUIVER_CACHE_MAX_ENTRIES: '1' },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(text);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`server exited with code ${code}`)));
  });
  return { child, url };
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function base64(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

async function httpRun(workers: number, base: Float32Array, count: number, queries: Float32Array[]): Promise<HttpRun> {
  const data = mkdtempSync(join(tmpdir(), 'quiver-scale-http-'));
  const { child, url } = await startServer(workers, data);
  try {
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    };
    await post('/collections', { name: 'scale', dimension: DIM, metric: 'cosine', hnsw: { segments: SEGMENTS } });
    for (let from = 0; from < count; from += BATCH) {
      const docs = documents(base, from, Math.min(count, from + BATCH), 'd').map((doc) => ({ id: doc.id, vector: base64(doc.vector) }));
      await post('/collections/scale/documents', { documents: docs });
    }
    // Wait until the graph is built, so the run measures graph search.
    for (;;) {
      const info = (await (await fetch(`${url}/collections/scale`)).json()) as { indexingBacklog?: number };
      if (!info.indexingBacklog) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const bodies = queries.map((q) => JSON.stringify({ vector: base64(q), k: K, ef: EF, include: [] }));
    let next = 0;
    const result = await autocannon({
      url: `${url}/collections/scale/search`,
      connections: HTTP_CONNECTIONS,
      duration: HTTP_SECONDS,
      requests: [{
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // Each request a different query of the set, and the set larger than one pass: few cache hits.
        setupRequest: (request: Record<string, unknown>) => ({ ...request, body: bodies[next++ % bodies.length] }),
      }],
    });
    return {
      workers,
      requestsPerSecond: result.requests.average,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      errors: result.errors + result.non2xx,
    };
  } finally {
    await stopServer(child);
    rmSync(data, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const machine = machineInfo(['hnswlib-node', 'autocannon']);
  log(`Quiver scale benchmark${QUICK ? ' (--quick)' : ''}: ${machine.cpuModel}, ${CORES} cores, Node ${machine.node}, load ${machine.loadAverage.join(' ')}`);
  log(`data: ${COUNT.toLocaleString()} x ${DIM} embedding-like vectors (cosine), ${QUERIES} queries, k ${K}, ef ${EF}`);
  const base = model.sample(COUNT, 1);
  const extra = model.sample(COUNT, 3);
  // More distinct queries than one round uses, so HTTP runs rarely repeat a body.
  const queries = rowsOf(model.sample(QUERIES * 10, 2), DIM);
  const recallQueries = queries.slice(0, QUERIES);

  // ---- 1. build
  // Each configuration on a data directory, as the server runs: SQLite commits and snapshots included.
  // Each build runs alone in the process: its database closes (after a final snapshot) before the next
  // build starts. Databases left open cost the build after them their garbage collection and background
  // work, and only the all-workers build has no spare core to absorb that. The 1-worker and all-workers
  // builds run twice, in the order A B B A, so a drift in the machine's speed hits both alike.
  const dataDirs = new Map<Config, string>();
  const buildRuns: BuildRun[] = [];
  for (const config of BUILD_ORDER.map((i) => CONFIGS[i]!)) {
    const previous = dataDirs.get(config);
    if (previous) rmSync(previous, { recursive: true, force: true });
    const path = mkdtempSync(join(tmpdir(), 'quiver-scale-'));
    dataDirs.set(config, path);
    const db = await openDatabase({ workers: config.workers, path });
    const collection = await db.createCollection(collectionName(config), { dimension: DIM, metric: 'cosine', hnsw: { segments: config.segments } });
    log(`build: ${config.name} (${buildRuns.filter((run) => run.name === config.name).length + 1} of ${BUILD_ORDER.filter((i) => CONFIGS[i] === config).length})`);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    await load(collection, base, COUNT, 'd', BATCH);
    await collection.indexed();
    const seconds = (performance.now() - started) / 1000;
    buildRuns.push({ name: config.name, seconds, rssGrowthMiB: (process.memoryUsage().rss - rssBefore) / 2 ** 20 });
    log(`  ${fmt(seconds)} s, ${fmt(COUNT / seconds)} vectors/s`);
    // Untimed: the snapshot the build's last writes started (or will start) finishes now, not during the next build.
    await db.snapshot();
    await db.close();
  }
  const builds = CONFIGS.map((config) => {
    const runs = buildRuns.filter((run) => run.name === config.name);
    const seconds = runs.reduce((sum, run) => sum + run.seconds, 0) / runs.length;
    return {
      name: config.name, workers: config.workers, segments: config.segments,
      seconds, runsSeconds: runs.map((run) => run.seconds), vectorsPerSecond: COUNT / seconds, rssGrowthMiB: runs[0]!.rssGrowthMiB,
    };
  });
  log('reopening the last database of each configuration for the searches');
  const dbs: { config: Config; db: Database; collection: Collection }[] = [];
  for (const config of CONFIGS) {
    const db = await openDatabase({ workers: config.workers, path: dataDirs.get(config)! });
    const collection = db.collection(collectionName(config));
    await collection.indexed();
    dbs.push({ config, db, collection });
  }

  // ---- 2. in-process search throughput, interleaved rounds
  log('truth: exact search for recall');
  const truthCollection = dbs[0]!.collection;
  const truth: string[][] = [];
  for (const q of recallQueries) truth.push((await truthCollection.search({ vector: q, k: K, exact: true, include: [] })).map((hit) => hit.id));
  const recall = new Map<string, number>();
  for (const { config, collection } of dbs) {
    let sum = 0;
    for (let i = 0; i < recallQueries.length; i++) {
      const hits = await collection.search({ vector: recallQueries[i]!, k: K, ef: EF, exact: false, include: [] });
      sum += recallOf(hits.map((hit) => hit.id), truth[i]!);
    }
    recall.set(config.name, sum / recallQueries.length);
  }
  const qps = new Map<string, number[]>(CONFIGS.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const { config, collection } of dbs) {
      const value = await throughput(collection, queries, ROUND_MS, CONCURRENCY);
      qps.get(config.name)!.push(value);
    }
    log(`search round ${round + 1}/${ROUNDS}: ${dbs.map(({ config }) => `${config.name} ${fmt(qps.get(config.name)![round]!)} QPS`).join(', ')}`);
  }
  const searchRows = CONFIGS.map((config) => ({ name: config.name, workers: config.workers, segments: config.segments, qps: median(qps.get(config.name)!), samples: qps.get(config.name)!, recall: recall.get(config.name)! }));

  // ---- 4. latency during a bulk ingest (the all-workers database, already holding COUNT vectors),
  // alone in the process as a server would be: the other databases close first.
  // The ingest grows the graph from COUNT to 2 x COUNT vectors, and a search costs more in a larger graph,
  // so the searches with no ingest run at both ends, before it (COUNT) and after it (2 x COUNT), and the
  // baseline is the two together.
  const scaled = dbs[dbs.length - 1]!;
  for (const { db } of dbs.slice(0, -1)) await db.close();
  // ...and without their garbage: a server holding only this database would not mark and sweep it during the ingest.
  collectGarbage();
  log(`idle, before the ingest: one search at a time for ${IDLE_MS} ms`);
  const idleBefore = await longestStall(latencies(scaled.collection, queries, IDLE_MS));
  log(`ingest: ${COUNT.toLocaleString()} more vectors in batches of ${INGEST_BATCH} while searching`);
  const ingestStarted = performance.now();
  const ingest = (async () => {
    await load(scaled.collection, extra, COUNT, 'x', INGEST_BATCH);
    await scaled.collection.indexed();
  })();
  const during = await longestStall(latencies(scaled.collection, queries, 0, ingest));
  await ingest;
  const ingestSeconds = (performance.now() - ingestStarted) / 1000;
  // Untimed: the snapshot the ingest's last writes started finishes first, so the idle searches are idle.
  await scaled.db.snapshot();
  collectGarbage();
  log(`idle, after the ingest: one search at a time for ${IDLE_MS} ms`);
  const idleAfter = await longestStall(latencies(scaled.collection, queries, IDLE_MS));
  const idleBoth = [...idleBefore.result, ...idleAfter.result].sort((a, b) => a - b);
  const latencyRow = (phase: string, sorted: number[], stall?: { stallMs: number; histogramMaxMs: number }) => ({
    phase, searches: sorted.length, p50Ms: percentileFloorRank(sorted, 0.5), p99Ms: percentileFloorRank(sorted, 0.99), maxMs: sorted[sorted.length - 1]!,
    stallMs: stall?.stallMs ?? Math.max(idleBefore.stallMs, idleAfter.stallMs),
    histogramMaxMs: stall?.histogramMaxMs ?? Math.max(idleBefore.histogramMaxMs, idleAfter.histogramMaxMs),
  });
  const latencyRows = [
    latencyRow(`idle, before (${COUNT.toLocaleString()} vectors)`, idleBefore.result, idleBefore),
    latencyRow(`idle, after (${(2 * COUNT).toLocaleString()} vectors)`, idleAfter.result, idleAfter),
    latencyRow('idle, both', idleBoth),
    latencyRow('during bulk ingest', during.result, during),
  ];
  const idleRow = latencyRows[2]!;
  const duringRow = latencyRows[3]!;
  await scaled.db.close();
  for (const path of dataDirs.values()) rmSync(path, { recursive: true, force: true });

  // ---- 3. HTTP
  const httpCount = Math.min(COUNT, QUICK ? 20_000 : 100_000);
  const http: HttpRun[] = [];
  for (const workers of [1, CORES]) {
    log(`http: quiver serve --workers ${workers}, ${httpCount.toLocaleString()} vectors, autocannon ${HTTP_CONNECTIONS} connections for ${HTTP_SECONDS} s`);
    try {
      http.push(await httpRun(workers, base, httpCount, queries));
    } catch (error) {
      log(`  http run failed: ${(error as Error).message}`);
    }
  }

  // ---- report
  const one = searchRows[1]!;
  const all = searchRows[2]!;
  const single = searchRows[0]!;
  const buildOne = builds[1]!;
  const buildAll = builds[2]!;
  printTable(`HNSW build, ${COUNT.toLocaleString()} x ${DIM} (upserts of ${BATCH}, until every graph insert ran; each alone in the process, mean of its runs)`,
    ['configuration', 'seconds', 'runs s', 'vectors/s', 'x 1 worker', 'process RSS growth MiB (first run)'],
    builds.map((b) => [b.name, b.seconds, b.runsSeconds.map((x) => fmt(x)).join(', '), b.vectorsPerSecond, b.vectorsPerSecond / buildOne.vectorsPerSecond, b.rssGrowthMiB]));
  printTable(`In-process search, ${CONCURRENCY} in flight, k ${K}, ef ${EF} (median of ${ROUNDS} interleaved rounds)`,
    ['configuration', 'QPS', 'x 1 worker', 'x main thread', 'recall@10'],
    searchRows.map((r) => [r.name, r.qps, r.qps / one.qps, r.qps / single.qps, r.recall]));
  if (http.length > 0) {
    printTable(`HTTP search (POST, base64 vectors, distinct bodies), ${HTTP_CONNECTIONS} connections`,
      ['workers', 'req/s', 'x 1 worker', 'p50 ms', 'p99 ms', 'errors'],
      http.map((h) => [h.workers, h.requestsPerSecond, h.requestsPerSecond / http[0]!.requestsPerSecond, h.p50Ms, h.p99Ms, h.errors]));
  }
  printTable(`Search latency, one at a time, ${CORES} workers: idle (before and after) vs during a ${COUNT.toLocaleString()}-vector ingest (${fmt(ingestSeconds)} s, batches of ${INGEST_BATCH})`,
    ['phase', 'searches', 'p50 ms', 'p99 ms', 'max ms', 'longest event-loop stall ms'],
    latencyRows.map((r) => [r.phase, r.searches, r.p50Ms, r.p99Ms, r.maxMs, Math.max(r.stallMs, r.histogramMaxMs)]));

  const stalls = [
    ...idleBefore.stalls.map((s) => ({ phase: 'idle, before', ...s })),
    ...during.stalls.map((s) => ({ phase: 'during bulk ingest', ...s })),
    ...idleAfter.stalls.map((s) => ({ phase: 'idle, after', ...s })),
  ];
  if (stalls.length > 0) {
    printTable(`Event-loop stalls over ${STALL_MS} ms, and where the main thread's time went (from the last schedstat reading before each to its end)`,
      ['phase', 'at s', 'stall ms', 'window ms', 'on CPU ms', 'waiting for a CPU ms', 'blocked ms'],
      stalls.map((s) => [s.phase, s.atSeconds, s.ms, s.windowMs ?? 'n/a', s.onCpuMs ?? 'n/a', s.waitingForCpuMs ?? 'n/a', s.blockedMs ?? 'n/a']));
  }
  const stall = Math.max(...latencyRows.map((r) => Math.max(r.stallMs, r.histogramMaxMs)));
  const targets: Target[] = [
    { name: `search throughput, ${CORES} workers / 1 worker (same ${SEGMENTS} segments, same recall)`, value: all.qps / one.qps, target: '>= 1.7', met: all.qps / one.qps >= 1.7 && Math.abs(all.recall - one.recall) < 1e-9 },
    { name: `HNSW build throughput, ${CORES} workers / 1 worker`, value: buildAll.vectorsPerSecond / buildOne.vectorsPerSecond, target: '>= 1.6', met: buildAll.vectorsPerSecond / buildOne.vectorsPerSecond >= 1.6 },
    { name: 'search p99 during bulk ingest / idle p99 (before and after)', value: duringRow.p99Ms / idleRow.p99Ms, target: '<= 3', met: duringRow.p99Ms / idleRow.p99Ms <= 3 },
    { name: 'longest event-loop stall (ms)', value: stall, target: '<= 50', met: stall <= 50 },
  ];
  printTable('Targets (issue 7)', ['target', 'value', 'required', 'met'], targets.map((t) => [t.name, t.value, t.target, t.met]));
  const file = writeResults(QUICK ? 'scale-quick.json' : 'scale.json', {
    benchmark: 'scale',
    quick: QUICK,
    machine,
    config: { count: COUNT, dim: DIM, k: K, ef: EF, queries: QUERIES, batch: BATCH, ingestBatch: INGEST_BATCH, concurrency: CONCURRENCY, rounds: ROUNDS, roundMs: ROUND_MS, segments: SEGMENTS, cores: CORES },
    build: builds,
    search: searchRows,
    http,
    ingest: { seconds: ingestSeconds, vectors: COUNT, batch: INGEST_BATCH, latency: latencyRows, stalls },
    targets,
  });
  log(`results: ${file}`);
}

await main();
