/**
 * The benchmark harness every script in bench/ runs on: timing (warm-up,
 * calibrated samples, median), progress lines, plain-text tables, machine
 * facts, command-line flags and JSON results under bench/results/
 * (git-ignored). Statistics are in stats.ts.
 *
 * Nothing here knows about Quiver; a benchmark passes in closures and rows.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, arch, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { median } from './stats.js';

/** Repository root (bench/lib/../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * Where benchmarks write their JSON: bench/results/, or the folder named by
 * QUIVER_BENCH_RESULTS (the suite, bench/suite.ts, gives each run its own).
 */
export const RESULTS_DIR = process.env.QUIVER_BENCH_RESULTS
  ? resolve(process.env.QUIVER_BENCH_RESULTS)
  : join(REPO_ROOT, 'bench', 'results');

/**
 * QUIVER_BENCH_SMOKE=1: tiny sizes so that a benchmark only proves it runs
 * end to end and writes its JSON (the suite's test); figures from such a run
 * mean nothing. It implies `--quick` where a benchmark reads `quickMode()`.
 */
export const SMOKE = process.env.QUIVER_BENCH_SMOKE === '1';

// `tsx file` cannot pass --expose-gc; this turns it on, for memory figures and for starting a timed phase without garbage from the last.
setFlagsFromString('--expose-gc');
/** A full garbage collection, now. */
export const collectGarbage = runInNewContext('gc') as () => void;

/** `--quick` on the command line, or a smoke run. */
export function quickMode(): boolean {
  return hasFlag('quick') || SMOKE;
}

// ---------------------------------------------------------------- timing

export interface TimingOptions {
  /** Time spent calling the function before any sample is taken (at least one call). Default 100 ms. */
  warmupMs?: number;
  /** Each sample repeats the call until it lasts at least this long. Default 40 ms. */
  minSampleMs?: number;
  /** Number of samples; the median is reported. Default 7. */
  samples?: number;
}

export interface Timing {
  /** Median time of one call, in nanoseconds. */
  medianNs: number;
  minNs: number;
  maxNs: number;
  /** Calls per sample (calibrated during warm-up). */
  callsPerSample: number;
  /** Time of one call in each sample, in nanoseconds, in the order taken. */
  samplesNs: number[];
}

const DEFAULTS: Required<TimingOptions> = { warmupMs: 100, minSampleMs: 40, samples: 7 };

/**
 * Times `fn(i)` where `i` counts every call (warm-up included), so the
 * caller can rotate inputs with `i % count`. Warms up, calibrates how many
 * calls make one sample, then takes `samples` samples.
 */
export function measure(fn: (i: number) => void, options: TimingOptions = {}): Timing {
  const { warmupMs, minSampleMs, samples } = { ...DEFAULTS, ...options };
  let i = 0;
  let calls = 0;
  const warmStart = performance.now();
  do {
    fn(i++);
    calls++;
  } while (performance.now() - warmStart < warmupMs);
  const perCall = (performance.now() - warmStart) / calls;
  const callsPerSample = Math.max(1, Math.ceil(minSampleMs / Math.max(perCall, 1e-6)));
  const samplesNs: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = performance.now();
    for (let c = 0; c < callsPerSample; c++) fn(i++);
    samplesNs.push(((performance.now() - start) * 1e6) / callsPerSample);
  }
  return summarize(samplesNs, callsPerSample);
}

/** `measure` for functions that return a promise (each call is awaited before the next). */
export async function measureAsync(fn: (i: number) => Promise<unknown>, options: TimingOptions = {}): Promise<Timing> {
  const { warmupMs, minSampleMs, samples } = { ...DEFAULTS, ...options };
  let i = 0;
  let calls = 0;
  const warmStart = performance.now();
  do {
    await fn(i++);
    calls++;
  } while (performance.now() - warmStart < warmupMs);
  const perCall = (performance.now() - warmStart) / calls;
  const callsPerSample = Math.max(1, Math.ceil(minSampleMs / Math.max(perCall, 1e-6)));
  const samplesNs: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = performance.now();
    for (let c = 0; c < callsPerSample; c++) await fn(i++);
    samplesNs.push(((performance.now() - start) * 1e6) / callsPerSample);
  }
  return summarize(samplesNs, callsPerSample);
}

/**
 * Times several competing functions with their samples interleaved
 * (round s takes one sample of each, in an order that rotates every round),
 * so drift in the machine (frequency, noisy neighbours, memory management)
 * hits all of them alike and their ratios stay fair. Each function is warmed
 * up and calibrated on its own first. A function may return a promise; it is
 * awaited before the next call.
 */
export async function measureInterleaved<K extends string>(
  fns: Record<K, (i: number) => unknown>,
  options: TimingOptions = {},
): Promise<Record<K, Timing>> {
  const { warmupMs, minSampleMs, samples } = { ...DEFAULTS, ...options };
  const names = Object.keys(fns) as K[];
  const state = new Map<K, { i: number; callsPerSample: number; samplesNs: number[] }>();
  for (const name of names) {
    const fn = fns[name];
    let i = 0;
    const warmStart = performance.now();
    do {
      const result = fn(i++);
      if (result instanceof Promise) await result;
    } while (performance.now() - warmStart < warmupMs);
    const perCall = (performance.now() - warmStart) / i;
    state.set(name, { i, callsPerSample: Math.max(1, Math.ceil(minSampleMs / Math.max(perCall, 1e-6))), samplesNs: [] });
  }
  for (let s = 0; s < samples; s++) {
    for (let n = 0; n < names.length; n++) {
      const name = names[(n + s) % names.length]!;
      const fn = fns[name];
      const st = state.get(name)!;
      const start = performance.now();
      for (let c = 0; c < st.callsPerSample; c++) {
        const result = fn(st.i++);
        if (result instanceof Promise) await result;
      }
      st.samplesNs.push(((performance.now() - start) * 1e6) / st.callsPerSample);
    }
  }
  const out = {} as Record<K, Timing>;
  for (const name of names) {
    const st = state.get(name)!;
    out[name] = summarize(st.samplesNs, st.callsPerSample);
  }
  return out;
}

