/**
 * JSON `curves`: every engine's recall/QPS points in one shape (sections 1
 * and 4), which the suite's report plots.
 */
import type { ExactRow } from './exact.js';
import type { SweepRow } from './sweep.js';

/** One line per engine and data set across ef (one point for exact engines): what the recall/QPS plot draws. */
export interface Curve {
  dataset: string;
  engine: string;
  kind: 'hnsw' | 'exact';
  points: { ef: number | null; recall: number; qps: number; wallQps: number }[];
}

export function curvesOf(sweepRows: SweepRow[], exactRows: ExactRow[]): Curve[] {
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
