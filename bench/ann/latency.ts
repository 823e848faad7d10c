/**
 * Per-query latency percentiles of every engine (JSON `latency`): each
 * query timed alone, the engines in an order that rotates every query.
 */
import { mean, percentile } from '../lib/stats.js';
import type { Dataset } from './ground-truth.js';

/** Per-query latency over whole passes of the query set, each query timed alone (µs, wall clock). */
export interface LatencyRow {
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

/** Every latency row of the run (JSON `latency`). */
export const latencyRows: LatencyRow[] = [];

export function latencyRow(dataset: string, engine: string, ef: number | null, queries: number, us: number[]): LatencyRow {
  const sorted = [...us].sort((a, b) => a - b);
  return {
    dataset, engine, ef, queries, samples: sorted.length,
    p50Us: percentile(sorted, 0.5), p95Us: percentile(sorted, 0.95), p99Us: percentile(sorted, 0.99),
    meanUs: mean(sorted), maxUs: sorted[sorted.length - 1]!,
  };
}

/**
 * Per-query latency: `passes` passes over the queries; for each query every
 * engine runs once, in an order that rotates every query, each call timed alone.
 */
export async function latencyPercentiles(
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
