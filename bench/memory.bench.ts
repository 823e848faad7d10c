/**
 * Memory and scale: `npm run bench:memory [-- --quick] [--shapes 128x100000,1536x1000000] [--m 8] [--ef-construction 32]`.
 *
 * For each shape (dimension x documents), three fresh child processes, one
 * after another, hold the same vectors (embedding-like, cosine, generated
 * batch by batch from one seed, bench/lib/datasets.ts) with the same graph
 * settings:
 * - raw hnswlib-node: `HierarchicalNSW('cosine')`, `initIndex` for every
 *   document, `addPoint` of each (one thread: hnswlib-node has no parallel add).
 * - Quiver f32 and Quiver int8, as a user runs them: `openDatabase({ path })`
 *   with the defaults (one worker thread per core), upserts of 2,000
 *   documents, `indexed()`. Then exact and HNSW searches (recall@10 of HNSW
 *   against the exact top 10), `close()`, and a reopen in the same process
 *   (time to the first answer, and the same answers as before).
 * Each child reports its resident memory (after full GCs) as the documents
 * arrive, after the build and after the reopen, its WebAssembly memory, and
 * its peak. Ratios are taken against the raw child of the same shape.
 *
 * Graph settings are cheap so the largest shapes build in minutes: m 8,
 * efConstruction 32 (the defaults are 16 and 200); the memory per node
 * changes little with them (2m links of 4 bytes beside 4 bytes a dimension).
 * Results: printed tables and bench/results/memory.json; the suite draws
 * memory against N in REPORT.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { freemem, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, SMOKE, collectGarbage, fmt, formatTable, machineInfo, quickMode, writeResults, type Target } from './lib/harness.js';
import { upperMedian } from './lib/stats.js';

const QUICK = quickMode();
const THIS_FILE = fileURLToPath(import.meta.url);
const RESULT_PREFIX = 'MEMORY-RESULT ';
const GiB = 2 ** 30;

interface Shape {
  dim: number;
  count: number;
}

function argValue(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function parseShapes(text: string): Shape[] {
  return text.split(',').map((part) => {
    const match = /^(\d+)x(\d+)$/.exec(part.trim());
    if (!match) throw new Error(`--shapes: expected DIMxCOUNT[,DIMxCOUNT...], got '${part}'`);
    return { dim: Number(match[1]), count: Number(match[2]) };
  });
}

const CONFIG = {
  shapes: argValue('shapes') !== undefined
    ? parseShapes(argValue('shapes')!)
    : SMOKE
      ? [{ dim: 16, count: 3000 }]
      : QUICK
        ? [{ dim: 128, count: 20_000 }, { dim: 1536, count: 10_000 }]
        : [{ dim: 128, count: 100_000 }, { dim: 128, count: 1_000_000 }, { dim: 768, count: 1_000_000 }, { dim: 1536, count: 1_000_000 }],
  hnsw: { m: Number(argValue('m') ?? 8), efConstruction: Number(argValue('ef-construction') ?? 32) },
  /** HNSW search breadth for the recall and latency figures (the collection default). */
  ef: 64,
  batch: 2000,
  queries: SMOKE ? 5 : QUICK ? 20 : 50,
  /** Memory is sampled at this many points as the documents arrive. */
  checkpoints: SMOKE ? 2 : 10,
  seed: 7,
  querySeed: 99,
  targets: { rssF32: 2.1, rssInt8: 1.4, wasm: 1.15 },
};

type Engine = 'raw hnswlib' | 'Quiver f32' | 'Quiver int8';
const ENGINES: readonly Engine[] = ['raw hnswlib', 'Quiver f32', 'Quiver int8'];

interface Checkpoint {
  documents: number;
  seconds: number;
  rss: number;
  wasm: number | null;
}

