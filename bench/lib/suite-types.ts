/**
 * What the suite (bench/suite.ts) runs and what it records in suite.json:
 * the benchmark names and the manifest's shape, which the report writer
 * (report-md.ts) reads back.
 */
import type { MachineInfo } from './harness.js';

/** Every benchmark, in run order. `scale` is run when bench/scale.bench.ts exists. */
export const BENCHMARKS = ['kernels', 'ann', 'storage', 'memory', 'quality', 'bm25', 'http', 'scale'] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

export interface SuiteEntry {
  name: BenchmarkName;
  file: string;
  status: 'ok' | 'failed' | 'not available yet' | 'not run';
  /** Why it failed or did not run (the last lines of its stderr for a failure). */
  reason: string | null;
  command: string | null;
  exitCode: number | null;
  signal: string | null;
  seconds: number | null;
  /** Files it wrote, relative to the output folder. */
  results: string[];
  log: string | null;
}

export interface SuiteManifest {
  suite: 'quiver-bench';
  version: 1;
  mode: 'quick' | 'full' | 'smoke';
  args: string[];
  started: string;
  finished: string | null;
  seconds: number | null;
  wasmBuild: string;
  /** `npm run build:ts` before a benchmark that needs dist/ (null when none ran). */
  tsBuild: string | null;
  machine: MachineInfo;
  quiverVersion: string | null;
  benchmarks: SuiteEntry[];
}
