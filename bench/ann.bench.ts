/**
 * Approximate nearest neighbour benchmark: `npm run bench:ann [-- --quick]`.
 *
 * 1. Recall@10 and QPS across ef on TEXMEX siftsmall (10k x 128, l2, the
 *    published ground truth) and on a seeded embedding-like set (100k x 128,
 *    cosine; 20k with --quick; ground truth by a float64 brute force, cross-
 *    checked against Quiver's `exact: true`). Side by side on the same data
 *    with the same M, efConstruction and ef: Quiver through the library API,
 *    raw hnswlib-node HierarchicalNSW, and usearch (f32; installed in
 *    bench/peers with the other peers, and skipped with the reason without
 *    it, as they are). Build time and
 *    memory per engine. Raw hnswlib-node is built twice, before and after
 *    Quiver: identical graphs in different memory search up to 10% apart
 *    (at 100k rows), so the QPS target is held against both copies' mean
 *    and the copies' own ratio is printed beside it.
 * 2. Filtered search on the synthetic set at 50%, 10%, 1% and 0.1%
 *    selectivity (`bucket = i % 1000`, filter `bucket < x`; the buckets are
 *    independent of the vectors): Quiver with its planner against raw
 *    hnswlib-node with a JavaScript filter callback at ef 64.
 * 3. Planner calibration: the exact scan over candidate sets of 100 .. 100k,
 *    unfiltered and filtered HNSW, each forced with `exact`, converted to the
 *    planner's units next to its defaults, and whether the planner's choice
 *    at each selectivity was the faster plan.
 * 4. Peers on the same data in the same run (bench/ann-peers.ts):
 *    hnswlib-wasm timed with the three engines above at every ef; the exact
 *    engines @orama/orama and vectra, with Quiver `exact: true` beside them,
 *    over the first `exactQueries` queries. A peer that fails to load or
 *    build is recorded in `engines` with the reason. Per-query latency
 *    percentiles of every engine (HNSW engines at ef `latencyEf`).
 *    Engines installed on demand in bench/peers (`npm run bench:peers`;
 *    skipped, with "not installed: run npm run bench:peers", without it):
 *    LanceDB IVF_HNSW_SQ (numPartitions 1, same M / efConstruction, 8-bit
 *    SQ) without refine and with refineFactor 2, on one table and index, and
 *    Chroma (its Rust server from the chromadb npm package in a child process
 *    on 127.0.0.1; HNSW with max_neighbors = M, same ef_construction), all
 *    swept across the same ef with the others, one query at a time from one
 *    client. LanceDB's ef must be >= refineFactor x k, so "refine 2" starts
 *    at ef 20. Chroma applies a new ef_search only when its server loads the
 *    collection: each ef is set with collection.modify, then the server is
 *    restarted on the same data (outside timing). Chroma searches in its
 *    server process, so its QPS is by wall clock; LanceDB's by this
 *    process's CPU time (its threads included) like the others. Build time
 *    and "reopen to first answer" per peer (LanceDB: open the table from disk
 *    in a fresh Node process and answer one query; Chroma: restart the
 *    server on its data and answer one query) are in `builds`.
 * 5. The default path (bench/default-path.ts, issue 17): one query after
 *    another with `openDatabase()`'s defaults (and `workers: 0`, and
 *    `include: []`) against raw hnswlib-node on 20,000 x 128.
 *
 * `curves`, `latency` and `engines` in the JSON hold every engine in one
 * shape for the suite's report (bench/report-md.ts). Without siftsmall
 * (../shared/data) that data set is skipped with the reason; with
 * QUIVER_BENCH_SMOKE=1 only a tiny synthetic set runs.
 *
 * All data is seeded and built before any timed function. Every timed
 * function rotates through the query set: each sample runs whole passes
 * over the same queries for every engine, after a warm-up, with the
 * competing engines' samples interleaved, and each QPS is the median of the
 * samples (`measurePasses` below; tables, progress, machine facts and JSON
 * come from bench/report.ts). Recall passes run after the timed runs. Each
 * timed section also records the share of wall time this process was on a
 * CPU, so a run on a busy machine says so. Results: printed tables,
 * bench/results/ann.json and bench/results/ann-recall-qps.svg.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import { defaultPathSection, type DefaultPathResult } from './default-path.js';
import { quiverReopen } from './quiver-reopen.js';
import { PEERS, isUnavailable, metricNote, reasonOf, type Peer, type PeerDataset, type PeerIndex, type Reopened } from './ann-peers.js';
import { loadUsearch, type UsearchIndex, type UsearchModule } from './peers/js-peers.js';
import { missingPeers } from './peers/load.js';
import {
  DEFAULT_FILTERED_NS_PER_EF,
  DEFAULT_HNSW_NS_PER_EF,
  DEFAULT_SCAN_NS_PER_FLOAT,
  Planner,
  filteredEf,
} from '../src/core/query/planner.js';
import { openDatabase, type Collection, type Database } from '../src/index.js';
import { embeddingModel, loadSiftsmall, rowsOf } from './datasets.js';
import {
  collectGarbage,
  createProgress,
  fmt,
  formatTable,
  machineInfo,
  median,
  quickMode,
  REPO_ROOT,
  RESULTS_DIR,
  SMOKE,
  spread,
  writeResults,
  type Cell,
  type Timing,
  type TimingOptions,
} from './report.js';

const QUICK = quickMode();
const SYNTHETIC_COUNT = SMOKE ? 2_000 : QUICK ? 20_000 : 100_000;
const SMOKE_TIMING = { warmupMs: 5, minSampleMs: 5, samples: 3 } satisfies TimingOptions;

const CONFIG = {
  quick: QUICK,
  smoke: SMOKE,
  k: 10,
  hnsw: { m: 16, efConstruction: 200, seed: 100 },
  efs: SMOKE ? [10, 64] : [10, 16, 32, 64, 128, 256],
  /** siftsmall is skipped in a smoke run (10k rows with efConstruction 200 take seconds per engine). */
  siftsmall: !SMOKE,
  synthetic: {
    count: SYNTHETIC_COUNT, dim: 128, queries: SMOKE ? 40 : 200, metric: 'cosine' as const,
    model: { rank: 16, clusters: 8, clusterSpread: 1.5, noise: 0.25, offset: 0.5, seed: 7 },
    dataSeed: 1, querySeed: 2,
  },
  buckets: 1000,
  /** `bucket < lt` selects lt / 1000 of the documents. */
  selectivities: [
    { name: 'none (no filter)', lt: null, required: false },
    { name: '100% (filter)', lt: 1000, required: false },
    { name: '50%', lt: 500, required: true },
    { name: '10%', lt: 100, required: true },
    { name: '1%', lt: 10, required: true },
    { name: '0.1%', lt: 1, required: true },
  ],
  filteredEf: 64,
  upsertBatch: 5_000,
  threads: 1,
  /** Each sample runs whole passes over the query set (see measurePasses). */
  timing: (SMOKE ? SMOKE_TIMING : QUICK ? { warmupMs: 60, minSampleMs: 30, samples: 7 } : { warmupMs: 150, minSampleMs: 60, samples: 11 }) satisfies TimingOptions,
  /**
   * Filtered HNSW at 1% and 0.1% takes tens of milliseconds a query: those cases time passes over
   * the first `slowQueries` queries only, fewer samples (recall still uses every query).
   */
  /** Section 2 (four engines per case, exact scans of up to 100k rows): fewer samples to keep the run short. */
  filterTiming: (SMOKE ? SMOKE_TIMING : QUICK ? { warmupMs: 60, minSampleMs: 30, samples: 5 } : { warmupMs: 150, minSampleMs: 60, samples: 7 }) satisfies TimingOptions,
  slowTiming: (SMOKE ? SMOKE_TIMING : QUICK ? { warmupMs: 0, minSampleMs: 30, samples: 5 } : { warmupMs: 0, minSampleMs: 60, samples: 5 }) satisfies TimingOptions,
  slowQueries: 20,
  slowRecallQueries: 50,
  /** Queries per selectivity when the planner is asked again at the end. */
  recheckQueries: 5,
  targets: { qpsRatio: 0.9, recallTolerance: 0.01, filteredRecall: 0.95, filteredSpeedup: 20, filteredAt: '1%' },
  /**
   * Section 4: the exact engines (brute force: Orama and vectra take 15-20 ms a query at 20k rows, about
   * 5x that at 100k) time and score the first `exactQueries` queries (recall is 1 wherever they rank by the data set's metric).
   */
  exactQueries: SMOKE ? 20 : 100,
  exactTiming: (SMOKE ? SMOKE_TIMING : QUICK ? { warmupMs: 0, minSampleMs: 30, samples: 3 } : { warmupMs: 0, minSampleMs: 60, samples: 5 }) satisfies TimingOptions,
  /** Per-query latency percentiles: HNSW engines at this ef, each query timed alone, `latencyPasses` passes over the queries. */
  latencyEf: 64,
  latencyPasses: SMOKE ? 1 : 3,
  /** Rows above which a peer is not built (recorded as skipped with the reason); vectra writes all vectors as JSON text. */
  peerMaxCount: { 'hnswlib-wasm': null, orama: null, vectra: QUICK ? 20_000 : 100_000 } as Record<string, number | null>,
} as const;

const progress = createProgress();
const log = progress.log;
const notes: string[] = [];
/** Keeps results observable so no timed work can be optimised away. */
let sink = 0;
/** usearch, loaded from bench/peers at the start of main (null when it cannot load: see `usearchStatus`). */
let usearch: UsearchModule | null = null;
/** Why usearch is not in this run (skipped: not installed; failed: it did not load), or null when it is. */
let usearchStatus: { status: 'skipped' | 'failed'; reason: string } | null = null;


// ============================================================ data & ground truth

/** `queryArrays`: the queries as number[] for hnswlib-node (converted once, outside every timed loop). */
interface Dataset extends PeerDataset {
  /** Exact top-k labels per query (unfiltered). */
  truth: Int32Array[];
  truthSource: string;
}

/**
 * Float64 brute force: for every query, the top-k labels among all rows
 * and among the rows each mask allows. Cosine divides by both norms.
 */
function bruteForce(
  base: Float32Array, dim: number, metric: 'l2' | 'cosine', queries: Float32Array[], k: number,
  masks: (Uint8Array | null)[], what: string,
): Int32Array[][] {
  const count = base.length / dim;
  const inverseNorms = new Float64Array(count);
  if (metric === 'cosine') {
    for (let i = 0; i < count; i++) {
      let sum = 0;
      for (let d = 0; d < dim; d++) sum += base[i * dim + d]! * base[i * dim + d]!;
      inverseNorms[i] = 1 / Math.sqrt(sum);
    }
  }
  const out: Int32Array[][] = masks.map(() => []);
  const scores = new Float64Array(count);
  const q64 = new Float64Array(dim);
  const step = Math.max(1, Math.floor(queries.length / 4));
  for (let qi = 0; qi < queries.length; qi++) {
    const q = queries[qi]!;
    for (let d = 0; d < dim; d++) q64[d] = q[d]!;
    for (let i = 0; i < count; i++) {
      const row = i * dim;
      let s = 0;
      if (metric === 'cosine') {
        for (let d = 0; d < dim; d++) s += q64[d]! * base[row + d]!;
        scores[i] = s * inverseNorms[i]!;
      } else {
        for (let d = 0; d < dim; d++) {
          const diff = q64[d]! - base[row + d]!;
          s += diff * diff;
        }
        scores[i] = -s;
      }
    }
    masks.forEach((mask, m) => out[m]!.push(selectTopK(scores, k, mask)));
    if ((qi + 1) % step === 0) log(`${what}: brute-force ground truth ${Math.round(((qi + 1) / queries.length) * 100)}%`);
  }
  return out;
}

/** Labels of the k highest scores among those the mask allows, best first (ties: lower label first). */
function selectTopK(scores: Float64Array, k: number, mask: Uint8Array | null): Int32Array {
  const topScores = new Float64Array(k).fill(-Infinity);
  const topLabels = new Int32Array(k).fill(-1);
  let filled = 0;
  for (let i = 0; i < scores.length; i++) {
    if (mask && mask[i] !== 1) continue;
    const s = scores[i]!;
    if (filled === k && s <= topScores[k - 1]!) continue;
    let j = filled < k ? filled++ : k - 1;
    while (j > 0 && topScores[j - 1]! < s) {
      topScores[j] = topScores[j - 1]!;
      topLabels[j] = topLabels[j - 1]!;
      j--;
    }
    topScores[j] = s;
    topLabels[j] = i;
  }
  return topLabels.subarray(0, filled);
}