interface ChildResult {
  engine: Engine;
  dim: number;
  count: number;
  /** Seconds to add every document (raw: addPoint; Quiver: the upsert calls). */
  ingestSeconds: number;
  /** Seconds until every document is in the graph (Quiver: `indexed()` resolved). */
  buildSeconds: number;
  checkpoints: Checkpoint[];
  /** Resident memory after the build and full GCs, and its parts. */
  rss: number;
  heapUsed: number;
  external: number;
  /** WebAssembly memory of the database (Quiver only). */
  wasm: number | null;
  /** The collection's own figures (Quiver only): vector bytes in WebAssembly memory, estimated graph bytes. */
  collectionMemory: { vectors: number; graph: number } | null;
  peakRss: number;
  /** HNSW top-10 labels per query, and search latency. */
  hnswTop: number[][];
  hnswMedianMs: number;
  /** Quiver only: exact top-10 labels per query, and its latency. */
  exactTop: number[][] | null;
  exactMedianMs: number | null;
  /** Quiver only: close (snapshot) and reopen in the same process. */
  closeSeconds: number | null;
  reopen: null | {
    openSeconds: number;
    firstAnswerSeconds: number;
    /** After open: until the vector rows are read back (indexed() resolved). */
    rowsLoadedSeconds: number;
    sameHnswAnswers: boolean;
    sameExactAnswers: boolean;
    count: number;
    rss: number;
    wasm: number;
  };
  loadAverage: number[];
}

// ------------------------------------------------------------ children

function log(message: string): void {
  process.stderr.write(`[memory] ${message}\n`);
}

