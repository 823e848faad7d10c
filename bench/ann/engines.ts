/**
 * The engines every data set runs on: Quiver through the library API, raw
 * hnswlib-node (built twice, as a placement control) and usearch (from
 * bench/peers), each built with its time and memory recorded, and whether
 * each ran (JSON `engines`, with the peers' rows from peers.ts).
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import type { Collection, Database } from '../../src/index.js';
import { collectGarbage, fmt, type MachineInfo } from '../lib/harness.js';
import { loadUsearch, type UsearchIndex, type UsearchModule } from '../peers/js-peers.js';
import { missingPeers } from '../peers/load.js';
import { CONFIG, log, MB } from './config.js';
import type { Dataset } from './ground-truth.js';
import { isUnavailable, reasonOf } from './peer-engines.js';

/** Keeps results observable so no timed work can be optimised away. */
export let sink = 0;
/** usearch, loaded from bench/peers at the start of the run (null when it cannot load: see `usearchStatus`). */
export let usearch: UsearchModule | null = null;
/** Why usearch is not in this run (skipped: not installed; failed: it did not load), or null when it is. */
let usearchStatus: { status: 'skipped' | 'failed'; reason: string } | null = null;

/** Loads usearch from bench/peers, or records why it is not in this run. */
export async function loadUsearchForRun(): Promise<void> {
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
}

// ------------------------------------------------------------ memory

interface MemorySnapshot {
  rss: number;
  heapUsed: number;
  external: number;
  wasm: number;
}

export function memory(): MemorySnapshot {
  collectGarbage();
  collectGarbage();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, wasm: quiverWasmBytes() };
}

/** WebAssembly memory of the Quiver database under test, once it is open. */
let quiverWasmBytes = (): number => 0;

/** Where `memory()` reads the WebAssembly memory of the Quiver database under test. */
export function watchQuiverWasm(bytes: () => number): void {
  quiverWasmBytes = bytes;
}

// ------------------------------------------------------------ builds

export interface BuildRow {
  dataset: string;
  /** Quiver, hnswlib, usearch, or a peer's name (peer-engines.ts). */
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

export interface Engines {
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

export function makeUsearch(us: UsearchModule, ds: Dataset, ef: number): UsearchIndex {
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

export async function buildEngines(db: Database, ds: Dataset, tmp: string, metadata: boolean): Promise<Engines> {
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

// ------------------------------------------------------------ engine statuses

/** Whether each engine ran on each data set, and if not, why (JSON `engines`). */
export interface EngineStatus {
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

/** Every engine on every data set, in the order they were set up (JSON `engines`). */
export const engineStatuses: EngineStatus[] = [];

/**
 * Quiver and raw hnswlib run on every data set (the benchmark stops if they
 * cannot); usearch too, unless bench/peers lacks it (skipped) or it did not
 * load (failed), as `usearchStatus` says.
 */
export function coreStatuses(ds: Dataset, machine: MachineInfo): void {
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