/** |got ∩ truth| / |truth| (truth of at most k labels). */
function recallOf(got: ArrayLike<number>, truth: ArrayLike<number>): number {
  if (truth.length === 0) return 1;
  const set = new Set<number>(Array.from(truth));
  let hits = 0;
  for (let i = 0; i < got.length; i++) if (set.has(got[i]!)) hits++;
  return hits / truth.length;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

function qps(timing: Timing): number {
  return 1e9 / timing.medianNs;
}

// ============================================================ memory

interface MemorySnapshot {
  rss: number;
  heapUsed: number;
  external: number;
  wasm: number;
}

function memory(): MemorySnapshot {
  collectGarbage();
  collectGarbage();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, wasm: quiverWasmBytes() };
}

/** WebAssembly memory of the Quiver database under test, once it is open. */
let quiverWasmBytes = (): number => 0;

const MB = 2 ** 20;

// ============================================================ engines & builds

interface BuildRow {
  dataset: string;
  /** Quiver, hnswlib, usearch, or a peer's name (bench/ann-peers.ts). */
  engine: string;
  count: number;
  /** Wall-clock build time, and this process's CPU time over it (the same on an idle machine). */
  seconds: number;
  cpuSeconds: number;
  docsPerSecond: number;
  /** Process RSS growth over the build, after forced GC (MiB). */
  rssDeltaMiB: number;
  heapDeltaMiB: number;
  /** The engine's own figure, where it has one: serialized index size, or WASM arena growth (MiB). */
  engineSizeMiB: number | null;
  engineSizeWhat: string;
  /** Peers that can: seconds to open the index again from disk and answer one query (a fresh process where cheap), and what was timed. */
  reopenSeconds?: number | null;
  reopenWhat?: string | null;
  /** The first query filtered to one bucket of ten, right after that reopen's first answer (seconds). */
  firstFilteredSeconds?: number | null;
}

interface Engines {
  quiver: Collection;
  hnsw: hnswlib.HierarchicalNSW;
  /**
   * A second raw hnswlib-node index, identical to `hnsw` (same rows, order,
   * seed) but in other memory. Identical graphs search at speeds up to 10%
   * apart at 100k rows, depending only on where their pages landed and
   * steady within a process: Quiver's ratio is taken against both copies.
   */
  hnswCopy: hnswlib.HierarchicalNSW;
  /** usearch's saved index, or null when usearch is not in this run. */
  usearchFile: string | null;
  builds: BuildRow[];
}

function makeUsearch(us: UsearchModule, ds: Dataset, ef: number): UsearchIndex {
  return new us.Index({
    dimensions: ds.dim,
    metric: ds.metric === 'l2' ? us.MetricKind.L2sq : us.MetricKind.Cos,
    quantization: us.ScalarKind.F32,
    connectivity: CONFIG.hnsw.m,
    expansion_add: CONFIG.hnsw.efConstruction,
    expansion_search: ef,
    multi: false,
  });
}

function tenths(count: number, done: number, last: { tenth: number }, what: string, started: number): void {
  const tenth = Math.floor((done / count) * 10);
  if (tenth > last.tenth) {
    last.tenth = tenth;
    const seconds = (performance.now() - started) / 1000;
    log(`${what}: ${tenth * 10}% (${done.toLocaleString()} / ${count.toLocaleString()}, ${seconds.toFixed(1)} s)`);
  }
}

