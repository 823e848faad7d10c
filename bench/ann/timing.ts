/**
 * How bench:ann times engines against each other: interleaved samples of
 * whole passes over the same queries, by this process's CPU time and by
 * wall clock, with the CPU share of each timed section.
 */
import { readFileSync } from 'node:fs';
import type { Timing, TimingOptions } from '../lib/harness.js';
import { median } from '../lib/stats.js';
import { log } from './config.js';

/** Queries per second from a timing's median. */
export function qps(timing: Timing): number {
  return 1e9 / timing.medianNs;
}

export interface PassTiming extends Timing {
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

/** Every timed section's CPU share, in run order (JSON `load.sections`). */
export const contention: { what: string; cpuShare: number }[] = [];

/**
 * Like the harness's `measureInterleaved`, but every sample runs whole passes
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
export async function measurePasses<K extends string>(
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

/** How busy the machine was (JSON `load`). */
export interface LoadInfo {
  loadAverageAtStart: number[];
  /** /proc/pressure/cpu at the start (Linux), if readable. */
  cpuPressureAtStart: string | null;
  lowestCpuShare: number;
  sections: { what: string; cpuShare: number }[];
}

export function cpuPressure(): string | null {
  try {
    return readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0] ?? null;
  } catch {
    return null;
  }
}
