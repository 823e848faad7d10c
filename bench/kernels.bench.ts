/**
 * Kernel and exact-search benchmark: `npm run bench:kernels [-- --quick]`.
 *
 * 1. Kernel throughput, one query against N vectors at dim 128 and 768:
 *    plain JS loops, WASM scalar, WASM SIMD f32, WASM SIMD int8, and native
 *    hnswlib-node BruteforceSearch (a full top-k scan) on the same data.
 * 2. End-to-end exact top-10 through the public API (l2 and cosine) against
 *    a plain JS brute force and hnswlib BruteforceSearch, ids checked.
 * 3. int8 collections: int8 scan + f32 re-rank against pure f32 on the same
 *    collection, with recall@10, on uniform random data and TEXMEX siftsmall.
 *
 * All data is seeded and built outside the timed functions; every timed
 * function rotates through a set of queries; each figure is the median of
 * several samples taken after a warm-up, and competing implementations have
 * their samples interleaved so machine drift hits them alike
 * (bench/lib/harness.ts).
 * `--quick` shrinks N to 20,000; QUIVER_BENCH_SMOKE=1 (the suite's test) to
 * 2,000 with a few samples and no siftsmall, only to prove the run works.
 * Results: printed tables, and bench/results/kernels.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import hnswlib, { type BruteforceSearch } from 'hnswlib-node';
import { readTopK } from '../src/core/vector/top-k.js';
import { KERNEL_DOT, KERNEL_L2, WasmHeap, type KernelMetric } from '../src/core/vector/wasm-heap.js';

/** One WebAssembly instance and memory for the kernel-level benchmarks. */
const heap = new WasmHeap();
import { openDatabase, type Collection, type Database, type Metric } from '../src/index.js';
import { randomVectors } from '../test/fixtures/random.js';
import { loadSiftsmall } from './lib/datasets.js';
import {
  createProgress,
  fmt,
  formatTable,
  machineInfo,
  quickMode,
  SMOKE,
  type Target,
  measureInterleaved,
  spread,
  timeOnce,
  timeOnceAsync,
  writeResults,
  type Cell,
  type Timing,
  type TimingOptions,
} from './lib/harness.js';

const QUICK = quickMode();

const CONFIG = {
  quick: QUICK,
  smoke: SMOKE,
  kernel: { count: SMOKE ? 2_000 : QUICK ? 20_000 : 100_000, dims: [128, 768], queries: 8, dataSeed: 42, querySeed: 4242 },
  search: { count: SMOKE ? 2_000 : QUICK ? 20_000 : 50_000, dim: 128, queries: SMOKE ? 20 : 200, k: 10, dataSeed: 43, querySeed: 4343 },
  /** The int8 section on TEXMEX siftsmall (../shared/data); left out of a smoke run. */
  siftsmall: !SMOKE,
  upsertBatch: 5_000,
  timing: (SMOKE
    ? { warmupMs: 5, minSampleMs: 5, samples: 3 }
    : QUICK ? { warmupMs: 50, minSampleMs: 20, samples: 5 } : { warmupMs: 150, minSampleMs: 40, samples: 11 }) satisfies TimingOptions,
  targets: { vsPlainJs: 8, vsHnswlib: 1.0, int8Speedup: 2.5, int8Recall: 0.99 },
} as const;

const progress = createProgress();
const log = progress.log;
const notes: string[] = [];

/** Keeps results observable so no timed work can be optimised away. */
let sink = 0;

// ============================================================ shared helpers

function rowsOf(data: Float32Array, dim: number): Float32Array[] {
  const rows: Float32Array[] = [];
  for (let i = 0; i < data.length; i += dim) rows.push(data.subarray(i, i + dim));
  return rows;
}

/** Unit-length copy of every row (what a cosine index stores). */
function normalizeRows(data: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let base = 0; base < data.length; base += dim) {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += data[base + d]! * data[base + d]!;
    const inverse = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let d = 0; d < dim; d++) out[base + d] = data[base + d]! * inverse;
  }
  return out;
}

function nsPerQueryToQps(ns: number): number {
  return 1e9 / ns;
}

function sameOrder(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function overlap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const set = new Set(Array.from(b));
  let n = 0;
  for (let i = 0; i < a.length; i++) if (set.has(a[i]!)) n++;
  return n;
}

/**
 * The same points under another space: a BruteforceSearch file holds only the
 * vectors and labels, so 'ip' and 'l2' indexes over the same data share it.
 * Saves a second addPoint pass (slow: hnswlib-node reads number[] element by element).
 */