async function buildEngines(db: Database, ds: Dataset, tmp: string, metadata: boolean): Promise<Engines> {
  const { dim, count } = ds;
  const { m, efConstruction } = CONFIG.hnsw;
  const builds: BuildRow[] = [];

  // usearch: single-threaded like the other two, so build times compare.
  // Its JS API has no setter for expansion_search: the index is saved here and each ef loads it into an Index built with that ef.
  const usearchFile = usearch ? join(tmp, `${ds.name}.usearch`) : null;
  if (usearch && usearchFile) {
    const what = `${ds.name}: usearch build (${CONFIG.threads} thread)`;
    const before = memory();
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const index = makeUsearch(usearch, ds, 64);
    const keys = new BigUint64Array(count);
    for (let i = 0; i < count; i++) keys[i] = BigInt(i);
    const chunk = Math.ceil(count / 10);
    const last = { tenth: 0 };
    for (let s = 0; s < count; s += chunk) {
      const e = Math.min(count, s + chunk);
      index.add(keys.subarray(s, e), ds.base.subarray(s * dim, e * dim), CONFIG.threads);
      tenths(count, e, last, what, started);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuUsed = process.cpuUsage(cpuStarted);
    const cpuSeconds = (cpuUsed.user + cpuUsed.system) / 1e6;
    const after = memory();
    const file = usearchFile;
    index.save(file);
    builds.push({
      dataset: ds.name, engine: 'usearch', count, seconds, cpuSeconds, docsPerSecond: count / seconds,
      rssDeltaMiB: (after.rss - before.rss) / MB, heapDeltaMiB: (after.heapUsed - before.heapUsed) / MB,
      engineSizeMiB: statSync(file).size / MB, engineSizeWhat: 'saved index file',
    });
    sink += index.size();
  }

  let hnsw: hnswlib.HierarchicalNSW;
  {
    const before = memory();
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    hnsw = buildRawHnsw(ds, `${ds.name}: hnswlib-node build`);
    const seconds = (performance.now() - started) / 1000;
    const cpuUsed = process.cpuUsage(cpuStarted);
    const cpuSeconds = (cpuUsed.user + cpuUsed.system) / 1e6;
    const after = memory();
    const file = join(tmp, `${ds.name}.hnswlib`);
    hnsw.writeIndexSync(file);
    builds.push({
      dataset: ds.name, engine: 'hnswlib', count, seconds, cpuSeconds, docsPerSecond: count / seconds,
      rssDeltaMiB: (after.rss - before.rss) / MB, heapDeltaMiB: (after.heapUsed - before.heapUsed) / MB,
      engineSizeMiB: statSync(file).size / MB, engineSizeWhat: 'writeIndex file',
    });
    rmSync(file);
  }

  // Quiver through the public API: upsert in batches (store + WASM arena + HNSW graph + metadata index).
  let quiver: Collection;
  {
    const what = `${ds.name}: Quiver upsert`;
    const before = memory();
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    quiver = await db.createCollection(`ann_${ds.name.replace(/[^A-Za-z0-9]/g, '_')}`, {
      dimension: dim, metric: ds.metric, hnsw: { m, efConstruction, ef: 64 },
    });
    const last = { tenth: 0 };
    for (let s = 0; s < count; s += CONFIG.upsertBatch) {
      const e = Math.min(count, s + CONFIG.upsertBatch);
      const docs = [];
      for (let i = s; i < e; i++) {
        docs.push(metadata
          ? { id: String(i), vector: ds.base.subarray(i * dim, (i + 1) * dim), metadata: { bucket: i % CONFIG.buckets } }
          : { id: String(i), vector: ds.base.subarray(i * dim, (i + 1) * dim) });
      }
      await quiver.upsert(docs);
      tenths(count, e, last, what, started);
    }
    // What the README tells users to do after a bulk load; its time counts in the build's.
    const laid = await quiver.optimize();
    log(`${what}: optimize laid out ${laid.segments} segment(s), ${fmt(laid.bytes / MB)} MiB, in ${laid.seconds.toFixed(2)} s`);
    const seconds = (performance.now() - started) / 1000;
    const cpuUsed = process.cpuUsage(cpuStarted);
    const cpuSeconds = (cpuUsed.user + cpuUsed.system) / 1e6;
    const after = memory();
    builds.push({
      dataset: ds.name, engine: 'Quiver', count, seconds, cpuSeconds, docsPerSecond: count / seconds,
      rssDeltaMiB: (after.rss - before.rss) / MB, heapDeltaMiB: (after.heapUsed - before.heapUsed) / MB,
      engineSizeMiB: (after.wasm - before.wasm) / MB, engineSizeWhat: 'WASM arena growth (vectors only)',
    });
  }
  // Built after Quiver's graph, as the first copy was before it: neither side gets the luckier memory by build order.
  const hnswCopy = buildRawHnsw(ds, `${ds.name}: hnswlib-node build, second copy (placement control)`);
  return { quiver, hnsw, hnswCopy, usearchFile, builds };
}

/** Raw hnswlib-node over `ds`: one reused number[] per row, as hnswlib-node requires number[]. */
function buildRawHnsw(ds: Dataset, what: string): hnswlib.HierarchicalNSW {
  const { dim, count } = ds;
  const { m, efConstruction, seed } = CONFIG.hnsw;
  const started = performance.now();
  const hnsw = new hnswlib.HierarchicalNSW(ds.metric === 'l2' ? 'l2' : 'cosine', dim);
  hnsw.initIndex({ maxElements: count, m, efConstruction, randomSeed: seed });
  const scratch = new Array<number>(dim).fill(0);
  const last = { tenth: 0 };
  for (let i = 0; i < count; i++) {
    const row = i * dim;
    for (let d = 0; d < dim; d++) scratch[d] = ds.base[row + d]!;
    hnsw.addPoint(scratch, i);
    if ((i + 1) % 1000 === 0 || i + 1 === count) tenths(count, i + 1, last, what, started);
  }
  return hnsw;
}

// ============================================================ timing by whole passes

interface PassTiming extends Timing {
  /** Queries in one pass (the rotation). */
  queries: number;
  passesPerSample: number;
  /** The same samples by wall clock (ns per query); `medianNs` and friends are by process CPU time. */
  wallMedianNs: number;
  wallSamplesNs: number[];
}

interface PassTimings<K extends string> {
  timings: Record<K, PassTiming>;
  /** Process CPU time / wall time over the samples (about 1 when this process had a core to itself). */
  cpuShare: number;
}

const contention: { what: string; cpuShare: number }[] = [];

/**
 * Like report.ts `measureInterleaved`, but every sample runs whole passes
 * over the same `queries` queries for every engine, so all engines are timed
 * on exactly the same query mix; samples interleave in a rotating order.
 * Each engine is first warmed up (at least one pass and `warmupMs`), which
 * also calibrates the passes per sample. Times are per query.
 *
 * Each sample is timed twice: by wall clock and by this process's CPU time
 * (`process.cpuUsage`, microsecond resolution). Every engine searches on
 * the calling thread (usearch with threads = 1), so on an idle machine the
 * two agree (CPU share ~100%); when other processes take the CPU, wall time
 * counts the time this process waited and CPU time does not. Medians by CPU
 * time are the primary figures; wall-clock medians are kept beside them.
 */
async function measurePasses<K extends string>(
  what: string, fns: Record<K, (q: number) => unknown>, queries: number, options: TimingOptions,
  /** Engines whose search runs in another process (a server): left out of the CPU share, where their waiting would read as contention. */
  outOfProcess: ReadonlySet<string> = new Set(),
): Promise<PassTimings<K>> {
  const warmupMs = options.warmupMs ?? 100;
  const minSampleMs = options.minSampleMs ?? 40;
  const samples = options.samples ?? 7;
  const names = Object.keys(fns) as K[];
  const runPass = async (fn: (q: number) => unknown) => {
    for (let q = 0; q < queries; q++) {
      const result = fn(q);
      if (result instanceof Promise) await result;
    }
  };
  const passesPerSample = new Map<K, number>();
  for (const name of names) {
    let passes = 0;
    const start = performance.now();
    do {
      await runPass(fns[name]);
      passes++;
    } while (performance.now() - start < warmupMs);
    const passMs = (performance.now() - start) / passes;
    passesPerSample.set(name, Math.max(1, Math.ceil(minSampleMs / passMs)));
  }
  const wallNs = new Map<K, number[]>(names.map((name) => [name, []]));
  const cpuNs = new Map<K, number[]>(names.map((name) => [name, []]));
  let wallTotal = 0;
  let cpuTotal = 0;
  for (let s = 0; s < samples; s++) {
    for (let n = 0; n < names.length; n++) {
      const name = names[(n + s) % names.length]!;
      const passes = passesPerSample.get(name)!;
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      for (let p = 0; p < passes; p++) await runPass(fns[name]);
      const wallMs = performance.now() - start;
      const cpu = process.cpuUsage(cpuStart);
      const cpuMs = (cpu.user + cpu.system) / 1e3;
      if (!outOfProcess.has(name)) {
        wallTotal += wallMs;
        cpuTotal += cpuMs;
      }
      wallNs.get(name)!.push((wallMs * 1e6) / (passes * queries));
      cpuNs.get(name)!.push((cpuMs * 1e6) / (passes * queries));
    }
  }
  const cpuShare = cpuTotal / wallTotal;
  contention.push({ what, cpuShare });
  if (cpuShare < 0.9) {
    log(`warning: ${what}: this process ran only ${(cpuShare * 100).toFixed(0)}% of the wall time (another process competes for the CPU); QPS by CPU time`);
  }
  const timings = {} as Record<K, PassTiming>;
  for (const name of names) {
    const list = cpuNs.get(name)!;
    const wall = wallNs.get(name)!;
    timings[name] = {
      medianNs: median(list), minNs: Math.min(...list), maxNs: Math.max(...list),
      callsPerSample: passesPerSample.get(name)! * queries, samplesNs: list,
      queries, passesPerSample: passesPerSample.get(name)!,
      wallMedianNs: median(wall), wallSamplesNs: wall,
    };
  }
  return { timings, cpuShare };
}

/** Integers as right-aligned strings (formatTable prints small numbers with decimals). */
function ints(values: readonly (number | null)[]): string[] {
  const text = values.map((v) => (v === null ? '-' : String(Math.round(v))));
  const width = Math.max(...text.map((t) => t.length));
  return text.map((t) => t.padStart(width));
}

// ============================================================ 1. recall / QPS sweep

interface SweepRow {
  dataset: string;
  ef: number;
  /** usearch: null when it is not in this run (engines says why). */
  recall: { quiver: number; hnswlib: number; usearch: number | null };
  qps: { quiver: number; hnswlib: number; usearch: number | null; hnswlibCopy: number };
  /** Quiver QPS / raw hnswlib QPS (by CPU time; see measurePasses). */
  ratio: number;
  /** The second raw copy's QPS / the first's: how far identical graphs differ by where they sit in memory. */
  copyRatio: number;
  /** Quiver QPS / the mean QPS of both raw copies: the figure the target is held to. */
  ratioVsCopies: number;
  /** The same by wall clock. */
  wallRatio: number;
  /** Median µs per query: Quiver end-to-end minus raw hnswlib. */
  quiverOverheadUs: number;
  /** Median of Quiver's own `explain.timings.search` (the graph search + re-score), µs. */
  quiverSearchStageUs: number;
  /** Median `explain.timings.filter` (validation, normalisation, filter evaluation), µs. */
  quiverFilterStageUs: number;
  quiverPlans: string;
  spreads: { quiver: number; hnswlib: number; usearch: number | null };
  cpuShare: number;
  timings: { quiver: PassTiming; hnswlib: PassTiming; usearch: PassTiming | null };
  /** HNSW peers (bench/ann-peers.ts) timed in the same interleaved samples, by engine name. */
  peers: Record<string, PeerPoint>;
}

interface PeerPoint {
  recall: number;
  /** By CPU time, as the three engines above; `wallQps` by wall clock. */
  qps: number;
  wallQps: number;
  spread: number;
  timing: PassTiming;
}

/** A peer engine built on one data set. */
interface BuiltPeer {
  peer: Peer;
  index: PeerIndex;
}

/** Whether each engine ran on each data set, and if not, why (JSON `engines`). */
interface EngineStatus {
  dataset: string;
  engine: string;
  package: string | null;
  version: string | null;
  status: 'ok' | 'failed' | 'skipped';
  reason: string | null;
  kind: 'hnsw' | 'exact';
  index: string;
  notes: string[];
}

/** Per-query latency over whole passes of the query set, each query timed alone (µs, wall clock). */
interface LatencyRow {
  dataset: string;
  engine: string;
  /** Search ef for HNSW engines; null for exact engines. */
  ef: number | null;
  queries: number;
  samples: number;
  p50Us: number;
  p95Us: number;
  p99Us: number;
  meanUs: number;
  maxUs: number;
}

/** One exact engine on one data set (section 4). */
interface ExactRow {
  dataset: string;
  engine: string;
  queries: number;
  recall: number;
  qps: number;
  wallQps: number;
  spread: number;
  cpuShare: number;
  timing: PassTiming;
}

const engineStatuses: EngineStatus[] = [];
const latencyRows: LatencyRow[] = [];

function percentileOf(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function latencyRow(dataset: string, engine: string, ef: number | null, queries: number, us: number[]): LatencyRow {
  const sorted = [...us].sort((a, b) => a - b);
  return {
    dataset, engine, ef, queries, samples: sorted.length,
    p50Us: percentileOf(sorted, 0.5), p95Us: percentileOf(sorted, 0.95), p99Us: percentileOf(sorted, 0.99),
    meanUs: mean(sorted), maxUs: sorted[sorted.length - 1]!,
  };
}

/**
 * Per-query latency: `passes` passes over the queries; for each query every
 * engine runs once, in an order that rotates every query, each call timed alone.
 */
async function latencyPercentiles(
  ds: Dataset, ef: number | null, fns: Record<string, (q: number) => unknown>, queries: number, passes: number,
): Promise<LatencyRow[]> {
  const names = Object.keys(fns);
  const us = new Map<string, number[]>(names.map((name) => [name, []]));
  for (let p = 0; p < passes; p++) {
    for (let q = 0; q < queries; q++) {
      for (let n = 0; n < names.length; n++) {
        const name = names[(n + q + p) % names.length]!;
        const start = performance.now();
        const result = fns[name]!(q);
        if (result instanceof Promise) await result;
        us.get(name)!.push((performance.now() - start) * 1e3);
      }
    }
  }
  return names.map((name) => latencyRow(ds.name, name, ef, queries, us.get(name)!));
}

/**
 * Quiver's reopen to first answer and first filtered query on `ds`, beside
 * the peers' (bench/quiver-reopen.ts): set on Quiver's build row.
 */
async function quiverReopenOn(ds: Dataset, builds: BuildRow[], tmp: string): Promise<void> {
  const row = builds.find((b) => b.dataset === ds.name && b.engine === 'Quiver');
  if (!row) return;
  try {
    const reopen = await quiverReopen({
      path: join(tmp, `quiver-reopen-${ds.name.replace(/[^A-Za-z0-9]/g, '_')}`), base: ds.base, dim: ds.dim, metric: ds.metric,
      hnsw: CONFIG.hnsw, query: ds.queries[0]!, k: CONFIG.k, log: (message) => log(`${ds.name}: ${message}`),
    });
    Object.assign(row, { reopenSeconds: reopen.seconds, reopenWhat: reopen.what, firstFilteredSeconds: reopen.firstFilteredSeconds });
  } catch (error) {
    row.reopenWhat = `failed: ${reasonOf(error)}`;
  }
}

/** Builds every peer on `ds`; one that throws is recorded as failed and left out. */
async function buildPeers(ds: Dataset, tmp: string): Promise<{ built: BuiltPeer[]; builds: BuildRow[] }> {
  const built: BuiltPeer[] = [];
  const builds: BuildRow[] = [];
  for (const peer of PEERS) {
    const status: EngineStatus = {
      dataset: ds.name, engine: peer.engine, package: peer.package, version: peer.version ? peer.version() : packageVersionOf(peer.package),
      status: 'ok', reason: null, kind: peer.kind, index: peer.index, notes: [],
    };
    const note = metricNote(peer, ds);
    if (note) status.notes.push(note);
    engineStatuses.push(status);
    const unavailable = peer.unavailable?.() ?? null;
    if (unavailable !== null) {
      status.status = 'skipped';
      status.reason = unavailable;
      log(`${ds.name}: ${peer.engine} skipped: ${unavailable}`);
      continue;
    }
    const limit = CONFIG.peerMaxCount[peer.engine] ?? null;
    if (limit !== null && ds.count > limit) {
      status.status = 'skipped';
      status.reason = `${ds.count.toLocaleString()} rows is above the ${limit.toLocaleString()} this benchmark builds ${peer.engine} with${QUICK ? ' in --quick' : ''}`;
      log(`${ds.name}: ${peer.engine} skipped: ${status.reason}`);
      continue;
    }
    try {
      const before = memory();
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      const index = await peer.build(ds, { k: CONFIG.k, ...CONFIG.hnsw, tmp, log });
      const seconds = (performance.now() - started) / 1000;
      const cpuUsed = process.cpuUsage(cpuStarted);
      const after = memory();
      // A first search proves the index answers before it is timed.
      await index.search(0);
      let reopen: Reopened | null = null;
      if (index.reopen) {
        try {
          reopen = await index.reopen();
          log(`${ds.name}: ${peer.engine} reopen to first answer ${reopen.seconds.toFixed(3)} s, first filtered query ${reopen.firstFilteredSeconds?.toFixed(3) ?? '-'} s`);
        } catch (error) {
          status.notes.push(`reopen to first answer failed: ${reasonOf(error)}`);
        }
      }
      if (index.sharesBuildOf === undefined) {
        builds.push({
          dataset: ds.name, engine: peer.engine, count: ds.count, seconds, cpuSeconds: (cpuUsed.user + cpuUsed.system) / 1e6,
          docsPerSecond: ds.count / seconds, rssDeltaMiB: (after.rss - before.rss) / MB, heapDeltaMiB: (after.heapUsed - before.heapUsed) / MB,
          engineSizeMiB: index.sizeMiB, engineSizeWhat: index.sizeWhat,
          reopenSeconds: reopen?.seconds ?? null, reopenWhat: reopen?.what ?? null, firstFilteredSeconds: reopen?.firstFilteredSeconds ?? null,
        });
      }
      status.notes.push(...index.notes);
      built.push({ peer, index });
      log(`${ds.name}: ${peer.engine} built in ${seconds.toFixed(1)} s${index.sharesBuildOf ? ` (${index.sharesBuildOf}'s table and index)` : ''}`);
    } catch (error) {
      status.status = isUnavailable(error) ? 'skipped' : 'failed';
      status.reason = reasonOf(error);
      log(`${ds.name}: ${peer.engine} ${status.status === 'skipped' ? 'skipped' : 'FAILED'}: ${status.reason}`);
    }
  }
  return { built, builds };
}

function packageVersionOf(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** Stops the peers' servers and releases what they hold (a failure is a note, not a stop). */
async function closePeers(ds: Dataset, built: BuiltPeer[]): Promise<void> {
  for (const p of built) {
    if (!p.index.close) continue;
    try {
      await p.index.close();
    } catch (error) {
      engineStatuses.find((e) => e.dataset === ds.name && e.engine === p.peer.engine)?.notes.push(`closing failed: ${reasonOf(error)}`);
    }
  }
}

/** `dataset/engine` of peers that failed to change ef in the sweep and sit out the rest of it. */
const droppedPeers = new Set<string>();

async function sweep(ds: Dataset, engines: Engines, tunable: BuiltPeer[]): Promise<SweepRow[]> {
  const { k } = CONFIG;
  const nq = ds.queries.length;
  const rows: SweepRow[] = [];
  for (const ef of CONFIG.efs) {
    const { quiver, hnsw, hnswCopy } = engines;
    hnsw.setEf(ef);
    hnswCopy.setEf(ef);
    let us: UsearchIndex | null = null;
    if (usearch && engines.usearchFile) {
      us = makeUsearch(usearch, ds, ef);
      us.load(engines.usearchFile);
    }
    // Peers that cannot search at this ef have no point here (their notes say why).
    const atEf: BuiltPeer[] = [];
    for (const p of tunable) {
      if (p.index.efUnsupported?.(ef)) continue;
      if (droppedPeers.has(`${ds.name}/${p.peer.engine}`)) continue;
      try {
        await p.index.setEf!(ef);
        atEf.push(p);
      } catch (error) {
        // A peer that cannot be set to this ef (e.g. its server did not come back) drops out of the rest of the sweep.
        droppedPeers.add(`${ds.name}/${p.peer.engine}`);
        const status = engineStatuses.find((e) => e.dataset === ds.name && e.engine === p.peer.engine);
        status?.notes.push(`dropped from the sweep at ef ${ef}: ${reasonOf(error)}`);
        log(`${ds.name} ef=${ef}: ${p.peer.engine} dropped: ${reasonOf(error)}`);
      }
    }
    const peerFns = Object.fromEntries(atEf.map((p) => [p.peer.engine, (q: number) => p.index.search(q)]));
    log(`${ds.name} ef=${ef}: timing Quiver, hnswlib${us ? ', usearch' : ''}${atEf.map((p) => `, ${p.peer.engine}`).join('')} (${nq} queries rotating, samples interleaved)`);
    const core: Record<string, (q: number) => unknown> = {
      quiver: (q: number) => quiver.search({ vector: ds.queries[q]!, k, ef, exact: false, include: [] }),
      hnswlib: (q: number) => {
        sink += hnsw.searchKnn(ds.queryArrays[q]!, k).neighbors[0]!;
      },
      hnswlibCopy: (q: number) => {
        sink += hnswCopy.searchKnn(ds.queryArrays[q]!, k).neighbors[0]!;
      },
    };
    if (us) {
      const index = us;
      core.usearch = (q: number) => {
        sink += index.search(ds.queries[q]!, k, CONFIG.threads).distances[0]!;
      };
    }
    const serverPeers = new Set(atEf.filter((p) => p.index.qpsClock === 'wall').map((p) => p.peer.engine));
    const measured = await measurePasses<string>(`${ds.name} ef=${ef}`, { ...core, ...peerFns }, nq, CONFIG.timing, serverPeers);
    const { cpuShare } = measured;
    const timings = { quiver: measured.timings.quiver!, hnswlib: measured.timings.hnswlib!, usearch: measured.timings.usearch ?? null };
    const copyQps = qps(measured.timings.hnswlibCopy!);
    if (ef === CONFIG.latencyEf) {
      log(`${ds.name} ef=${ef}: per-query latency, ${CONFIG.latencyPasses} pass(es) over ${nq} queries, engines rotating`);
      latencyRows.push(...await latencyPercentiles(ds, ef, {
        Quiver: core.quiver!, hnswlib: core.hnswlib!, ...(core.usearch ? { usearch: core.usearch } : {}), ...peerFns,
      }, nq, CONFIG.latencyPasses));
    }
    // Recall passes after the timing, one engine at a time (so each runs warm, as it was timed). Quiver runs
    // twice with explain: the first pass gives recall and plans, the second the search-stage times.
    const recalls = { quiver: [] as number[], hnswlib: [] as number[], usearch: [] as number[] };
    const stage: number[] = [];
    const filterStage: number[] = [];
    const plans = new Map<string, number>();
    for (let pass = 0; pass < 2; pass++) {
      for (let q = 0; q < nq; q++) {
        const result = await quiver.search({ vector: ds.queries[q]!, k, ef, exact: false, include: [], explain: true });
        if (pass === 1) {
          stage.push(result.explain.timings.search);
          filterStage.push(result.explain.timings.filter);
          continue;
        }
        recalls.quiver.push(recallOf(result.hits.map((h) => Number(h.id)), ds.truth[q]!));
        const plan = `${result.explain.plan}${result.explain.fallback ? '+fallback' : ''} ef ${result.explain.ef}`;
        plans.set(plan, (plans.get(plan) ?? 0) + 1);
      }
    }
    for (let q = 0; q < nq; q++) recalls.hnswlib.push(recallOf(hnsw.searchKnn(ds.queryArrays[q]!, k).neighbors, ds.truth[q]!));
    for (let q = 0; q < nq && us; q++) {
      recalls.usearch.push(recallOf(Array.from(us.search(ds.queries[q]!, k, CONFIG.threads).keys, Number), ds.truth[q]!));
    }
    const peers: Record<string, PeerPoint> = {};
    for (const p of atEf) {
      const list: number[] = [];
      for (let q = 0; q < nq; q++) list.push(recallOf(await p.index.search(q), ds.truth[q]!));
      const timing = measured.timings[p.peer.engine]!;
      const wallQps = 1e9 / timing.wallMedianNs;
      // A server's search runs in its own process: its QPS is by wall clock (PeerIndex.qpsClock).
      const peerQps = p.index.qpsClock === 'wall' ? wallQps : qps(timing);
      const peerSpread = p.index.qpsClock === 'wall' ? (Math.max(...timing.wallSamplesNs) - Math.min(...timing.wallSamplesNs)) / timing.wallMedianNs : spread(timing);
      peers[p.peer.engine] = { recall: mean(list), qps: peerQps, wallQps, spread: peerSpread, timing };
    }
    const row: SweepRow = {
      dataset: ds.name,
      ef,
      recall: { quiver: mean(recalls.quiver), hnswlib: mean(recalls.hnswlib), usearch: timings.usearch ? mean(recalls.usearch) : null },
      qps: { quiver: qps(timings.quiver), hnswlib: qps(timings.hnswlib), usearch: timings.usearch ? qps(timings.usearch) : null, hnswlibCopy: copyQps },
      ratio: timings.hnswlib.medianNs / timings.quiver.medianNs,
      copyRatio: copyQps / qps(timings.hnswlib),
      ratioVsCopies: qps(timings.quiver) / ((qps(timings.hnswlib) + copyQps) / 2),
      wallRatio: timings.hnswlib.wallMedianNs / timings.quiver.wallMedianNs,
      quiverOverheadUs: (timings.quiver.medianNs - timings.hnswlib.medianNs) / 1e3,
      quiverSearchStageUs: median(stage) * 1e3,
      quiverFilterStageUs: median(filterStage) * 1e3,
      quiverPlans: [...plans].map(([p, n]) => `${p} ${n}/${nq}`).join(', '),
      spreads: { quiver: spread(timings.quiver), hnswlib: spread(timings.hnswlib), usearch: timings.usearch ? spread(timings.usearch) : null },
      cpuShare,
      timings,
      peers,
    };
    log(
      `${ds.name} ef=${ef}: recall Q ${row.recall.quiver.toFixed(4)} / H ${row.recall.hnswlib.toFixed(4)} / U ${row.recall.usearch?.toFixed(4) ?? '-'}; ` +
        `QPS Q ${fmt(row.qps.quiver)} / H ${fmt(row.qps.hnswlib)} / H copy ${fmt(row.qps.hnswlibCopy)} / U ${row.qps.usearch === null ? '-' : fmt(row.qps.usearch)}; ` +
        `Q/H ${row.ratio.toFixed(2)}x, H copy/H ${row.copyRatio.toFixed(2)}x, Q/both H ${row.ratioVsCopies.toFixed(2)}x` +
        Object.entries(peers).map(([name, p]) => `; ${name} recall ${p.recall.toFixed(4)}, ${fmt(p.qps)} QPS`).join(''),
    );
    rows.push(row);
  }
  return rows;
}

// ============================================================ 4. exact engines

/**
 * Quiver `exact: true` and the exact peers over the first `exactQueries`
 * queries: QPS from interleaved whole passes (as the sweep), then one pass
 * where each query runs on every engine in rotating order, timed alone, for
 * recall and latency percentiles.
 */
async function exactSection(ds: Dataset, engines: Engines, exact: BuiltPeer[]): Promise<ExactRow[]> {
  const { k } = CONFIG;
  const nq = Math.min(CONFIG.exactQueries, ds.queries.length);
  const fns: Record<string, (q: number) => unknown> = {
    'Quiver (exact)': (q) => engines.quiver.search({ vector: ds.queries[q]!, k, exact: true, include: [] }),
  };
  for (const p of exact) fns[p.peer.engine] = (q) => p.index.search(q);
  const names = Object.keys(fns);
  log(`${ds.name}: timing exact engines ${names.join(', ')} (first ${nq} queries, samples interleaved)`);
  const { timings, cpuShare } = await measurePasses(`${ds.name} exact engines`, fns, nq, CONFIG.exactTiming);
  const hits = new Map<string, number[]>(names.map((name) => [name, []]));
  const us = new Map<string, number[]>(names.map((name) => [name, []]));
  for (let q = 0; q < nq; q++) {
    for (let n = 0; n < names.length; n++) {
      const name = names[(n + q) % names.length]!;
      const start = performance.now();
      const result = await fns[name]!(q);
      us.get(name)!.push((performance.now() - start) * 1e3);
      const labels = name === 'Quiver (exact)'
        ? (result as { id: string }[]).map((h) => Number(h.id))
        : (result as ArrayLike<number>);
      hits.get(name)!.push(recallOf(labels, ds.truth[q]!));
    }
  }
  const rows = names.map((name): ExactRow => {
    const timing = timings[name]!;
    latencyRows.push(latencyRow(ds.name, name, null, nq, us.get(name)!));
    return {
      dataset: ds.name, engine: name, queries: nq, recall: mean(hits.get(name)!), qps: qps(timing), wallQps: 1e9 / timing.wallMedianNs,
      spread: spread(timing), cpuShare, timing,
    };
  });
  for (const row of rows) log(`${ds.name}: ${row.engine} recall ${row.recall.toFixed(4)}, ${fmt(row.qps)} QPS (exact, ${nq} queries)`);
  return rows;
}

/** One line per engine and data set across ef (one point for exact engines): what the recall/QPS plot draws. */
interface Curve {
  dataset: string;
  engine: string;
  kind: 'hnsw' | 'exact';
  points: { ef: number | null; recall: number; qps: number; wallQps: number }[];
}

function curvesOf(sweepRows: SweepRow[], exactRows: ExactRow[]): Curve[] {
  const curves: Curve[] = [];
  for (const dataset of [...new Set([...sweepRows.map((r) => r.dataset), ...exactRows.map((r) => r.dataset)])]) {
    const rows = sweepRows.filter((r) => r.dataset === dataset);
    for (const [engine, key] of [['Quiver', 'quiver'], ['hnswlib', 'hnswlib'], ['usearch', 'usearch']] as const) {
      const points: Curve['points'] = [];
      for (const r of rows) {
        const recall = r.recall[key];
        const qpsValue = r.qps[key];
        const timing = r.timings[key];
        if (recall !== null && qpsValue !== null && timing !== null) points.push({ ef: r.ef, recall, qps: qpsValue, wallQps: 1e9 / timing.wallMedianNs });
      }
      // usearch has no curve when it is not in this run (its engines row says why).
      if (points.length > 0) curves.push({ dataset, engine, kind: 'hnsw', points });
    }
    for (const engine of [...new Set(rows.flatMap((r) => Object.keys(r.peers)))]) {
      curves.push({
        dataset, engine, kind: 'hnsw',
        points: rows.filter((r) => r.peers[engine]).map((r) => ({ ef: r.ef, recall: r.peers[engine]!.recall, qps: r.peers[engine]!.qps, wallQps: r.peers[engine]!.wallQps })),
      });
    }
    for (const row of exactRows.filter((r) => r.dataset === dataset)) {
      curves.push({ dataset, engine: row.engine, kind: 'exact', points: [{ ef: null, recall: row.recall, qps: row.qps, wallQps: row.wallQps }] });
    }
  }
  return curves;
}

// ============================================================ 2 & 3. filters and planner

interface SelectivityCase {
  name: string;
  required: boolean;
  lt: number | null;
  filter: Record<string, unknown> | undefined;
  mask: Uint8Array | null;
  candidates: number;
  fraction: number;
  truth: Int32Array[];
}

interface PlanStats {
  /** e.g. "exact 200/200". */
  plans: string;
  majority: 'exact' | 'hnsw';
  fallbacks: number;
  recall: number;
  minRecall: number;
  /** Median `explain.timings.search` / `.filter` in ms. */
  searchStageMs: number;
  filterStageMs: number;
  /** ef handed to HNSW (null for exact). */
  ef: number | null;
  /** Hits that do not satisfy the filter (must be 0). */
  violations: number;
  /** Queries that returned fewer than min(k, candidates) hits. */
  short: number;
  /** Planner rates read back from explain.estimates (median over the pass). */
  rates: { scanNsPerFloat: number; hnswNsPerEf: number | null; filteredNsPerEf: number | null };
}

interface FilterRow {
  selectivity: string;
  required: boolean;
  candidates: number;
  fraction: number;
  /** Forced exact vs our brute force: must be 1 (checks the ground truth twice). */
  exactRecall: number;
  auto: PlanStats;
  /** The planner's own choice before any feedback: a fresh Planner with the default rates. */
  defaultPlannerChoice: 'exact' | 'hnsw';
  forcedExact: PlanStats;
  forcedHnsw: PlanStats;
  raw: { recall: number; minRecall: number; short: number; ef: number; callback: boolean };
  qps: { auto: number; exact: number; hnsw: number; raw: number };
  /** Quiver (planner) QPS / raw hnswlib QPS (by CPU time), and by wall clock. */
  ratio: number;
  wallRatio: number;
  faster: 'exact' | 'hnsw';
  plannerWasFaster: boolean;
  defaultPlannerWasFaster: boolean;
  /** Queries each timing pass ran (all, or the first slowQueries for the slow cases). */
  timedQueries: number;
  cpuShare: number;
  /** Planner choice asked again after every case had run (its learnt rates by then), over a few queries. */
  finalChoice?: string;
  finalRates?: PlanStats['rates'];
  timings: Record<'auto' | 'exact' | 'hnsw' | 'raw', PassTiming>;
}

async function planPass(
  quiver: Collection, ds: Dataset, c: SelectivityCase, exact: boolean | undefined, buckets: Int32Array, limit = ds.queries.length,
): Promise<PlanStats> {
  const { k } = CONFIG;
  const ef = CONFIG.filteredEf;
  const plans = new Map<string, number>();
  const recalls: number[] = [];
  const stage: number[] = [];
  const filterStage: number[] = [];
  const scanRates: number[] = [];
  const hnswRates: number[] = [];
  let fallbacks = 0;
  let violations = 0;
  let short = 0;
  let planEf: number | null = null;
  const selectivity = c.candidates / ds.count;
  const requestEf = c.filter ? filteredEf(ef, k, selectivity) : Math.max(ef, k);
  const nq = Math.min(limit, ds.queries.length);
  for (let q = 0; q < nq; q++) {
    const request = { vector: ds.queries[q]!, k, ef, include: [] as [], explain: true as const };
    const result = await quiver.search({
      ...request,
      ...(c.filter ? { filter: c.filter } : {}),
      ...(exact === undefined ? {} : { exact }),
    });
    const { explain } = result;
    const labels = result.hits.map((h) => Number(h.id));
    recalls.push(recallOf(labels, c.truth[q]!));
    for (const label of labels) if (c.lt !== null && !(buckets[label]! < c.lt)) violations++;
    if (labels.length < Math.min(k, c.candidates)) short++;
    const key = explain.plan + (explain.fallback ? '+fallback' : '');
    plans.set(key, (plans.get(key) ?? 0) + 1);
    if (explain.fallback) fallbacks++;
    if (explain.ef !== null) planEf = explain.ef;
    stage.push(explain.timings.search);
    filterStage.push(explain.timings.filter);
    // The planner's current rates, read back from its estimates (same formulas as planner.ts).
    scanRates.push((explain.estimates.exact * 1e6) / (explain.candidates * ds.dim));
    hnswRates.push(c.filter ? (explain.estimates.hnsw * 1e6 * selectivity) / requestEf : (explain.estimates.hnsw * 1e6) / requestEf);
  }
  const counts = [...plans].sort((a, b) => b[1] - a[1]);
  const exactCount = [...plans].filter(([p]) => p.startsWith('exact')).reduce((a, [, n]) => a + n, 0);
  return {
    plans: counts.map(([p, n]) => `${p} ${n}/${nq}`).join(', '),
    majority: exactCount * 2 >= nq ? 'exact' : 'hnsw',
    fallbacks,
    recall: mean(recalls),
    minRecall: Math.min(...recalls),
    searchStageMs: median(stage),
    filterStageMs: median(filterStage),
    ef: planEf,
    violations,
    short,
    rates: {
      scanNsPerFloat: median(scanRates),
      hnswNsPerEf: c.filter ? null : median(hnswRates),
      filteredNsPerEf: c.filter ? median(hnswRates) : null,
    },
  };
}

async function filtered(ds: Dataset, engines: Engines, cases: SelectivityCase[], buckets: Int32Array): Promise<FilterRow[]> {
  const { quiver, hnsw } = engines;
  const { k } = CONFIG;
  const ef = CONFIG.filteredEf;
  const nq = ds.queries.length;
  const rows: FilterRow[] = [];
  for (const c of cases) {
    const fraction = c.candidates / ds.count;
    const slow = c.filter !== undefined && fraction <= 0.01;
    const what = `filtered ${c.name} (${c.candidates.toLocaleString()} candidates)`;

    // Ground truth agreement and warm-up of the exact path.
    const exactRecall: number[] = [];
    for (let q = 0; q < nq; q++) {
      const hits = await quiver.search({ vector: ds.queries[q]!, k, ...(c.filter ? { filter: c.filter } : {}), exact: true, include: [] });
      exactRecall.push(recallOf(hits.map((h) => Number(h.id)), c.truth[q]!));
    }

    const mask = c.mask;
    const allow = mask ? (label: number) => mask[label] === 1 : undefined;
    hnsw.setEf(ef);
    const timedQueries = slow ? Math.min(CONFIG.slowQueries, nq) : nq;
    log(
      `${what}: timing Quiver planner / forced exact / forced HNSW / raw hnswlib${allow ? ' + JS callback' : ''} at ef ${ef} ` +
        `(interleaved, passes over ${timedQueries === nq ? 'all' : 'the first'} ${timedQueries} queries)`,
    );
    const withFilter = c.filter ? { filter: c.filter } : {};
    const { timings, cpuShare } = await measurePasses(
      what,
      {
        auto: (q) => quiver.search({ vector: ds.queries[q]!, k, ef, ...withFilter, include: [] }),
        exact: (q) => quiver.search({ vector: ds.queries[q]!, k, ef, ...withFilter, exact: true, include: [] }),
        hnsw: (q) => quiver.search({ vector: ds.queries[q]!, k, ef, ...withFilter, exact: false, include: [] }),
        raw: (q) => {
          const r = allow ? hnsw.searchKnn(ds.queryArrays[q]!, k, allow) : hnsw.searchKnn(ds.queryArrays[q]!, k);
          sink += r.neighbors.length;
        },
      },
      timedQueries,
      slow ? CONFIG.slowTiming : CONFIG.filterTiming,
    );
    log(`${what}: recall / plan passes over ${nq} queries (explain: true)`);
    const auto = await planPass(quiver, ds, c, undefined, buckets);
    const forcedExact = await planPass(quiver, ds, c, true, buckets);
    // Forced HNSW at low selectivity takes tens of ms a query: its recall and stage times use the first slowRecallQueries.
    const forcedHnsw = await planPass(quiver, ds, c, false, buckets, slow ? CONFIG.slowRecallQueries : nq);
    const rawRecalls: number[] = [];
    let rawShort = 0;
    for (let q = 0; q < nq; q++) {
      const r = allow ? hnsw.searchKnn(ds.queryArrays[q]!, k, allow) : hnsw.searchKnn(ds.queryArrays[q]!, k);
      rawRecalls.push(recallOf(r.neighbors, c.truth[q]!));
      if (r.neighbors.length < Math.min(k, c.candidates)) rawShort++;
    }
    const defaultPlannerChoice = new Planner().plan({
      total: ds.count, candidates: c.candidates, filtered: c.filter !== undefined, k, ef, dimension: ds.dim,
    }).kind;
    const faster = timings.exact.medianNs <= timings.hnsw.medianNs ? 'exact' : 'hnsw';
    const row: FilterRow = {
      selectivity: c.name,
      required: c.required,
      candidates: c.candidates,
      fraction,
      exactRecall: mean(exactRecall),
      auto,
      defaultPlannerChoice,
      forcedExact,
      forcedHnsw,
      raw: { recall: mean(rawRecalls), minRecall: Math.min(...rawRecalls), short: rawShort, ef, callback: allow !== undefined },
      qps: { auto: qps(timings.auto), exact: qps(timings.exact), hnsw: qps(timings.hnsw), raw: qps(timings.raw) },
      ratio: timings.raw.medianNs / timings.auto.medianNs,
      wallRatio: timings.raw.wallMedianNs / timings.auto.wallMedianNs,
      faster,
      plannerWasFaster: auto.majority === faster,
      defaultPlannerWasFaster: defaultPlannerChoice === faster,
      timedQueries,
      cpuShare,
      timings,
    };
    log(
      `${what}: planner ${auto.plans}, recall ${auto.recall.toFixed(4)}, ${fmt(row.qps.auto)} QPS; raw hnswlib recall ${row.raw.recall.toFixed(4)}, ` +
        `${fmt(row.qps.raw)} QPS; ratio ${fmt(row.ratio)}x; exact ${fmt(row.qps.exact)} vs HNSW ${fmt(row.qps.hnsw)} QPS`,
    );
    rows.push(row);
  }
  // The planner learns from every search it runs; ask it again now that it has seen every case.
  log(`planner: asking again at every selectivity after all cases ran (${CONFIG.recheckQueries} queries each, explain: true)`);
  for (const [i, c] of cases.entries()) {
    const stats = await planPass(quiver, ds, c, undefined, buckets, CONFIG.recheckQueries);
    rows[i]!.finalChoice = stats.plans;
    rows[i]!.finalRates = stats.rates;
  }
  return rows;
}

// ============================================================ 3. calibration figures

interface Calibration {
  scan: { selectivity: string; candidates: number; path: string; stageUs: number; stageNsPerFloat: number; cpuUs: number; nsPerFloat: number }[];
  scanFit: { nsPerFloat: number; interceptUs: number; r2: number };
  hnsw: { ef: number; stageUs: number; stageNsPerEf: number; cpuUs: number; nsPerEf: number }[];
  hnswFit: { nsPerEf: number; interceptUs: number; r2: number };
  filtered: {
    selectivity: string; candidates: number; fraction: number; ef: number | null; stageUs: number; stageNsPerEfOverSelectivity: number;
    cpuUs: number; nsPerEfOverSelectivity: number; recall: number; fallbacks: number;
  }[];
  defaults: { scanNsPerFloat: number; hnswNsPerEf: number; filteredNsPerEf: number };
  /** What the collection's planner had learnt by the end (read back from explain estimates). */
  adapted: { scanNsPerFloat: number; hnswNsPerEf: number | null; filteredNsPerEf: number | null };
  suggested: { scanNsPerFloat: number; hnswNsPerEf: number; filteredNsPerEf: number; basis: string };
  decisions: {
    selectivity: string; candidates: number; exactUs: number; hnswUs: number; faster: string; hnswRecall: number;
    plannerAdapted: string; plannerDefault: string; plannerSuggested: string; plannerFinal: string;
    adaptedOk: boolean; defaultOk: boolean; suggestedOk: boolean; finalOk: boolean;
  }[];
}

/** Least squares y = a + b x. */
function linearFit(xs: number[], ys: number[]): { a: number; b: number; r2: number } {
  const n = xs.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  const b = sxy / sxx;
  return { a: my - b * mx, b, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

function calibrate(ds: Dataset, sweepRows: SweepRow[], rows: FilterRow[]): Calibration {
  const { k } = CONFIG;
  const labelListBelow = ds.count / 16;
  // Two measures of each plan's search cost: `stageUs`, the median of explain's search stage (wall clock,
  // what the planner itself records), and `cpuUs`, the CPU-time end-to-end median of the timed runs less
  // explain's filter stage (validation + filter evaluation, which both plans pay). The rates use cpuUs,
  // which stays meaningful when other processes share the CPU; on an idle machine the two agree closely.
  const scan = rows.map((r) => {
    const cpuUs = r.timings.exact.medianNs / 1e3 - r.forcedExact.filterStageMs * 1e3;
    const floats = r.candidates * ds.dim;
    return {
      selectivity: r.selectivity,
      candidates: r.candidates,
      path: r.selectivity.startsWith('none') ? 'all rows' : r.candidates < labelListBelow ? 'label list' : 'bitset',
      stageUs: r.forcedExact.searchStageMs * 1e3,
      stageNsPerFloat: (r.forcedExact.searchStageMs * 1e6) / floats,
      cpuUs,
      nsPerFloat: (cpuUs * 1e3) / floats,
    };
  });
  const sf = linearFit(scan.map((x) => x.candidates * ds.dim), scan.map((x) => x.cpuUs * 1e3));
  const hnsw = sweepRows.map((x) => {
    const ef = Math.max(x.ef, k);
    const cpuUs = x.timings.quiver.medianNs / 1e3 - x.quiverFilterStageUs;
    return { ef: x.ef, stageUs: x.quiverSearchStageUs, stageNsPerEf: (x.quiverSearchStageUs * 1e3) / ef, cpuUs, nsPerEf: (cpuUs * 1e3) / ef };
  });
  const hf = linearFit(hnsw.map((h) => Math.max(h.ef, k)), hnsw.map((h) => h.cpuUs * 1e3));
  const filteredRows = rows.filter((r) => !r.selectivity.startsWith('none')).map((r) => {
    const cpuUs = r.timings.hnsw.medianNs / 1e3 - r.forcedHnsw.filterStageMs * 1e3;
    const ef = r.forcedHnsw.ef;
    return {
      selectivity: r.selectivity,
      candidates: r.candidates,
      fraction: r.fraction,
      ef,
      stageUs: r.forcedHnsw.searchStageMs * 1e3,
      stageNsPerEfOverSelectivity: ef === null ? Number.NaN : (r.forcedHnsw.searchStageMs * 1e6 * r.fraction) / ef,
      cpuUs,
      nsPerEfOverSelectivity: ef === null ? Number.NaN : (cpuUs * 1e3 * r.fraction) / ef,
      recall: r.forcedHnsw.recall,
      fallbacks: r.forcedHnsw.fallbacks,
    };
  });
  const unfilteredRow = rows.find((r) => r.selectivity.startsWith('none'))!;
  const lastFiltered = rows[rows.length - 1]!;
  const adapted = {
    scanNsPerFloat: unfilteredRow.finalRates?.scanNsPerFloat ?? Number.NaN,
    hnswNsPerEf: unfilteredRow.finalRates?.hnswNsPerEf ?? null,
    filteredNsPerEf: lastFiltered.finalRates?.filteredNsPerEf ?? null,
  };
  // Suggested defaults. The cost model has no per-query constant and the filtered rate is not constant
  // across selectivities (3a, 3c), so each rate is taken where the decision is made: unfiltered HNSW at
  // the default ef 64; scan and filtered HNSW at the two filtered selectivities between which the faster
  // plan flips (geometric mean), or their medians when it never flips.
  const geo = (a: number, b: number) => Math.sqrt(a * b);
  const filteredCases = rows.map((r, i) => ({ r, i })).filter(({ r }) => !r.selectivity.startsWith('none'));
  let bracket: [number, number] | null = null;
  for (let j = 0; j + 1 < filteredCases.length; j++) {
    if (filteredCases[j]!.r.faster !== filteredCases[j + 1]!.r.faster) bracket = [filteredCases[j]!.i, filteredCases[j + 1]!.i];
  }
  const at64 = hnsw.find((h) => h.ef === CONFIG.filteredEf);
  const filteredRate = (i: number) => filteredRows.find((f) => f.selectivity === rows[i]!.selectivity)!.nsPerEfOverSelectivity;
  const suggested = {
    scanNsPerFloat: bracket ? geo(scan[bracket[0]]!.nsPerFloat, scan[bracket[1]]!.nsPerFloat) : median(scan.map((x) => x.nsPerFloat)),
    hnswNsPerEf: at64 ? at64.nsPerEf : median(hnsw.map((h) => h.nsPerEf)),
    filteredNsPerEf: bracket
      ? geo(filteredRate(bracket[0]), filteredRate(bracket[1]))
      : median(filteredRows.map((f) => f.nsPerEfOverSelectivity).filter(Number.isFinite)),
    basis: bracket
      ? `scan and filtered HNSW: geometric mean of the ${rows[bracket[0]]!.selectivity} and ${rows[bracket[1]]!.selectivity} cases (where the faster plan flips); HNSW: at ef ${CONFIG.filteredEf}`
      : `medians over all cases (the faster plan never flips); HNSW: at ef ${CONFIG.filteredEf}`,
  };
  const decisions = rows.map((r) => {
    const filteredCase = !r.selectivity.startsWith('none');
    const selectivity = Math.max(r.candidates / ds.count, 1 / ds.count);
    const ef = filteredCase ? filteredEf(CONFIG.filteredEf, k, selectivity) : Math.max(CONFIG.filteredEf, k);
    const exactCost = r.candidates * ds.dim * suggested.scanNsPerFloat;
    const hnswCost = filteredCase ? (ef / selectivity) * suggested.filteredNsPerEf : ef * suggested.hnswNsPerEf;
    const plannerSuggested = r.candidates <= k || exactCost <= hnswCost ? 'exact' : 'hnsw';
    return {
      selectivity: r.selectivity,
      candidates: r.candidates,
      exactUs: r.timings.exact.medianNs / 1e3,
      hnswUs: r.timings.hnsw.medianNs / 1e3,
      faster: r.faster,
      hnswRecall: r.forcedHnsw.recall,
      plannerAdapted: r.auto.plans,
      plannerDefault: r.defaultPlannerChoice,
      plannerSuggested,
      plannerFinal: r.finalChoice ?? '?',
      finalOk: (r.finalChoice ?? '').startsWith(r.faster),
      adaptedOk: r.plannerWasFaster,
      defaultOk: r.defaultPlannerWasFaster,
      suggestedOk: plannerSuggested === r.faster,
    };
  });
  return {
    scan,
    scanFit: { nsPerFloat: sf.b, interceptUs: sf.a / 1e3, r2: sf.r2 },
    hnsw,
    hnswFit: { nsPerEf: hf.b, interceptUs: hf.a / 1e3, r2: hf.r2 },
    filtered: filteredRows,
    defaults: { scanNsPerFloat: DEFAULT_SCAN_NS_PER_FLOAT, hnswNsPerEf: DEFAULT_HNSW_NS_PER_EF, filteredNsPerEf: DEFAULT_FILTERED_NS_PER_EF },
    adapted,
    suggested,
    decisions,
  };
}

// ============================================================ SVG

interface Series {
  name: string;
  color: string;
  points: { recall: number; qps: number; ef: number }[];
}

const COLORS = { Quiver: '#1f77b4', hnswlib: '#ff7f0e', usearch: '#2ca02c' } as const;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Recall@10 (x) against QPS (y, log scale), one panel per data set, one line per engine. */
function recallQpsSvg(title: string, panels: { title: string; series: Series[] }[]): string {
  const pw = 460;
  const ph = 340;
  const margin = { left: 64, right: 16, top: 48, bottom: 48 };
  const width = panels.length * pw;
  const height = ph + 56;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  panels.forEach((panel, p) => {
    const x0 = p * pw + margin.left;
    const y0 = 28 + margin.top;
    const w = pw - margin.left - margin.right;
    const h = ph - margin.top - margin.bottom + 28;
    const all = panel.series.flatMap((s) => s.points);
    const minRecall = Math.min(...all.map((pt) => pt.recall));
    const xMin = Math.max(0, Math.floor((minRecall - 0.02) * 20) / 20);
    const xMax = 1;
    const yMin = Math.floor(Math.log10(Math.min(...all.map((pt) => pt.qps))));
    const yMax = Math.ceil(Math.log10(Math.max(...all.map((pt) => pt.qps))));
    const sx = (r: number) => x0 + ((r - xMin) / (xMax - xMin)) * w;
    const sy = (q: number) => y0 + h - ((Math.log10(q) - yMin) / (yMax - yMin)) * h;
    parts.push(`<text x="${x0 + w / 2}" y="${y0 - 14}" text-anchor="middle" font-size="12">${escapeXml(panel.title)}</text>`);
    parts.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#888"/>`);
    for (let decade = yMin; decade <= yMax; decade++) {
      for (const mult of [1, 2, 5]) {
        const value = mult * 10 ** decade;
        if (Math.log10(value) > yMax + 1e-9) continue;
        const y = sy(value);
        parts.push(`<line x1="${x0}" x2="${x0 + w}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="${mult === 1 ? '#ccc' : '#eee'}"/>`);
        parts.push(`<text x="${x0 - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#444">${value >= 1000 ? `${value / 1000}k` : value}</text>`);
      }
    }
    for (let r = xMin; r <= xMax + 1e-9; r += 0.05) {
      const x = sx(r);
      parts.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${y0}" y2="${y0 + h}" stroke="#eee"/>`);
      parts.push(`<text x="${x.toFixed(1)}" y="${y0 + h + 16}" text-anchor="middle" fill="#444">${r.toFixed(2)}</text>`);
    }
    parts.push(`<text x="${x0 + w / 2}" y="${y0 + h + 36}" text-anchor="middle">recall@10</text>`);
    parts.push(`<text transform="translate(${x0 - 48} ${y0 + h / 2}) rotate(-90)" text-anchor="middle">queries per second (log)</text>`);
    panel.series.forEach((s, si) => {
      const path = s.points.map((pt, i) => `${i === 0 ? 'M' : 'L'}${sx(pt.recall).toFixed(1)},${sy(pt.qps).toFixed(1)}`).join(' ');
      parts.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
      for (const pt of s.points) {
        parts.push(`<circle cx="${sx(pt.recall).toFixed(1)}" cy="${sy(pt.qps).toFixed(1)}" r="3" fill="${s.color}"><title>${escapeXml(`${s.name} ef ${pt.ef}: recall ${pt.recall.toFixed(4)}, ${Math.round(pt.qps)} QPS`)}</title></circle>`);
        if (si === 0) parts.push(`<text x="${(sx(pt.recall) + 4).toFixed(1)}" y="${(sy(pt.qps) - 5).toFixed(1)}" fill="#555" font-size="9">ef ${pt.ef}</text>`);
      }
      // Legend bottom left: the curves run from top left (fast, low recall) to bottom right.
      const ly = y0 + h - 12 - (panel.series.length - si) * 16;
      parts.push(`<line x1="${x0 + 10}" x2="${x0 + 30}" y1="${ly + 4}" y2="${ly + 4}" stroke="${s.color}" stroke-width="2"/>`);
      parts.push(`<text x="${x0 + 36}" y="${ly + 8}">${escapeXml(s.name)}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

// ============================================================ main

interface LoadInfo {
  loadAverageAtStart: number[];
  /** /proc/pressure/cpu at the start (Linux), if readable. */
  cpuPressureAtStart: string | null;
  lowestCpuShare: number;
  sections: { what: string; cpuShare: number }[];
}

function cpuPressure(): string | null {
  try {
    return readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0] ?? null;
  } catch {
    return null;
  }
}

interface Target {
  name: string;
  value: string;
  target: string;
  met: boolean;
}

/**
 * Quiver and raw hnswlib run on every data set (the benchmark stops if they
 * cannot); usearch too, unless bench/peers lacks it (skipped) or it did not
 * load (failed), as `usearchStatus` says.
 */
function coreStatuses(ds: Dataset, machine: ReturnType<typeof machineInfo>): void {
  const hnswIndex = `HNSW, M=${CONFIG.hnsw.m}, efConstruction=${CONFIG.hnsw.efConstruction}`;
  const core: [string, string | null, 'hnsw' | 'exact', string][] = [
    ['Quiver', null, 'hnsw', `${hnswIndex} (hnswlib-node inside), hits re-scored in f32`],
    ['hnswlib', 'hnswlib-node', 'hnsw', `${hnswIndex}, seed ${CONFIG.hnsw.seed}`],
    ['usearch', 'usearch', 'hnsw', `${hnswIndex}, f32, one thread`],
    ['Quiver (exact)', null, 'exact', 'exact: true: WASM SIMD scan of the f32 arena'],
  ];
  for (const [engine, pkg, kind, index] of core) {
    const off = engine === 'usearch' ? usearchStatus : null;
    engineStatuses.push({
      dataset: ds.name, engine, package: pkg, version: pkg ? machine.packages[pkg] ?? null : null,
      status: off?.status ?? 'ok', reason: off?.reason ?? null, kind, index, notes: [],
    });
  }
}

async function main(): Promise<void> {
  const machine = machineInfo(['hnswlib-node', 'usearch', ...PEERS.map((p) => p.package), 'assemblyscript', 'better-sqlite3', 'tsx', 'typescript']);
  log(`Quiver ANN benchmark${SMOKE ? ' (smoke)' : QUICK ? ' (--quick)' : ''}: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`);
  const usearchMissing = missingPeers(['usearch']);
  if (usearchMissing) usearchStatus = { status: 'skipped', reason: usearchMissing };
  else {
    try {
      usearch = await loadUsearch();
    } catch (error) {
      usearchStatus = { status: isUnavailable(error) ? 'skipped' : 'failed', reason: reasonOf(error) };
    }
  }
  if (usearchStatus) log(`usearch ${usearchStatus.status === 'skipped' ? 'skipped' : 'FAILED to load'}: ${usearchStatus.reason}`);
  const { k } = CONFIG;
  const loadAverageAtStart = loadavg();
  const cpuPressureAtStart = cpuPressure();
  if (loadAverageAtStart[0]! > 0.5 * machine.cores) {
    log(`warning: load average ${loadAverageAtStart[0]!.toFixed(2)} on ${machine.cores} cores: other processes are busy; timings will be noisier`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'quiver-ann-'));
  // workers: 0 keeps each collection's one graph on this thread, as every other engine here searches:
  // the same graph as raw hnswlib, one query per call. Multi-core search is bench/scale.bench.ts's subject.
  const db = await openDatabase({ workers: 0 });
  quiverWasmBytes = () => db.wasmMemoryBytes;

  // ---- siftsmall (skipped, with the reason, when ../shared/data lacks it or in a smoke run)
  const skippedDatasets: { name: string; reason: string }[] = [];
  let siftDs: Dataset | null = null;
  let siftTruthAgreement: number | null = null;
  let siftEngines: Engines | null = null;
  let siftSweep: SweepRow[] = [];
  const exactRows: ExactRow[] = [];
  let sift: ReturnType<typeof loadSiftsmall> | null = null;
  if (!CONFIG.siftsmall) {
    skippedDatasets.push({ name: 'siftsmall', reason: 'smoke run (QUIVER_BENCH_SMOKE=1): the synthetic set only' });
  } else {
    try {
      sift = loadSiftsmall();
    } catch (error) {
      skippedDatasets.push({ name: 'siftsmall', reason: reasonOf(error) });
      log(`siftsmall skipped: ${reasonOf(error)}`);
    }
  }
  if (sift) {
    const siftQueries = rowsOf(sift.queries, sift.dim);
    const ds: Dataset = {
      name: 'siftsmall',
      metric: 'l2',
      dim: sift.dim,
      count: sift.baseCount,
      base: sift.base,
      queries: siftQueries,
      queryArrays: siftQueries.map((q) => Array.from(q)),
      truth: siftQueries.map((_, q) => sift.truth.subarray(q * sift.truthDim, q * sift.truthDim + k)),
      truthSource: 'published siftsmall_groundtruth.ivecs (top 10 of 100)',
    };
    siftDs = ds;
    const [siftOwn] = bruteForce(sift.base, sift.dim, 'l2', siftQueries, k, [null], 'siftsmall');
    const agreement = mean(siftOwn!.map((own, q) => recallOf(own, ds.truth[q]!)));
    siftTruthAgreement = agreement;
    notes.push(
      `siftsmall has ${sift.queryCount} official queries; its recall is averaged over those. ` +
        `The published ground truth agrees with a float64 brute force on ${(agreement * 100).toFixed(2)}% of top-10 labels (SIFT has integer components, so ties can swap labels at rank 10).`,
    );
    siftEngines = await buildEngines(db, ds, tmp, false);
    coreStatuses(ds, machine);
    await quiverReopenOn(ds, siftEngines.builds, tmp);
    const peers = await buildPeers(ds, tmp);
    siftEngines.builds.push(...peers.builds);
    siftSweep = await sweep(ds, siftEngines, peers.built.filter((p) => p.peer.kind === 'hnsw'));
    exactRows.push(...await exactSection(ds, siftEngines, peers.built.filter((p) => p.peer.kind === 'exact')));
    await closePeers(ds, peers.built);
  }

  // ---- synthetic embedding-like set
  const s = CONFIG.synthetic;
  log(`synthetic: generating ${s.count.toLocaleString()} x ${s.dim} (rank ${s.model.rank}, ${s.model.clusters} clusters, noise ${s.model.noise}) and ${s.queries} queries`);
  const model = embeddingModel({ dim: s.dim, ...s.model });
  const synthBase = model.sample(s.count, s.dataSeed);
  const synthQueries = rowsOf(model.sample(s.queries, s.querySeed), s.dim);
  const buckets = new Int32Array(s.count);
  for (let i = 0; i < s.count; i++) buckets[i] = i % CONFIG.buckets;
  const cases: SelectivityCase[] = CONFIG.selectivities.map((sel) => {
    const mask = sel.lt === null ? null : Uint8Array.from(buckets, (b) => (b < sel.lt! ? 1 : 0));
    const candidates = mask ? mask.reduce((a, b) => a + b, 0) : s.count;
    return {
      name: sel.name, required: sel.required, lt: sel.lt,
      filter: sel.lt === null ? undefined : { bucket: { $lt: sel.lt } },
      mask, candidates, fraction: candidates / s.count, truth: [],
    };
  });
  const truths = bruteForce(synthBase, s.dim, 'cosine', synthQueries, k, cases.map((c) => c.mask), 'synthetic');
  cases.forEach((c, i) => (c.truth = truths[i]!));
  const synthDs: Dataset = {
    name: `synthetic-${s.count / 1000}k`,
    metric: 'cosine',
    dim: s.dim,
    count: s.count,
    base: synthBase,
    queries: synthQueries,
    queryArrays: synthQueries.map((q) => Array.from(q)),
    truth: cases[0]!.truth,
    truthSource: 'float64 brute force (cosine), cross-checked against Quiver exact: true',
  };
  const synthEngines = await buildEngines(db, synthDs, tmp, true);
  coreStatuses(synthDs, machine);
  const synthSweep = await (async () => {
    // The peers live only for sections 1 and 4: their memory is released before the filtered section.
    await quiverReopenOn(synthDs, synthEngines.builds, tmp);
    const peers = await buildPeers(synthDs, tmp);
    synthEngines.builds.push(...peers.builds);
    const rows = await sweep(synthDs, synthEngines, peers.built.filter((p) => p.peer.kind === 'hnsw'));
    exactRows.push(...await exactSection(synthDs, synthEngines, peers.built.filter((p) => p.peer.kind === 'exact')));
    await closePeers(synthDs, peers.built);
    return rows;
  })();

  // ---- 2 & 3: filters and planner
  const filterRows = await filtered(synthDs, synthEngines, cases, buckets);
  const calibration = calibrate(synthDs, synthSweep, filterRows);

  const quiverInfo = synthEngines.quiver.info;
  await db.close();
  rmSync(tmp, { recursive: true, force: true });

  // ---- 5: the default path (issue 17): openDatabase() defaults, one query after another
  // At 128 dimensions (the shape the issue was reported on, with its targets), then at embedding models' dimensions.
  const defaultPaths: DefaultPathResult[] = [];
  for (const dim of SMOKE ? [128] : QUICK ? [128, 768] : [128, 384, 768, 1536]) {
    defaultPaths.push(await defaultPathSection({ count: SMOKE ? 2_000 : 20_000, dim, targets: dim === 128, timing: CONFIG.timing, log }));
  }
  const defaultPath = defaultPaths[0]!;

  // ---- targets
  const targets: Target[] = [...defaultPath.targets];
  for (const row of [...siftSweep, ...synthSweep]) {
    const recallOk = row.recall.quiver >= row.recall.hnswlib - CONFIG.targets.recallTolerance;
    targets.push({
      name: `${row.dataset} ef ${row.ef}: Quiver / hnswlib QPS, both raw copies (recall ${row.recall.quiver.toFixed(3)} vs ${row.recall.hnswlib.toFixed(3)})`,
      value: `${row.ratioVsCopies.toFixed(2)}x`,
      target: `>= ${CONFIG.targets.qpsRatio}x, recall within ${CONFIG.targets.recallTolerance}`,
      met: row.ratioVsCopies >= CONFIG.targets.qpsRatio && recallOk,
    });
  }
  const at = filterRows.find((r) => r.selectivity === CONFIG.targets.filteredAt)!;
  targets.push({
    name: `filtered ${at.selectivity}: Quiver planner recall@10`, value: at.auto.recall.toFixed(4),
    target: `>= ${CONFIG.targets.filteredRecall}`, met: at.auto.recall >= CONFIG.targets.filteredRecall,
  });
  targets.push({
    name: `filtered ${at.selectivity}: Quiver planner QPS / raw hnswlib + callback QPS`, value: `${fmt(at.ratio)}x`,
    target: `>= ${CONFIG.targets.filteredSpeedup}x`, met: at.ratio >= CONFIG.targets.filteredSpeedup,
  });
  for (const row of filterRows) {
    if (row.auto.violations + row.forcedExact.violations + row.forcedHnsw.violations > 0) {
      targets.push({ name: `filtered ${row.selectivity}: hits violating the filter`, value: String(row.auto.violations + row.forcedExact.violations + row.forcedHnsw.violations), target: '0', met: false });
    }
  }
  for (const d of calibration.decisions) {
    targets.push({
      name: `planner at ${d.selectivity}: chose the faster plan (${d.faster})`, value: d.plannerAdapted,
      target: d.faster, met: d.adaptedOk,
    });
  }

  notes.push(
    'Quiver runs with openDatabase({ workers: 0 }): one graph per collection on the calling thread, like every other engine here (the default, one worker thread per core and a graph split in segments, is measured by bench/scale.bench.ts). ' +
      `Same M=${CONFIG.hnsw.m}, efConstruction=${CONFIG.hnsw.efConstruction} and search ef for all HNSW engines (Quiver, hnswlib, usearch, hnswlib-wasm); hnswlib seed ${CONFIG.hnsw.seed} as Quiver uses. ` +
      `Builds are single-threaded (usearch threads=${CONFIG.threads}); searches are one query per call on one thread.`,
    'QPS = queries per second of this process\'s CPU time (process.cpuUsage around each sample; every engine searches on the calling thread), which equals wall-clock QPS on an idle machine ' +
      'and stays meaningful when other processes share the CPU; wall-clock figures are in the JSON and the (wall) columns.',
    'Quiver: search({ vector: Float32Array, k: 10, ef, exact: false, include: [] }) through the public API (validation, normalisation for cosine, HNSW, f32 re-score of the hits, id lookup). ' +
      'hnswlib-node: searchKnn(number[], 10) with the queries converted to number[] once, outside the timed loop; a second, identical index built after Quiver\'s is timed too (placement control), and the target is Quiver against the mean of both. usearch: search(Float32Array, 10, 1).',
    'Cosine: Quiver normalises at insert and searches hnswlib "ip"; raw hnswlib uses its "cosine" space (it normalises in C++); usearch uses its "cos" metric on the raw vectors. ' +
      'The graphs can therefore differ slightly from Quiver\'s; on siftsmall (l2) Quiver\'s graph and raw hnswlib\'s are built identically.',
    'usearch has no setter for expansion_search in its JS API: the index is built once, saved, and loaded into a new Index with expansion_search = ef for each ef.',
    'LanceDB and Chroma (bench/peers, `npm run bench:peers`): same rows, queries, k and ef values as the others, one query at a time from one client. ' +
      'LanceDB: IVF_HNSW_SQ with numPartitions 1 (a single HNSW graph, LanceDB\'s advice for HNSW; nprobes is then moot), m = M, efConstruction as the others, searched with .ef(ef), ' +
      'without refine (distances from the 8-bit SQ codes) and with refineFactor(2) (2k candidates re-ranked in float32; LanceDB needs ef >= 2k, so no point below ef 20); default thread pools. ' +
      'Chroma: max_neighbors = M, ef_construction as the others, ef_search = ef set by collection.modify and a server restart per ef (ef_search only takes effect when the server loads the collection); ' +
      'QPS by wall clock since the search runs in the server process. Reopen to first answer, then the first query filtered to bucket = row % 10 = 3: Quiver in a fresh Node process on a database written with its defaults (openDatabase({ path }), median of 3; bench/quiver-reopen.ts), LanceDB in a fresh Node process (open the table from disk, one query, then .where(\'bucket = 3\')), Chroma by restarting its server on its data folder (one query, then where { bucket: 3 }).',
    'Memory: RSS and heap deltas over each build after forced GC, in build order usearch, hnswlib, Quiver; RSS deltas are indicative (allocator reuse). ' +
      'Quiver keeps each vector three times: SQLite store of record (in memory here), WASM arena (exact scan) and the hnswlib graph.',
    `Filtered: bucket = i % ${CONFIG.buckets}, independent of the vectors; filter { bucket: { $lt: x } }. Raw hnswlib: setEf(${CONFIG.filteredEf}), searchKnn(q, 10, (label) => allowed[label] === 1). ` +
      `Quiver: search({ vector, k: 10, ef: ${CONFIG.filteredEf}, filter, include: [] }) with no exact, so the planner chooses; its plan is read from explain in a separate pass after timing.`,
    'The collection\'s planner learns from every executed search (forced ones included, EWMA weight 0.05), so by section 2 it has adapted to this machine; ' +
      '"default planner" is a fresh Planner with the defaults in src/core/query/planner.ts, "suggested" applies the rates measured here.',
  );

  const lowestCpuShare = Math.min(...contention.map((c) => c.cpuShare));
  const load: LoadInfo = { loadAverageAtStart, cpuPressureAtStart, lowestCpuShare, sections: contention };
  const contended = contention.filter((c) => c.cpuShare < 0.9);
  notes.push(
    contended.length === 0
      ? `This process had a core to itself in every timed section (CPU share >= 90% of wall time; lowest ${(lowestCpuShare * 100).toFixed(0)}%).`
      : `CONTENDED: in ${contended.length} of ${contention.length} timed sections this process ran less than 90% of the wall time ` +
          `(lowest ${(lowestCpuShare * 100).toFixed(0)}%: ${contended.map((c) => c.what).slice(0, 6).join('; ')}${contended.length > 6 ? '; ...' : ''}); ` +
          'another process competed for the CPU. QPS is by CPU time, which excludes the waiting, but cache sharing with the other process still adds noise: re-run on an idle machine for reference figures.',
  );
  const runtimeSeconds = progress.elapsedMs() / 1000;
  log(`done in ${runtimeSeconds.toFixed(1)} s (sink ${sink.toFixed(0)})`);
  const results = {
    benchmark: 'ann',
    machine,
    config: CONFIG,
    runtimeSeconds,
    load,
    datasets: [siftDs, synthDs].filter((d): d is Dataset => d !== null)
      .map((d) => ({ name: d.name, metric: d.metric, count: d.count, dim: d.dim, queries: d.queries.length, truth: d.truthSource })),
    skippedDatasets,
    siftTruthAgreement,
    quiverCollection: quiverInfo,
    engines: engineStatuses,
    curves: curvesOf([...siftSweep, ...synthSweep], exactRows),
    latency: latencyRows,
    exact: exactRows,
    builds: [...(siftEngines?.builds ?? []), ...synthEngines.builds],
    sweep: [...siftSweep, ...synthSweep],
    filtered: filterRows,
    calibration,
    defaultPath,
    defaultPaths,
    targets,
    notes,
  };
  const path = writeResults('ann.json', results);
  const svgPath = join(RESULTS_DIR, 'ann-recall-qps.svg');
  const seriesOf = (rows: SweepRow[]): Series[] => (['quiver', 'hnswlib', 'usearch'] as const).flatMap((engine) => {
    const name = engine === 'quiver' ? 'Quiver' : engine;
    const points = rows.flatMap((r) => {
      const recall = r.recall[engine];
      const qpsValue = r.qps[engine];
      return recall === null || qpsValue === null ? [] : [{ recall, qps: qpsValue, ef: r.ef }];
    });
    return points.length > 0 ? [{ name, color: COLORS[name], points }] : [];
  });
  writeFileSync(svgPath, recallQpsSvg(`Recall@10 vs QPS, M=${CONFIG.hnsw.m}, efConstruction=${CONFIG.hnsw.efConstruction}, ef ${CONFIG.efs.join('/')} (${machine.cpuModel}, 1 thread)`, [
    ...(siftDs ? [{ title: `siftsmall 10k x 128, l2, ${siftDs.queries.length} queries`, series: seriesOf(siftSweep) }] : []),
    { title: `${synthDs.name} x 128, cosine, ${synthDs.queries.length} queries`, series: seriesOf(synthSweep) },
  ]));
  printReport({ machine, load, builds: results.builds, sweep: results.sweep, filterRows, calibration, targets, notes, runtimeSeconds });
  for (const path of defaultPaths) {
    console.log(formatTable(`Default path: ${path.shape}`, ['configuration', 'QPS', 'x raw hnswlib', 'recall@10', 'build s', 'plan'],
      path.rows.map((r) => [r.configuration, fmt(r.qps), fmt(r.vsRaw, 2), fmt(r.recall, 3), r.buildSeconds === null ? '-' : fmt(r.buildSeconds, 1), r.plan ?? '-'])));
  }
  console.log(`\nJSON: ${path}\nSVG:  bench/results/ann-recall-qps.svg`);
}

function printReport(r: {
  machine: ReturnType<typeof machineInfo>;
  load: LoadInfo;
  builds: BuildRow[];
  sweep: SweepRow[];
  filterRows: FilterRow[];
  calibration: Calibration;
  targets: Target[];
  notes: string[];
  runtimeSeconds: number;
}): void {
  const m = r.machine;
  const x = (v: number) => `${fmt(v)}x`;
  const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
  console.log(
    `\n# Quiver ANN benchmark${QUICK ? ' (--quick)' : ''}\n` +
      `${m.date} | ${m.cpuModel} | ${m.cores} cores | ${m.totalMemoryGiB} GiB | Node ${m.node} | hnswlib-node ${m.packages['hnswlib-node']} | usearch ${m.packages.usearch ?? '-'} | ` +
      `commit ${m.git.commit?.slice(0, 10) ?? '?'}${m.git.dirty ? ' (dirty)' : ''} | ${r.runtimeSeconds.toFixed(0)} s | ` +
      `load average at start ${r.load.loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')}, lowest CPU share in a timed section ${pct(r.load.lowestCpuShare)}`,
  );
  const b = r.builds;
  const bN = ints(b.map((row) => row.count));
  console.log(formatTable(
    `Builds: M=${CONFIG.hnsw.m}, efConstruction=${CONFIG.hnsw.efConstruction}, one thread (build s: wall clock; build CPU s: this process's CPU time, robust to other load; docs/s by wall clock; ` +
      'memory: deltas after forced GC; engine size: the engine\'s own figure)',
    ['dataset', 'engine', 'N', 'build s', 'build CPU s', 'docs/s', 'RSS delta MiB', 'heap delta MiB', 'engine size MiB', 'engine size is'],
    b.map((row, i): Cell[] => [row.dataset, row.engine, bN[i], row.seconds, row.cpuSeconds, row.docsPerSecond, row.rssDeltaMiB, row.heapDeltaMiB, row.engineSizeMiB, row.engineSizeWhat]),
  ));
  for (const dataset of [...new Set(r.sweep.map((s) => s.dataset))]) {
    const rows = r.sweep.filter((s) => s.dataset === dataset);
    const efs = ints(rows.map((s) => s.ef));
    console.log(formatTable(
      `1. ${dataset}: recall@10 and QPS by ef, k=${CONFIG.k} (QPS: median of ${CONFIG.timing.samples} interleaved samples of whole query passes, by process CPU time; ` +
        '(wall) = the same ratio by wall clock; copy/hnswlib = a second, identical raw index in other memory (placement control); Quiver/both = against the mean of the two, the figure the target uses; ' +
        'overhead = Quiver - hnswlib µs/query; stage = Quiver explain search stage µs; spread = (max - min) / median; CPU = share of wall time this process ran)',
      ['ef', 'Quiver recall', 'hnswlib recall', 'usearch recall', 'Quiver QPS', 'hnswlib QPS', 'usearch QPS', 'Quiver/hnswlib', '(wall)', 'copy/hnswlib', 'Quiver/both', 'overhead µs', 'stage µs', 'spread Q/H/U', 'CPU', 'target'],
      rows.map((s, i): Cell[] => [
        efs[i], s.recall.quiver.toFixed(4), s.recall.hnswlib.toFixed(4), s.recall.usearch?.toFixed(4) ?? '-', s.qps.quiver, s.qps.hnswlib, s.qps.usearch ?? '-', x(s.ratio), x(s.wallRatio), x(s.copyRatio), x(s.ratioVsCopies),
        s.quiverOverheadUs, s.quiverSearchStageUs,
        `${(s.spreads.quiver * 100).toFixed(0)}/${(s.spreads.hnswlib * 100).toFixed(0)}/${s.spreads.usearch === null ? '-' : (s.spreads.usearch * 100).toFixed(0)}%`, pct(s.cpuShare),
        s.ratioVsCopies >= CONFIG.targets.qpsRatio && s.recall.quiver >= s.recall.hnswlib - CONFIG.targets.recallTolerance ? 'PASS' : 'FAIL',
      ]),
    ));
  }
  const f = r.filterRows;
  const fc = ints(f.map((row) => row.candidates));
  console.log(formatTable(
    `2. Filtered search, ${f[0] ? f[0].candidates.toLocaleString() : '?'} docs, k=${CONFIG.k}, ef ${CONFIG.filteredEf}: Quiver with its planner vs raw hnswlib-node + JS filter callback ` +
      `(plan: from explain over all ${CONFIG.synthetic.queries} queries; default plan: a fresh Planner with the default rates; recall over all queries; QPS by CPU time, (wall) by wall clock; ` +
      'filter µs: Quiver explain filter stage (validation + filter evaluation); raw short: raw queries with fewer than 10 hits; exact = truth: forced exact vs the brute force; violations: hits outside the filter; timed: queries per timing pass)',
    ['selectivity', 'candidates', 'Quiver plan', 'default plan', 'filter µs', 'Quiver recall', 'Quiver QPS', 'raw recall', 'raw QPS', 'Quiver/raw', '(wall)', 'raw short', 'exact = truth', 'violations', 'timed', 'CPU'],
    f.map((row, i): Cell[] => [
      row.selectivity, fc[i], row.auto.plans, row.defaultPlannerChoice, row.auto.filterStageMs * 1e3, row.auto.recall.toFixed(4), row.qps.auto, row.raw.recall.toFixed(4), row.qps.raw, x(row.ratio), x(row.wallRatio),
      String(row.raw.short), row.exactRecall.toFixed(4), String(row.auto.violations + row.forcedExact.violations + row.forcedHnsw.violations), String(row.timedQueries), pct(row.cpuShare),
    ]),
  ));
  const c = r.calibration;
  const sc = ints(c.scan.map((x) => x.candidates));
  console.log(formatTable(
    `3a. Exact scan (forced exact: true). CPU µs = CPU-time end-to-end median less explain's filter stage; stage µs = explain search stage (wall clock, as the planner records it), median over the ${CONFIG.synthetic.queries} queries. ` +
      `ns/float = µs / (candidates x dim). Default ${c.defaults.scanNsPerFloat}; least-squares fit on CPU µs: ${c.scanFit.nsPerFloat.toFixed(3)} ns/float + ${fmt(c.scanFit.interceptUs)} µs per query (r² ${c.scanFit.r2.toFixed(3)})`,
    ['candidates', 'selectivity', 'path', 'CPU µs', 'ns/float', 'stage µs', 'stage ns/float'],
    c.scan.map((x, i): Cell[] => [sc[i], x.selectivity, x.path, x.cpuUs, x.nsPerFloat.toFixed(3), x.stageUs, x.stageNsPerFloat.toFixed(3)]),
  ));
  const he = ints(c.hnsw.map((h) => h.ef));
  console.log(formatTable(
    `3b. Unfiltered HNSW (forced exact: false, the section 1 runs), by ef: ns/ef = µs / ef. Default ${c.defaults.hnswNsPerEf}; ` +
      `least-squares fit on CPU µs: ${fmt(c.hnswFit.nsPerEf)} ns/ef + ${fmt(c.hnswFit.interceptUs)} µs per query (r² ${c.hnswFit.r2.toFixed(3)})`,
    ['ef', 'CPU µs', 'ns/ef', 'stage µs', 'stage ns/ef'],
    c.hnsw.map((h, i): Cell[] => [he[i], h.cpuUs, h.nsPerEf, h.stageUs, h.stageNsPerEf]),
  ));
  const fcand = ints(c.filtered.map((row) => row.candidates));
  const fef = ints(c.filtered.map((row) => row.ef));
  console.log(formatTable(
    `3c. Filtered HNSW (forced exact: false, request ef ${CONFIG.filteredEf}, raised by filteredEf): ns per (ef / selectivity) = µs x selectivity / ef. Default ${c.defaults.filteredNsPerEf}. ` +
      `Stage and recall over all queries, or the first ${CONFIG.slowRecallQueries} at 1% and below; CPU µs over the timed queries`,
    ['selectivity', 'candidates', 'HNSW ef', 'CPU µs', 'ns per ef/sel', 'stage µs', 'stage ns per ef/sel', 'HNSW recall', 'fallbacks'],
    c.filtered.map((row, i): Cell[] => [
      row.selectivity, fcand[i], fef[i], row.cpuUs, row.nsPerEfOverSelectivity, row.stageUs, row.stageNsPerEfOverSelectivity, row.recall.toFixed(4), String(row.fallbacks),
    ]),
  ));
  console.log(formatTable(
    `3d. Planner rates: defaults (src/core/query/planner.ts), what the collection had learnt by the end (read back from explain.estimates), and measured here (suggested defaults; ${c.suggested.basis})`,
    ['rate', 'default', 'learnt by the end', 'measured'],
    [
      ['scan ns/float', c.defaults.scanNsPerFloat.toFixed(3), c.adapted.scanNsPerFloat.toFixed(3), c.suggested.scanNsPerFloat.toFixed(3)],
      ['HNSW ns/ef', c.defaults.hnswNsPerEf, c.adapted.hnswNsPerEf, c.suggested.hnswNsPerEf],
      ['filtered HNSW ns per ef/sel', c.defaults.filteredNsPerEf, c.adapted.filteredNsPerEf, c.suggested.filteredNsPerEf],
    ],
  ));
  const dc = ints(c.decisions.map((d) => d.candidates));
  console.log(formatTable(
    '3e. Did the planner pick the faster plan? (forced exact vs forced HNSW: end-to-end median µs per query by CPU time, interleaved; "during": its choice while the case ran; ' +
      '"default": fresh Planner; "measured rates": the cost model with 3d\'s measured rates; "at the end": asked again after all cases)',
    ['selectivity', 'candidates', 'exact µs', 'HNSW µs', 'faster', 'HNSW recall', 'during', 'ok', 'default', 'ok', 'measured rates', 'ok', 'at the end', 'ok'],
    c.decisions.map((d, i): Cell[] => [
      d.selectivity, dc[i], d.exactUs, d.hnswUs, d.faster, d.hnswRecall.toFixed(4),
      d.plannerAdapted, d.adaptedOk ? 'yes' : 'NO', d.plannerDefault, d.defaultOk ? 'yes' : 'NO',
      d.plannerSuggested, d.suggestedOk ? 'yes' : 'NO', d.plannerFinal, d.finalOk ? 'yes' : 'NO',
    ]),
  ));
  console.log(formatTable(
    '3f. What the collection\'s planner had learnt, read back from explain.estimates: median over each case\'s planner pass (in run order), then when asked again at the end',
    ['case', 'scan ns/float', 'HNSW ns/ef', 'filtered ns per ef/sel', 'at the end: scan', 'HNSW', 'filtered'],
    f.map((row): Cell[] => [
      row.selectivity, row.auto.rates.scanNsPerFloat.toFixed(3), row.auto.rates.hnswNsPerEf, row.auto.rates.filteredNsPerEf,
      row.finalRates ? row.finalRates.scanNsPerFloat.toFixed(3) : null, row.finalRates?.hnswNsPerEf ?? null, row.finalRates?.filteredNsPerEf ?? null,
    ]),
  ));
  console.log(formatTable('Targets', ['requirement', 'value', 'target', 'result'], r.targets.map((t): Cell[] => [t.name, t.value, t.target, t.met ? 'PASS' : 'FAIL'])));
  if (r.notes.length > 0) console.log('\nNotes:\n' + r.notes.map((n) => `- ${n}`).join('\n'));
}

await main();