function peakRss(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

/** Memory after full GCs; V8 frees ArrayBuffer memory on a background sweeper, hence the waits. */
async function settled(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage();
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

/** The documents, `batch` at a time, the same for every engine of a shape. */
async function* batches(shape: Shape): AsyncGenerator<{ from: number; vectors: Float32Array }> {
  const { embeddingModel } = await import('./lib/datasets.js');
  const model = embeddingModel({ dim: shape.dim, seed: CONFIG.seed, noiseKind: 'uniform' });
  for (let from = 0; from < shape.count; from += CONFIG.batch) {
    const n = Math.min(CONFIG.batch, shape.count - from);
    yield { from, vectors: model.sample(n, CONFIG.seed * 1_000_003 + from) };
  }
}

async function queries(shape: Shape): Promise<Float32Array[]> {
  const { embeddingModel, rowsOf } = await import('./lib/datasets.js');
  const model = embeddingModel({ dim: shape.dim, seed: CONFIG.seed, noiseKind: 'uniform' });
  return rowsOf(model.sample(CONFIG.queries, CONFIG.querySeed), shape.dim);
}

function progress(shape: Shape, engine: Engine, done: number, started: number, last: { shown: number }): void {
  const step = Math.max(1, Math.floor(shape.count / 20));
  if (done - last.shown < step && done < shape.count) return;
  last.shown = done;
  const seconds = (performance.now() - started) / 1000;
  log(`${engine} ${shape.dim}x${shape.count}: ${done.toLocaleString()} documents (${Math.round((done / shape.count) * 100)}%) in ${fmt(seconds)} s, ${fmt(done / seconds)} docs/s, RSS ${fmt(process.memoryUsage().rss / GiB, 2)} GiB`);
}

function checkpointDue(shape: Shape, done: number, next: { at: number }): boolean {
  if (done < next.at) return false;
  next.at += Math.ceil(shape.count / CONFIG.checkpoints);
  return true;
}

async function rawChild(shape: Shape): Promise<ChildResult> {
  const { default: hnswlib } = await import('hnswlib-node');
  const index = new hnswlib.HierarchicalNSW('cosine', shape.dim);
  index.initIndex({ maxElements: shape.count, m: CONFIG.hnsw.m, efConstruction: CONFIG.hnsw.efConstruction, randomSeed: 100 });
  const row = new Array<number>(shape.dim).fill(0);
  const checkpoints: Checkpoint[] = [];
  const next = { at: Math.ceil(shape.count / CONFIG.checkpoints) };
  const shown = { shown: 0 };
  const started = performance.now();
  let done = 0;
  for await (const { from, vectors } of batches(shape)) {
    for (let i = 0; i < vectors.length / shape.dim; i++) {
      for (let d = 0; d < shape.dim; d++) row[d] = vectors[i * shape.dim + d]!;
      index.addPoint(row, from + i);
    }
    done = from + vectors.length / shape.dim;
    progress(shape, 'raw hnswlib', done, started, shown);
    if (checkpointDue(shape, done, next)) {
      checkpoints.push({ documents: done, seconds: (performance.now() - started) / 1000, rss: (await settled()).rss, wasm: null });
    }
  }
  const buildSeconds = (performance.now() - started) / 1000;
  const memory = await settled();
  index.setEf(CONFIG.ef);
  const hnswTop: number[][] = [];
  const latencies: number[] = [];
  for (const query of await queries(shape)) {
    const t = await timed(() => index.searchKnn(Array.from(query), 10));
    latencies.push(t.ms);
    hnswTop.push(t.value.neighbors);
  }
  return {
    engine: 'raw hnswlib', dim: shape.dim, count: shape.count, ingestSeconds: buildSeconds, buildSeconds, checkpoints,
    rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external, wasm: null, collectionMemory: null, peakRss: peakRss(),
    hnswTop, hnswMedianMs: upperMedian(latencies), exactTop: null, exactMedianMs: null, closeSeconds: null, reopen: null, loadAverage: loadavg(),
  };
}

async function quiverChild(shape: Shape, engine: Engine, path: string): Promise<ChildResult> {
  const { openDatabase } = await import('../src/index.js');
  const logger = { info: () => {}, warn: (m: string) => log(`warning: ${m}`), error: (m: string) => log(`error: ${m}`) };
  const quantization = engine === 'Quiver int8' ? 'int8' : 'none';
  const db = await openDatabase({ path, logger });
  const collection = await db.createCollection('bench', { dimension: shape.dim, metric: 'cosine', quantization, hnsw: CONFIG.hnsw });
  const checkpoints: Checkpoint[] = [];
  const next = { at: Math.ceil(shape.count / CONFIG.checkpoints) };
  const shown = { shown: 0 };
  const started = performance.now();
  for await (const { from, vectors } of batches(shape)) {
    const n = vectors.length / shape.dim;
    await collection.upsert(Array.from({ length: n }, (_, i) => ({ id: String(from + i), vector: vectors.subarray(i * shape.dim, (i + 1) * shape.dim) })));
    progress(shape, engine, from + n, started, shown);
    if (checkpointDue(shape, from + n, next)) {
      checkpoints.push({ documents: from + n, seconds: (performance.now() - started) / 1000, rss: (await settled()).rss, wasm: db.wasmMemoryBytes });
    }
  }
  const ingestSeconds = (performance.now() - started) / 1000;
  await collection.indexed();
  const buildSeconds = (performance.now() - started) / 1000;
  log(`${engine} ${shape.dim}x${shape.count}: upserts done in ${fmt(ingestSeconds)} s, graph caught up at ${fmt(buildSeconds)} s`);
  const memory = await settled();
  const wasm = db.wasmMemoryBytes;
  const info = collection.info;

  const qs = await queries(shape);
  const search = async (target: typeof collection, exact: boolean) => {
    const tops: number[][] = [];
    const latencies: number[] = [];
    for (const vector of qs) {
      const t = await timed(() => target.search({ vector, k: 10, exact, ef: exact ? undefined : CONFIG.ef, include: [] }));
      latencies.push(t.ms);
      tops.push(t.value.map((hit) => Number(hit.id)));
    }
    return { tops, medianMs: upperMedian(latencies) };
  };
  const exact = await search(collection, true);
  const hnsw = await search(collection, false);
  log(`${engine} ${shape.dim}x${shape.count}: exact search ${fmt(exact.medianMs)} ms, HNSW ${fmt(hnsw.medianMs, 2)} ms (median)`);

  const closing = await timed(() => db.close());
  // A closed database's WebAssembly memories go with the next garbage collection; at a million rows
  // of dim 1536 two sets of them would not fit beside the graphs on this machine.
  collectGarbage();
  const opened = await timed(() => openDatabase({ path, logger }));
  const reopenedDb = opened.value;
  const again = reopenedDb.collection('bench');
  const first = await timed(() => again.search({ vector: qs[0]!, k: 10, exact: false, ef: CONFIG.ef, include: [] }));
  const loaded = await timed(() => again.indexed());
  const hnswAgain = await search(again, false);
  const exactAgain = await search(again, true);
  const reopenMemory = await settled();
  const reopen = {
    openSeconds: opened.ms / 1000,
    firstAnswerSeconds: (opened.ms + first.ms) / 1000,
    rowsLoadedSeconds: (opened.ms + first.ms + loaded.ms) / 1000,
    sameHnswAnswers: JSON.stringify(hnswAgain.tops) === JSON.stringify(hnsw.tops),
    sameExactAnswers: JSON.stringify(exactAgain.tops) === JSON.stringify(exact.tops),
    count: again.count,
    rss: reopenMemory.rss,
    wasm: reopenedDb.wasmMemoryBytes,
  };
  log(`${engine} ${shape.dim}x${shape.count}: close ${fmt(closing.ms / 1000)} s; reopen to first answer ${fmt(reopen.firstAnswerSeconds)} s, rows loaded at ${fmt(reopen.rowsLoadedSeconds)} s`);
  await reopenedDb.close();
  return {
    engine, dim: shape.dim, count: shape.count, ingestSeconds, buildSeconds, checkpoints,
    rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external, wasm,
    collectionMemory: info.memory, peakRss: peakRss(),
    hnswTop: hnsw.tops, hnswMedianMs: hnsw.medianMs, exactTop: exact.tops, exactMedianMs: exact.medianMs,
    closeSeconds: closing.ms / 1000, reopen, loadAverage: loadavg(),
  };
}

async function childMain(): Promise<void> {
  const args = JSON.parse(process.argv[process.argv.indexOf('--child') + 1]!) as { engine: Engine; shape: Shape; path: string };
  const result = args.engine === 'raw hnswlib' ? await rawChild(args.shape) : await quiverChild(args.shape, args.engine, args.path);
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
  process.exit(0);
}

function runChild(engine: Engine, shape: Shape, path: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', THIS_FILE, '--child', JSON.stringify({ engine, shape, path })], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line !== undefined) resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult);
      else reject(new Error(`${engine} ${shape.dim}x${shape.count} exited with ${code}:\n${stdout.slice(-2000)}\n${stderr.slice(-4000)}`));
    });
  });
}