/** (max - min) / median of a timing's samples, as a fraction: how noisy it was. */
export function spread(timing: Timing): number {
  return (timing.maxNs - timing.minNs) / timing.medianNs;
}

/** Wall time of one call of `fn`, in milliseconds, with its result. */
export function timeOnce<T>(fn: () => T): { ms: number; result: T } {
  const start = performance.now();
  const result = fn();
  return { ms: performance.now() - start, result };
}

export async function timeOnceAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await fn();
  return { ms: performance.now() - start, result };
}

function summarize(samplesNs: number[], callsPerSample: number): Timing {
  return {
    medianNs: median(samplesNs),
    minNs: Math.min(...samplesNs),
    maxNs: Math.max(...samplesNs),
    callsPerSample,
    samplesNs,
  };
}

// ---------------------------------------------------------------- progress

/** Prints `[  12.3s] message` lines, the time counted from creation. */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): {
  log(message: string): void;
  elapsedMs(): number;
} {
  const start = performance.now();
  return {
    log(message: string) {
      const seconds = ((performance.now() - start) / 1000).toFixed(1).padStart(6);
      stream.write(`[${seconds}s] ${message}\n`);
    },
    elapsedMs() {
      return performance.now() - start;
    },
  };
}

// ---------------------------------------------------------------- tables

export type Cell = string | number | boolean | null | undefined;

/**
 * A plain-text table. Numbers are right-aligned and printed with `digits`
 * significant decimals (see `fmt`); strings are left-aligned.
 */
export function formatTable(title: string, headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => headers.map((_, c) => cellText(row[c])));
  const numeric = headers.map((_, c) => rows.length > 0 && rows.every((row) => typeof row[c] === 'number' || row[c] == null));
  const widths = headers.map((h, c) => Math.max(h.length, ...text.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]) =>
    '| ' + cells.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join(' | ') + ' |';
  const rule = '|' + widths.map((w, c) => (numeric[c] ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|';
  return [`\n${title}`, line(headers), rule, ...text.map(line)].join('\n');
}

export function printTable(title: string, headers: readonly string[], rows: readonly (readonly Cell[])[]): void {
  console.log(formatTable(title, headers, rows));
}

/** A number with about 3 significant digits (at least `minDecimals` decimals). */
export function fmt(value: number, minDecimals = 0): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const decimals = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toFixed(Math.max(decimals, minDecimals));
}

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined) return '-';
  if (typeof cell === 'number') return fmt(cell);
  return String(cell);
}

// ---------------------------------------------------------------- machine & results

/** One requirement a benchmark checks, as printed and written to its JSON. */
export interface Target {
  name: string;
  value: number;
  target: string;
  met: boolean;
}

export interface MachineInfo {
  date: string;
  cpuModel: string;
  cores: number;
  totalMemoryGiB: number;
  platform: string;
  arch: string;
  osRelease: string;
  node: string;
  v8: string;
  /** 1, 5 and 15 minute load averages when the facts were taken: other work on the machine skews timings. */
  loadAverage: number[];
  packages: Record<string, string | null>;
  git: { commit: string | null; dirty: boolean | null };
}

/** Hardware, runtime and the installed versions of `packages` (read from node_modules, or bench/peers/node_modules for the peer engines). */
export function machineInfo(packages: readonly string[] = []): MachineInfo {
  const cpuList = cpus();
  return {
    date: new Date().toISOString(),
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: platform(),
    arch: arch(),
    osRelease: release(),
    node: process.version,
    v8: process.versions.v8,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    packages: Object.fromEntries(packages.map((name) => [name, packageVersion(name)])),
    git: gitState(),
  };
}

/** The installed version of `name`: the project's node_modules, else bench/peers/node_modules (the benchmarks' peer engines), else null. */
function packageVersion(name: string): string | null {
  for (const modules of [join(REPO_ROOT, 'node_modules'), join(REPO_ROOT, 'bench', 'peers', 'node_modules')]) {
    try {
      const json = JSON.parse(readFileSync(join(modules, name, 'package.json'), 'utf8')) as { version?: string };
      return json.version ?? null;
    } catch {
      // not installed there
    }
  }
  return null;
}

function gitState(): MachineInfo['git'] {
  try {
    const commit = execSync('git rev-parse HEAD', { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const status = execSync('git status --porcelain', { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** Writes `data` as pretty JSON to bench/results/`file`; returns the path relative to the repository. */
export function writeResults(file: string, data: unknown): string {
  const path = join(RESULTS_DIR, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2) + '\n');
  return relative(REPO_ROOT, path);
}

/** True when `--name` is among the command-line arguments. */
export function hasFlag(name: string): boolean {
  return process.argv.slice(2).includes(`--${name}`);
}
