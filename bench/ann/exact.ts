/**
 * Section 4's exact engines: Quiver `exact: true` beside the exact peers
 * (orama, vectra) over the first `exactQueries` queries (JSON `exact`),
 * with their latency percentiles.
 */
import { fmt, spread } from '../lib/harness.js';
import { mean } from '../lib/stats.js';
import { CONFIG, log } from './config.js';
import type { Engines } from './engines.js';
import { recallOf, type Dataset } from './ground-truth.js';
import { latencyRow, latencyRows } from './latency.js';
import type { BuiltPeer } from './peers.js';
import { measurePasses, qps, type PassTiming } from './timing.js';

/** One exact engine on one data set (section 4). */
export interface ExactRow {
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

/**
 * Quiver `exact: true` and the exact peers over the first `exactQueries`
 * queries: QPS from interleaved whole passes (as the sweep), then one pass
 * where each query runs on every engine in rotating order, timed alone, for
 * recall and latency percentiles.
 */
export async function exactSection(ds: Dataset, engines: Engines, exact: BuiltPeer[]): Promise<ExactRow[]> {
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