function reopenBruteforce(source: BruteforceSearch, space: 'l2' | 'ip', dim: number): BruteforceSearch {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-bench-'));
  try {
    const file = join(dir, 'bruteforce.bin');
    source.writeIndexSync(file);
    const index = new hnswlib.BruteforceSearch(space, dim);
    index.readIndexSync(file);
    return index;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function buildBruteforce(space: 'l2' | 'ip' | 'cosine', data: Float32Array, dim: number): BruteforceSearch {
  const count = data.length / dim;
  const index = new hnswlib.BruteforceSearch(space, dim);
  index.initIndex(count);
  const point = new Array<number>(dim).fill(0);
  for (let i = 0; i < count; i++) {
    for (let d = 0; d < dim; d++) point[d] = data[i * dim + d]!;
    index.addPoint(point, i);
  }
  return index;
}

// ============================================================ plain JS baselines

function jsDotBatch(query: Float32Array, data: Float32Array, count: number, dim: number, out: Float32Array): void {
  for (let i = 0, base = 0; i < count; i++, base += dim) {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += query[d]! * data[base + d]!;
    out[i] = sum;
  }
}

function jsL2Batch(query: Float32Array, data: Float32Array, count: number, dim: number, out: Float32Array): void {
  for (let i = 0, base = 0; i < count; i++, base += dim) {
    let sum = 0;
    for (let d = 0; d < dim; d++) {
      const x = query[d]! - data[base + d]!;
      sum += x * x;
    }
    out[i] = -sum;
  }
}

/**
 * Plain JS exact top-k: a simple loop keeping the best k in a sorted array.
 * `l2`: smallest squared distance; otherwise largest dot (cosine over rows
 * normalised beforehand, the query normalised here, as Quiver does). On equal
 * scores the lower label wins, Quiver's rule.
 */
function jsTopK(query: Float32Array, data: Float32Array, count: number, dim: number, k: number, l2: boolean): Int32Array {
  let q = query;
  if (!l2) {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += query[d]! * query[d]!;
    const inverse = 1 / Math.sqrt(sum);
    q = new Float32Array(dim);
    for (let d = 0; d < dim; d++) q[d] = query[d]! * inverse;
  }
  const ids = new Int32Array(k);
  const dist = new Float64Array(k);
  let size = 0;
  let worst = Infinity;
  for (let i = 0, base = 0; i < count; i++, base += dim) {
    let s = 0;
    if (l2) {
      for (let d = 0; d < dim; d++) {
        const x = q[d]! - data[base + d]!;
        s += x * x;
      }
    } else {
      for (let d = 0; d < dim; d++) s += q[d]! * data[base + d]!;
      s = -s;
    }
    if (s >= worst) continue;
    let p = size < k ? size : k - 1;
    while (p > 0 && dist[p - 1]! > s) {
      dist[p] = dist[p - 1]!;
      ids[p] = ids[p - 1]!;
      p--;
    }
    dist[p] = s;
    ids[p] = i;
    if (size < k) size++;
    if (size === k) worst = dist[k - 1]!;
  }
  return ids.subarray(0, size);
}

// ============================================================ 1. kernels

type KernelMetricName = 'dot' | 'l2';

interface KernelRow {
  dim: number;
  metric: KernelMetricName;
  impl: string;
  /** Bytes of vector data one vector costs to read. */
  bytesPerVector: number;
  nsPerVector: number;
  gbPerSecond: number;
  vsPlainJs: number | null;
  vsHnswlib: number | null;
  nsPerPass: Timing;
}

const IMPL = {
  js: 'plain JS (f32 array)',
  scalar: 'WASM scalar f32',
  simd: 'WASM SIMD f32',
  simdTopk: 'WASM SIMD f32 top-10 scan',
  i8: 'WASM SIMD int8',
  i8Topk: 'WASM SIMD int8 top-10 scan',
  hnsw: 'hnswlib BruteforceSearch top-10',
} as const;

async function benchKernels(dim: number): Promise<KernelRow[]> {
  const { count, queries: queryCount, dataSeed, querySeed } = CONFIG.kernel;
  const t = CONFIG.timing;
  const k = heap;
  const raw = k.raw;
  const paddedDim = Math.ceil(dim / 16) * 16;
  const topK = 10;

  log(`kernels dim ${dim}: generating ${count.toLocaleString()} x ${dim} seeded vectors`);
  const data = randomVectors(count, dim, dataSeed + dim);
  const queryData = randomVectors(queryCount, dim, querySeed + dim);
  const queries = rowsOf(queryData, dim);
  const queryArrays = queries.map((q) => Array.from(q));

  // WASM buffers; nothing below allocates again until they are freed, so pointers stay valid.
  const rowsPtr = k.alloc(count * dim * 4);
  const queriesPtr = k.alloc(queryCount * dim * 4);
  const outPtr = k.alloc(count * 4);
  const centerPtr = k.alloc(dim * 4);
  const inverseStepPtr = k.alloc(dim * 4);
  const stepPtr = k.alloc(dim * 4);
  const rowsI8Ptr = k.alloc(count * paddedDim);
  const queries16Ptr = k.alloc(queryCount * paddedDim * 2);
  // topkScanI8 selects through a buffer of 2 * topK slots (see assembly/scan.ts).
  const labelsPtr = k.alloc(2 * topK * 4);
  const scoresPtr = k.alloc(2 * topK * 4);
  k.f32.set(data, rowsPtr >>> 2);
  k.f32.set(queryData, queriesPtr >>> 2);
  // int8 codes with the library's own quantiser: data lies in [-1, 1), so center 0 and step 1/127.
  k.f32.fill(0, centerPtr >>> 2, (centerPtr >>> 2) + dim);
  k.f32.fill(127, inverseStepPtr >>> 2, (inverseStepPtr >>> 2) + dim);
  k.f32.fill(1 / 127, stepPtr >>> 2, (stepPtr >>> 2) + dim);
  raw.quantizeRows(rowsPtr, count, dim, paddedDim, centerPtr, inverseStepPtr, rowsI8Ptr);
  const queryScales = queries.map((_, q) =>
    raw.quantizeQuery(queriesPtr + q * dim * 4, dim, paddedDim, stepPtr, queries16Ptr + q * paddedDim * 2),
  );
  const queryPtr = (i: number) => queriesPtr + (i % queryCount) * dim * 4;
  const query16Ptr = (i: number) => queries16Ptr + (i % queryCount) * paddedDim * 2;

  checkKernels(dim, data, queries[0]!, rowsPtr, queriesPtr, outPtr, rowsI8Ptr, queries16Ptr, queryScales[0]!, paddedDim);

  log(`kernels dim ${dim}: building hnswlib BruteforceSearch('l2') with ${count.toLocaleString()} points (addPoint, untimed)`);
  const built = timeOnce(() => buildBruteforce('l2', data, dim));
  log(`kernels dim ${dim}: hnswlib build took ${(built.ms / 1000).toFixed(1)} s; reopening its saved file as BruteforceSearch('ip')`);
  const indexes: Record<KernelMetricName, BruteforceSearch> = { l2: built.result, dot: reopenBruteforce(built.result, 'ip', dim) };
  for (const metric of ['dot', 'l2'] as const) {
    checkBruteforce(dim, metric, indexes[metric], queryArrays[0]!, queryPtr(0), rowsPtr, count, labelsPtr, scoresPtr);
  }

  const jsOut = new Float32Array(count);
  const f32Bytes = dim * 4;
  const i8Bytes = paddedDim;
  const measured: { metric: KernelMetricName; impl: string; bytesPerVector: number; timing: Timing }[] = [];
  for (const [metric, code] of [['dot', KERNEL_DOT], ['l2', KERNEL_L2]] as [KernelMetricName, KernelMetric][]) {
    const jsBatch = metric === 'dot' ? jsDotBatch : jsL2Batch;
    const index = indexes[metric];
    const fns: Record<string, (i: number) => void> = {
      [IMPL.js]: (i) => {
        jsBatch(queries[i % queryCount]!, data, count, dim, jsOut);
        sink += jsOut[i % count]!;
      },
      [IMPL.scalar]: (i) => raw.scoreBatchScalar(code, queryPtr(i), rowsPtr, count, dim, outPtr),
      [IMPL.simd]: (i) => raw.scoreBatch(code, queryPtr(i), rowsPtr, count, dim, outPtr),
      [IMPL.simdTopk]: (i) => {
        const size = raw.topkScan(code, queryPtr(i), rowsPtr, count, dim, 0, topK, labelsPtr, scoresPtr, 0, 0);
        raw.sortHeap(labelsPtr, scoresPtr, size);
        sink += size;
      },
    };
    if (metric === 'dot') {
      // int8: integer dot of int8 rows with the int16-widened query (the l2 int8 scan adds one f32 norm per row).
      fns[IMPL.i8] = (i) => raw.scoreBatchI8(query16Ptr(i), rowsI8Ptr, count, paddedDim, outPtr);
      fns[IMPL.i8Topk] = (i) => {
        const size = raw.topkScanI8(KERNEL_DOT, query16Ptr(i), rowsI8Ptr, count, paddedDim, queryScales[i % queryCount]!, 0, 0, 0, topK, labelsPtr, scoresPtr, 2 * topK, 0, -Infinity, 0);
        sink += raw.finishI8(labelsPtr, scoresPtr, size, topK);
      };
    }
    // A full top-k query scans every vector: time per query / N = ns per vector.
    fns[IMPL.hnsw] = (i) => {
      sink += index.searchKnn(queryArrays[i % queryCount]!, topK).neighbors[0]!;
    };
    log(`kernels dim ${dim} ${metric}: timing ${Object.keys(fns).length} implementations, samples interleaved`);
    const timings = await measureInterleaved(fns, t);
    for (const [impl, timing] of Object.entries(timings)) {
      measured.push({ metric, impl, bytesPerVector: impl === IMPL.i8 || impl === IMPL.i8Topk ? i8Bytes : f32Bytes, timing });
    }
  }

  for (const ptr of [rowsPtr, queriesPtr, outPtr, centerPtr, inverseStepPtr, stepPtr, rowsI8Ptr, queries16Ptr, labelsPtr, scoresPtr]) k.free(ptr);

  const nsOf = (metric: KernelMetricName, impl: string) =>
    measured.find((m) => m.metric === metric && m.impl === impl)!.timing.medianNs / count;
  return measured.map(({ metric, impl, bytesPerVector, timing }) => {
    const nsPerVector = timing.medianNs / count;
    return {
      dim,
      metric,
      impl,
      bytesPerVector,
      nsPerVector,
      gbPerSecond: bytesPerVector / nsPerVector,
      vsPlainJs: nsOf(metric, IMPL.js) / nsPerVector,
      vsHnswlib: nsOf(metric, IMPL.hnsw) / nsPerVector,
      nsPerPass: timing,
    };
  });
}

/** Sanity checks outside the timed part: every kernel agrees with plain JS. */
function checkKernels(
  dim: number, data: Float32Array, query: Float32Array,
  rowsPtr: number, queryPtr: number, outPtr: number,
  rowsI8Ptr: number, query16Ptr: number, scale: number, paddedDim: number,
): void {
  const k = heap;
  const count = Math.min(1000, data.length / dim);
  const expected = new Float32Array(count);
  for (const [code, jsBatch] of [[KERNEL_DOT, jsDotBatch], [KERNEL_L2, jsL2Batch]] as const) {
    jsBatch(query, data, count, dim, expected);
    for (const fn of [k.raw.scoreBatch, k.raw.scoreBatchScalar]) {
      fn(code, queryPtr, rowsPtr, count, dim, outPtr);
      const got = k.f32.subarray(outPtr >>> 2, (outPtr >>> 2) + count);
      for (let i = 0; i < count; i++) {
        if (Math.abs(got[i]! - expected[i]!) > 1e-3 * Math.max(1, Math.abs(expected[i]!))) {
          throw new Error(`dim ${dim}: WASM kernel (metric ${code}) row ${i} = ${got[i]}, plain JS = ${expected[i]}`);
        }
      }
    }
  }
  k.raw.scoreBatchI8(query16Ptr, rowsI8Ptr, count, paddedDim, outPtr);
  const i8 = k.i8;
  const i16 = k.i16;
  const i32 = k.i32;
  let worstError = 0;
  for (let i = 0; i < count; i++) {
    let idot = 0;
    for (let d = 0; d < paddedDim; d++) idot += i8[rowsI8Ptr + i * paddedDim + d]! * i16[(query16Ptr >>> 1) + d]!;
    const got = i32[(outPtr >>> 2) + i]!;
    if (got !== idot) throw new Error(`dim ${dim}: scoreBatchI8 row ${i} = ${got}, plain JS integer dot = ${idot}`);
    // The approximate f32 dot is scale * idot (center 0); compare with the exact one.
    let exact = 0;
    for (let d = 0; d < dim; d++) exact += query[d]! * data[i * dim + d]!;
    worstError = Math.max(worstError, Math.abs(scale * idot - exact));
  }
  log(`kernels dim ${dim}: checks passed (f32 kernels match plain JS; int8 integer dots exact; worst int8 dot error ${worstError.toFixed(3)})`);
}

function checkBruteforce(
  dim: number, metric: KernelMetricName, index: BruteforceSearch, query: number[],
  queryPtr: number, rowsPtr: number, count: number, labelsPtr: number, scoresPtr: number,
): void {
  const k = heap;
  const found = k.raw.topkScan(metric === 'dot' ? KERNEL_DOT : KERNEL_L2, queryPtr, rowsPtr, count, dim, 0, 10, labelsPtr, scoresPtr, 0, 0);
  k.raw.sortHeap(labelsPtr, scoresPtr, found);
  const ours = readTopK(k, labelsPtr, scoresPtr, found).labels;
  const theirs = index.searchKnn(query, 10).neighbors;
  const common = overlap(ours, theirs);
  if (common < 9) throw new Error(`dim ${dim} ${metric}: hnswlib and WASM top-10 share only ${common} ids`);
}

// ============================================================ 2. end-to-end exact search

interface EndToEndRow {
  metric: Metric;
  count: number;
  dim: number;
  queries: number;
  quiverQps: number;
  plainJsQps: number;
  hnswlibQps: number;
  quiverVsPlainJs: number;
  quiverVsHnswlib: number;
  /** Queries whose Quiver top-10 ids equal the plain JS ids, in order. */
  idsMatchInOrder: number;
  /** Same, as sets. */
  idsMatchAsSet: number;
  hnswlibIdsMatchInOrder: number;
  upsertDocsPerSecond: number;
  hnswlibBuildDocsPerSecond: number;
  timings: { quiver: Timing; plainJs: Timing; hnswlib: Timing };
}

async function upsertAll(collection: Collection, data: Float32Array, dim: number): Promise<number> {
  const count = data.length / dim;
  const { ms } = await timeOnceAsync(async () => {
    for (let start = 0; start < count; start += CONFIG.upsertBatch) {
      const end = Math.min(count, start + CONFIG.upsertBatch);
      const batch = [];
      for (let i = start; i < end; i++) batch.push({ id: String(i), vector: data.subarray(i * dim, (i + 1) * dim) });
      await collection.upsert(batch);
    }
  });
  return (count / ms) * 1000;
}

const ids = (hits: { id: string }[]) => Int32Array.from(hits, (hit) => Number(hit.id));

async function benchEndToEnd(db: Database, metric: 'l2' | 'cosine', data: Float32Array, queryData: Float32Array): Promise<EndToEndRow> {
  const { dim, k } = CONFIG.search;
  const t = CONFIG.timing;
  const count = data.length / dim;
  const queries = rowsOf(queryData, dim);
  const queryArrays = queries.map((q) => Array.from(q));
  const l2 = metric === 'l2';
  const jsData = l2 ? data : normalizeRows(data, dim);

  log(`end-to-end ${metric}: upserting ${count.toLocaleString()} x ${dim} into a Quiver collection`);
  const collection = await db.createCollection(`e2e_${metric}`, { dimension: dim, metric });
  const upsertDocsPerSecond = await upsertAll(collection, data, dim);
  log(`end-to-end ${metric}: building hnswlib BruteforceSearch('${metric}')`);
  const build = timeOnce(() => buildBruteforce(metric, data, dim));
  const index = build.result;

  log(`end-to-end ${metric}: checking ids on all ${queries.length} queries (Quiver vs plain JS vs hnswlib)`);
  let idsMatchInOrder = 0;
  let idsMatchAsSet = 0;
  let hnswlibIdsMatchInOrder = 0;
  for (let q = 0; q < queries.length; q++) {
    const expected = jsTopK(queries[q]!, jsData, count, dim, k, l2);
    const got = ids(await collection.search({ vector: queries[q]!, k, exact: true, include: [] }));
    if (sameOrder(got, expected)) idsMatchInOrder++;
    if (overlap(got, expected) === k) idsMatchAsSet++;
    if (sameOrder(index.searchKnn(queryArrays[q]!, k).neighbors, expected)) hnswlibIdsMatchInOrder++;
  }

  log(`end-to-end ${metric}: timing Quiver search({ exact: true, include: [] }), plain JS top-${k}, hnswlib searchKnn (samples interleaved)`);
  const timed = await measureInterleaved(
    {
      quiver: (i) => collection.search({ vector: queries[i % queries.length]!, k, exact: true, include: [] }),
      plainJs: (i) => {
        sink += jsTopK(queries[i % queries.length]!, jsData, count, dim, k, l2)[0]!;
      },
      hnswlib: (i) => {
        sink += index.searchKnn(queryArrays[i % queries.length]!, k).neighbors[0]!;
      },
    },
    t,
  );
  const { quiver, plainJs, hnswlib: hnsw } = timed;

  return {
    metric,
    count,
    dim,
    queries: queries.length,
    quiverQps: nsPerQueryToQps(quiver.medianNs),
    plainJsQps: nsPerQueryToQps(plainJs.medianNs),
    hnswlibQps: nsPerQueryToQps(hnsw.medianNs),
    quiverVsPlainJs: plainJs.medianNs / quiver.medianNs,
    quiverVsHnswlib: hnsw.medianNs / quiver.medianNs,
    idsMatchInOrder,
    idsMatchAsSet,
    hnswlibIdsMatchInOrder,
    upsertDocsPerSecond,
    hnswlibBuildDocsPerSecond: (count / build.ms) * 1000,
    timings: { quiver, plainJs, hnswlib: hnsw },
  };
}

// ============================================================ 3. int8 collections

interface Int8Row {
  dataset: string;
  metric: Metric;
  count: number;
  dim: number;
  queries: number;
  /** First int8 search (one-off, not in the QPS). */
  firstSearchMs: number;
  /**
   * `search({ vector, k: 10, exact: true, include: [] })` on the int8 collection vs the same on an f32 one.
   * `exact: true` pins the scan: without it a planner may pick an approximate index instead.
   */
  int8Qps: number;
  f32Qps: number;
  speedup: number;
  /** The same with the default include (metadata, text), which reads each hit's fields from the store. */
  int8QpsDefaultInclude: number;
  f32QpsDefaultInclude: number;
  speedupDefaultInclude: number;
  /** Mean |int8 top-10 ∩ f32 exact top-10| / 10. */
  recallAt10: number;
  minRecallAt10: number;
  /** siftsmall only: f32 exact top-10 against the published ground truth (as sets; ties can swap). */
  f32RecallVsGroundTruth: number | null;
  upsertDocsPerSecond: number;
  /** Bytes of WebAssembly memory the vectors take: int8 codes (and norms), f32 rows. */
  memoryBytes: { int8: number; f32: number };
  timings: Record<'int8' | 'f32' | 'int8DefaultInclude' | 'f32DefaultInclude', Timing>;
}

async function benchInt8(
  db: Database, dataset: string, metric: 'l2' | 'cosine', data: Float32Array, dim: number,
  queryData: Float32Array, groundTruth?: Int32Array, groundTruthDim?: number,
): Promise<Int8Row> {
  const { k } = CONFIG.search;
  const t = CONFIG.timing;
  const count = data.length / dim;
  const queries = rowsOf(queryData, dim);
  const name = `int8_${dataset.replace(/[^A-Za-z0-9]/g, '')}_${metric}`;

  log(`int8 ${dataset} ${metric}: upserting ${count.toLocaleString()} x ${dim} into a quantization 'int8' collection and an f32 one`);
  const collection = await db.createCollection(name, { dimension: dim, metric, quantization: 'int8' });
  const upsertDocsPerSecond = await upsertAll(collection, data, dim);
  const f32Collection = await db.createCollection(`${name}_f32`, { dimension: dim, metric });
  await upsertAll(f32Collection, data, dim);
  const memory = { int8: collection.info.memory.vectors, f32: f32Collection.info.memory.vectors };
  log(`int8 ${dataset} ${metric}: vectors in memory: int8 ${(memory.int8 / 2 ** 20).toFixed(1)} MiB (codes only: re-ranks from the store), f32 ${(memory.f32 / 2 ** 20).toFixed(1)} MiB`);

  // The first search reads the store's pages for the re-rank: timed apart, then warm-up before any sample.
  const first = await timeOnceAsync(() => collection.search({ vector: queries[0]!, k, exact: true, include: [] }));
  log(`int8 ${dataset} ${metric}: first int8 search took ${first.ms.toFixed(1)} ms; excluded from QPS, timing starts after a warm-up`);

  let recallSum = 0;
  let minRecall = 1;
  let gtSum = 0;
  for (let q = 0; q < queries.length; q++) {
    const exact = ids(await f32Collection.search({ vector: queries[q]!, k, exact: true, include: [] }));
    const approx = ids(await collection.search({ vector: queries[q]!, k, exact: true, include: [] }));
    const recall = overlap(approx, exact) / k;
    recallSum += recall;
    minRecall = Math.min(minRecall, recall);
    if (groundTruth && groundTruthDim) gtSum += overlap(exact, groundTruth.subarray(q * groundTruthDim, q * groundTruthDim + k)) / k;
  }

  const q = (i: number) => queries[i % queries.length]!;
  log(`int8 ${dataset} ${metric}: timing int8 scan + f32 re-rank vs the f32 collection's scan, with include: [] and with the default include (samples interleaved)`);
  const timings = await measureInterleaved(
    {
      int8: (i) => collection.search({ vector: q(i), k, exact: true, include: [] }),
      f32: (i) => f32Collection.search({ vector: q(i), k, exact: true, include: [] }),
      int8DefaultInclude: (i) => collection.search({ vector: q(i), k, exact: true }),
      f32DefaultInclude: (i) => f32Collection.search({ vector: q(i), k, exact: true }),
    },
    t,
  );

  return {
    dataset,
    metric,
    count,
    dim,
    queries: queries.length,
    firstSearchMs: first.ms,
    int8Qps: nsPerQueryToQps(timings.int8.medianNs),
    f32Qps: nsPerQueryToQps(timings.f32.medianNs),
    speedup: timings.f32.medianNs / timings.int8.medianNs,
    int8QpsDefaultInclude: nsPerQueryToQps(timings.int8DefaultInclude.medianNs),
    f32QpsDefaultInclude: nsPerQueryToQps(timings.f32DefaultInclude.medianNs),
    speedupDefaultInclude: timings.f32DefaultInclude.medianNs / timings.int8DefaultInclude.medianNs,
    recallAt10: recallSum / queries.length,
    minRecallAt10: minRecall,
    f32RecallVsGroundTruth: groundTruth ? gtSum / queries.length : null,
    upsertDocsPerSecond,
    memoryBytes: memory,
    timings,
  };
}

// ============================================================ main


async function main(): Promise<void> {
  const machine = machineInfo(['hnswlib-node', 'assemblyscript', 'better-sqlite3', 'tsx', 'typescript']);
  log(`Quiver kernel benchmark${SMOKE ? ' (smoke)' : QUICK ? ' (--quick)' : ''}: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`);

  // Shared data first, so a missing file fails before minutes of work.
  const sift = CONFIG.siftsmall ? loadSiftsmall() : null;
  if (!sift) notes.push('smoke run (QUIVER_BENCH_SMOKE=1): sizes too small to mean anything, and no siftsmall section.');
  if (sift && sift.queryCount < 200) {
    notes.push(
      `siftsmall has only ${sift.queryCount} official queries; its recall@10 is averaged over those ${sift.queryCount} ` +
        `(the uniform random sets use ${CONFIG.search.queries}).`,
    );
  }

  const kernelRows: KernelRow[] = [];
  for (const dim of CONFIG.kernel.dims) kernelRows.push(...(await benchKernels(dim)));

  const { count, dim, queries, dataSeed, querySeed } = CONFIG.search;
  log(`search: generating ${count.toLocaleString()} x ${dim} seeded vectors and ${queries} queries`);
  const data = randomVectors(count, dim, dataSeed);
  const queryData = randomVectors(queries, dim, querySeed);
  const db = await openDatabase({ workers: 0 });

  const endToEnd: EndToEndRow[] = [];
  for (const metric of ['l2', 'cosine'] as const) endToEnd.push(await benchEndToEnd(db, metric, data, queryData));

  notes.push(
    'int8: an int8 collection keeps int8 codes only (fitted once it holds 4,096 rows) and re-ranks its shortlist with f32 rows read from the store; the first search is timed apart (firstSearchMs), QPS after a warm-up.',
    'int8: every search passes exact: true so the planner cannot swap in an approximate index; f32 is a collection without quantization holding the same vectors.',
  );
  const int8: Int8Row[] = [];
  for (const metric of ['l2', 'cosine'] as const) int8.push(await benchInt8(db, 'uniform random', metric, data, dim, queryData));
  for (const metric of sift ? (['l2', 'cosine'] as const) : []) {
    const l2 = metric === 'l2';
    int8.push(await benchInt8(db, 'siftsmall', metric, sift!.base, sift!.dim, sift!.queries, l2 ? sift!.truth : undefined, l2 ? sift!.truthDim : undefined));
  }
  const wasmBytes = db.wasmMemoryBytes + heap.bytes;
  await db.close();

  const targets: Target[] = [];
  for (const row of endToEnd) {
    targets.push({ name: `exact ${row.metric}: Quiver / plain JS`, value: row.quiverVsPlainJs, target: `>= ${CONFIG.targets.vsPlainJs}x`, met: row.quiverVsPlainJs >= CONFIG.targets.vsPlainJs });
    targets.push({ name: `exact ${row.metric}: Quiver / hnswlib BruteforceSearch`, value: row.quiverVsHnswlib, target: `>= ${CONFIG.targets.vsHnswlib}x`, met: row.quiverVsHnswlib >= CONFIG.targets.vsHnswlib });
    targets.push({ name: `exact ${row.metric}: ids equal plain JS`, value: row.idsMatchInOrder, target: `${row.queries}/${row.queries}`, met: row.idsMatchInOrder === row.queries });
  }
  for (const row of int8) {
    // The speed target is the case, the 50,000 x 128 set, searched with include: [] (the search
    // alone; the default include adds the same document reads to both sides). siftsmall's 10,000 rows
    // are there for recall on real data; its speedup is in the table above.
    if (row.dataset === 'uniform random') {
      targets.push({ name: `int8 ${row.dataset} ${row.metric}: speedup over f32 (include: [])`, value: row.speedup, target: `>= ${CONFIG.targets.int8Speedup}x`, met: row.speedup >= CONFIG.targets.int8Speedup });
    }
    targets.push({ name: `int8 ${row.dataset} ${row.metric}: recall@10 (${row.queries} queries)`, value: row.recallAt10, target: `>= ${CONFIG.targets.int8Recall}`, met: row.recallAt10 >= CONFIG.targets.int8Recall });
  }

  const loadAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  notes.push(
    `load average at start ${machine.loadAverage.join(' / ')}, at end ${loadAtEnd.join(' / ')} (1 / 5 / 15 min, ${machine.cores} cores): ` +
      'a load near or above the core count means other work shared the CPU and the figures are noisier.',
  );
  const runtimeSeconds = progress.elapsedMs() / 1000;
  log(`done in ${runtimeSeconds.toFixed(1)} s (sink ${sink.toFixed(0)})`);
  const results = {
    benchmark: 'kernels',
    machine,
    config: CONFIG,
    runtimeSeconds,
    memory: { wasmLinearMemoryBytes: wasmBytes, rssBytes: process.memoryUsage().rss },
    kernels: kernelRows,
    endToEnd,
    int8,
    targets,
    notes,
  };
  const path = writeResults('kernels.json', results);
  printReport(results);
  console.log(`\nJSON: ${path}`);
}

function printReport(r: {
  machine: ReturnType<typeof machineInfo>;
  kernels: KernelRow[];
  endToEnd: EndToEndRow[];
  int8: Int8Row[];
  targets: Target[];
  notes: string[];
  runtimeSeconds: number;
}): void {
  const m = r.machine;
  console.log(
    `\n# Quiver kernels benchmark${QUICK ? ' (--quick)' : ''}\n` +
      `${m.date} | ${m.cpuModel} | ${m.cores} cores | Node ${m.node} | hnswlib-node ${m.packages['hnswlib-node']} | ` +
      `assemblyscript ${m.packages.assemblyscript} | commit ${m.git.commit?.slice(0, 10) ?? '?'}${m.git.dirty ? ' (dirty)' : ''} | ${r.runtimeSeconds.toFixed(0)} s`,
  );
  const ratio = (x: number | null) => (x === null ? null : `${fmt(x)}x`);
  console.log(
    formatTable(
      `1. Kernel throughput: one query vs ${CONFIG.kernel.count.toLocaleString()} vectors, median of ${CONFIG.timing.samples} interleaved samples ` +
        '(GB/s = vector bytes read; int8 rows padded to 16 B; int8 ratios are against f32 dot / hnswlib ip; best = fastest sample; spread = (max - min) / median)',
      ['dim', 'metric', 'implementation', 'ns/vector', 'GB/s', 'vs plain JS', 'vs hnswlib', 'best ns/vector', 'spread'],
      r.kernels.map((row): Cell[] => [
        row.dim, row.metric, row.impl, row.nsPerVector, row.gbPerSecond, ratio(row.vsPlainJs), ratio(row.vsHnswlib),
        row.nsPerPass.minNs / CONFIG.kernel.count, `${(spread(row.nsPerPass) * 100).toFixed(0)}%`,
      ]),
    ),
  );
  console.log(
    formatTable(
      `2. Exact top-${CONFIG.search.k}, ${CONFIG.search.count.toLocaleString()} x ${CONFIG.search.dim} uniform random, ${CONFIG.search.queries} queries`,
      ['metric', 'Quiver QPS', 'plain JS QPS', 'hnswlib BF QPS', 'Quiver/JS', 'Quiver/hnswlib', 'Quiver/hnswlib (best samples)', 'ids = JS (order)', 'ids = JS (set)', 'hnswlib ids = JS', 'upsert docs/s'],
      r.endToEnd.map((row): Cell[] => [
        row.metric, row.quiverQps, row.plainJsQps, row.hnswlibQps, ratio(row.quiverVsPlainJs), ratio(row.quiverVsHnswlib),
        ratio(row.timings.hnswlib.minNs / row.timings.quiver.minNs),
        `${row.idsMatchInOrder}/${row.queries}`, `${row.idsMatchAsSet}/${row.queries}`, `${row.hnswlibIdsMatchInOrder}/${row.queries}`, row.upsertDocsPerSecond,
      ]),
    ),
  );
  console.log(
    formatTable(
      `3. int8 collection (codes scan + f32 re-rank from the store) vs an f32 collection of the same vectors, exact: true, k = ${CONFIG.search.k}, include: [] unless noted; QPS after warm-up`,
      ['dataset', 'metric', 'N x dim', 'queries', 'int8 QPS', 'f32 QPS', 'speedup', 'speedup (default include)', 'recall@10', 'min recall', 'first search ms', 'f32 vs ground truth'],
      r.int8.map((row): Cell[] => [
        row.dataset, row.metric, `${row.count} x ${row.dim}`, row.queries, row.int8Qps, row.f32Qps, ratio(row.speedup), ratio(row.speedupDefaultInclude),
        row.recallAt10.toFixed(4), row.minRecallAt10.toFixed(2), row.firstSearchMs, row.f32RecallVsGroundTruth === null ? null : row.f32RecallVsGroundTruth.toFixed(3),
      ]),
    ),
  );
  console.log(
    formatTable(
      'Targets',
      ['requirement', 'value', 'target', 'result'],
      r.targets.map((row): Cell[] => [row.name, fmt(row.value), row.target, row.met ? 'PASS' : 'FAIL']),
    ),
  );
  if (r.notes.length > 0) console.log('\nNotes:\n' + r.notes.map((n) => `- ${n}`).join('\n'));
}

await main();