// ------------------------------------------------------------ parent

interface ShapeRow {
  dim: number;
  count: number;
  engine: Engine;
  buildSeconds: number;
  ingestDocsPerSecond: number;
  rssGiB: number;
  rssVsRaw: number | null;
  /** RSS over raw hnswlib's with an empty Node process's RSS taken off both. */
  netRssVsRaw: number | null;
  wasmGiB: number | null;
  /** WebAssembly memory over the bytes of the vectors (f32) or codes and norms (int8) it holds. */
  wasmVsHeld: number | null;
  peakRssGiB: number;
  hnswRecallAt10: number | null;
  /** int8: the exact (int8 scan, f32 re-rank) top 10 against Quiver f32's exact top 10. */
  exactRecallAt10: number | null;
  hnswMedianMs: number;
  exactMedianMs: number | null;
  closeSeconds: number | null;
  reopenFirstAnswerSeconds: number | null;
  /** Until the exact index's rows are read back too (HNSW searches are answered before). */
  reopenRowsLoadedSeconds: number | null;
  reopenSameAnswers: boolean | null;
  reopenRssGiB: number | null;
}

function recallAt10(found: number[][], truth: number[][]): number {
  let hits = 0;
  found.forEach((top, q) => {
    const want = new Set(truth[q]);
    hits += top.filter((label) => want.has(label)).length;
  });
  return hits / (10 * found.length);
}

function heldBytes(engine: Engine, shape: Shape): number {
  return engine === 'Quiver int8' ? shape.count * (Math.ceil(shape.dim / 16) * 16 + 4) : shape.count * shape.dim * 4;
}

async function baselineRss(): Promise<number> {
  // An empty Node process with tsx, as every child runs: its RSS is the part no engine adds.
  const result = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '-e', 'globalThis.gc(); setTimeout(() => console.log(process.memoryUsage().rss), 100)'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', () => resolve(out.trim()));
  });
  return Number(result);
}

async function main(): Promise<void> {
  const machine = machineInfo(['hnswlib-node', 'better-sqlite3', 'assemblyscript', 'tsx']);
  log(`Quiver memory and scale benchmark${SMOKE ? ' (smoke)' : QUICK ? ' (--quick)' : ''}: ${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryGiB} GiB, Node ${machine.node}`);
  log(`shapes ${CONFIG.shapes.map((s) => `${s.dim}x${s.count.toLocaleString()}`).join(', ')}; HNSW m ${CONFIG.hnsw.m}, efConstruction ${CONFIG.hnsw.efConstruction}, ef ${CONFIG.ef}; ${CONFIG.queries} queries`);
  const baseline = await baselineRss();
  const rows: ShapeRow[] = [];
  const results: ChildResult[] = [];
  const targets: Target[] = [];
  for (const shape of CONFIG.shapes) {
    const vectorBytes = shape.count * shape.dim * 4;
    const tmp = mkdtempSync(join(tmpdir(), 'quiver-memory-'));
    const disk = statfsSync(tmp);
    // The store, its WAL and two snapshots of vectors and graph: about four times the vectors, at worst.
    if (disk.bavail * disk.bsize < 4.5 * vectorBytes) log(`warning: ${fmt((disk.bavail * disk.bsize) / GiB)} GiB free on disk for ${fmt(vectorBytes / GiB)} GiB of vectors`);
    if (freemem() < 2.3 * vectorBytes) log(`warning: ${fmt(freemem() / GiB)} GiB of memory available for ${fmt(vectorBytes / GiB)} GiB of vectors`);
    const byEngine = new Map<Engine, ChildResult>();
    try {
      for (const engine of ENGINES) {
        log(`--- ${engine}, ${shape.dim} x ${shape.count.toLocaleString()} (${fmt(vectorBytes / GiB, 2)} GiB of f32 vectors)`);
        const path = join(tmp, engine.replace(/\W+/g, '-'));
        const result = await runChild(engine, shape, path);
        rmSync(path, { recursive: true, force: true });
        byEngine.set(engine, result);
        results.push(result);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    const raw = byEngine.get('raw hnswlib')!;
    const truth = byEngine.get('Quiver f32')!.exactTop!;
    for (const engine of ENGINES) {
      const r = byEngine.get(engine)!;
      const quiver = engine !== 'raw hnswlib';
      rows.push({
        dim: shape.dim,
        count: shape.count,
        engine,
        buildSeconds: r.buildSeconds,
        ingestDocsPerSecond: shape.count / r.ingestSeconds,
        rssGiB: r.rss / GiB,
        rssVsRaw: quiver ? r.rss / raw.rss : null,
        netRssVsRaw: quiver ? (r.rss - baseline) / (raw.rss - baseline) : null,
        wasmGiB: r.wasm === null ? null : r.wasm / GiB,
        wasmVsHeld: r.wasm === null ? null : r.wasm / heldBytes(engine, shape),
        peakRssGiB: r.peakRss / GiB,
        hnswRecallAt10: recallAt10(r.hnswTop, truth),
        exactRecallAt10: r.exactTop ? recallAt10(r.exactTop, truth) : null,
        hnswMedianMs: r.hnswMedianMs,
        exactMedianMs: r.exactMedianMs,
        closeSeconds: r.closeSeconds,
        reopenFirstAnswerSeconds: r.reopen?.firstAnswerSeconds ?? null,
        reopenRowsLoadedSeconds: r.reopen?.rowsLoadedSeconds ?? null,
        reopenSameAnswers: r.reopen ? r.reopen.sameHnswAnswers && r.reopen.sameExactAnswers && r.reopen.count === shape.count : null,
        reopenRssGiB: r.reopen ? r.reopen.rss / GiB : null,
      });
    }
    const f32 = rows.at(-2)!;
    const int8 = rows.at(-1)!;
    const label = `${shape.dim} x ${shape.count.toLocaleString()}`;
    targets.push(
      { name: `${label}: Quiver f32 RSS / raw hnswlib`, value: f32.rssVsRaw!, target: `<= ${CONFIG.targets.rssF32}x`, met: f32.rssVsRaw! <= CONFIG.targets.rssF32 },
      { name: `${label}: Quiver int8 RSS / raw hnswlib`, value: int8.rssVsRaw!, target: `<= ${CONFIG.targets.rssInt8}x`, met: int8.rssVsRaw! <= CONFIG.targets.rssInt8 },
      { name: `${label}: Quiver f32 WebAssembly memory / vector bytes`, value: f32.wasmVsHeld!, target: `<= ${CONFIG.targets.wasm}x`, met: f32.wasmVsHeld! <= CONFIG.targets.wasm },
      { name: `${label}: Quiver int8 WebAssembly memory / code bytes`, value: int8.wasmVsHeld!, target: `<= ${CONFIG.targets.wasm}x`, met: int8.wasmVsHeld! <= CONFIG.targets.wasm },
      { name: `${label}: reopened with the same answers (f32 and int8)`, value: Number(f32.reopenSameAnswers === true && int8.reopenSameAnswers === true), target: '1 (both)', met: f32.reopenSameAnswers === true && int8.reopenSameAnswers === true },
    );
    printShape(rows.filter((r) => r.dim === shape.dim && r.count === shape.count));
  }

  const notes = [
    `Vectors: embedding-like (bench/lib/datasets.ts embeddingModel, rank 16, 8 clusters, uniform noise), cosine, seed ${CONFIG.seed}; ${CONFIG.queries} queries from the same model.`,
    `Graph: m ${CONFIG.hnsw.m}, efConstruction ${CONFIG.hnsw.efConstruction} for every engine (cheap, to build the largest shapes in minutes); searches at ef ${CONFIG.ef}.`,
    'raw hnswlib: one child adding every vector with addPoint on one thread (hnswlib-node has no parallel add). Quiver: openDatabase({ path }) with the defaults (a worker thread per core), upserts of 2,000, then indexed().',
    'RSS after full GCs, in each engine\'s own child process; netRssVsRaw takes the RSS of an empty Node process with tsx off both sides. WebAssembly memory is every heap\'s linear memory; "held" is the f32 vectors, or the int8 codes (padded to 16 bytes) and their 4-byte norms.',
    'Recall@10: each engine\'s HNSW top 10 against Quiver f32\'s exact top 10. Reopen: close() (a snapshot), then openDatabase again in the same process: first HNSW answer, vector rows read back, and the same top 10s as before the close.',
  ];
  const path = writeResults('memory.json', { machine, config: CONFIG, baselineRss: baseline, rows, results: results.map(({ hnswTop: _h, exactTop: _e, ...rest }) => rest), targets, notes });
  const met = targets.filter((t) => t.met).length;
  log(`targets met: ${met} of ${targets.length}`);
  for (const t of targets.filter((x) => !x.met)) log(`  not met: ${t.name}: ${String(t.value)} (target ${t.target ?? ''})`);
  log(`JSON: ${path}`);
}

function printShape(rows: ShapeRow[]): void {
  const first = rows[0]!;
  process.stdout.write(`\n${formatTable(
    `${first.dim} x ${first.count.toLocaleString()}: memory against raw hnswlib-node (m ${CONFIG.hnsw.m}, efConstruction ${CONFIG.hnsw.efConstruction}), load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    ['engine', 'build s', 'ingest docs/s', 'RSS GiB', 'x raw', 'net x raw', 'WASM GiB', 'WASM / held', 'peak GiB', 'HNSW recall@10', 'exact recall@10', 'HNSW ms', 'exact ms', 'close s', 'reopen: 1st answer s', 'rows loaded s', 'same answers'],
    rows.map((r) => [
      r.engine, fmt(r.buildSeconds), fmt(r.ingestDocsPerSecond), fmt(r.rssGiB, 2), r.rssVsRaw === null ? '-' : fmt(r.rssVsRaw, 2), r.netRssVsRaw === null ? '-' : fmt(r.netRssVsRaw, 2),
      r.wasmGiB === null ? '-' : fmt(r.wasmGiB, 2), r.wasmVsHeld === null ? '-' : fmt(r.wasmVsHeld, 3), fmt(r.peakRssGiB, 2),
      r.hnswRecallAt10 === null ? '-' : fmt(r.hnswRecallAt10, 3), r.exactRecallAt10 === null ? '-' : fmt(r.exactRecallAt10, 3),
      fmt(r.hnswMedianMs, 2), r.exactMedianMs === null ? '-' : fmt(r.exactMedianMs), r.closeSeconds === null ? '-' : fmt(r.closeSeconds),
      r.reopenFirstAnswerSeconds === null ? '-' : fmt(r.reopenFirstAnswerSeconds, 2), r.reopenRowsLoadedSeconds === null ? '-' : fmt(r.reopenRowsLoadedSeconds, 2),
      r.reopenSameAnswers === null ? '-' : String(r.reopenSameAnswers),
    ]),
  )}\n`);
}

if (process.argv.includes('--child')) await childMain();
else await main();
