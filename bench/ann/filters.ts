/**
 * Section 2: filtered search at each selectivity, Quiver with its planner
 * (and forced exact, forced HNSW) against raw hnswlib-node with a
 * JavaScript filter callback (JSON `filtered`), with the plans read back
 * from explain.
 */
import { Planner, filteredEf } from '../../src/core/query/planner.js';
import type { Collection } from '../../src/index.js';
import { fmt } from '../lib/harness.js';
import { mean, median } from '../lib/stats.js';
import { CONFIG, log } from './config.js';
import type { Engines } from './engines.js';
import { recallOf, type Dataset } from './ground-truth.js';
import { measurePasses, qps, type PassTiming } from './timing.js';

/** Keeps results observable so no timed work can be optimised away. */
export let sink = 0;

export interface SelectivityCase {
  name: string;
  required: boolean;
  lt: number | null;
  filter: Record<string, unknown> | undefined;
  mask: Uint8Array | null;
  candidates: number;
  fraction: number;
  truth: Int32Array[];
}

export interface PlanStats {
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

export interface FilterRow {
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

export async function filtered(ds: Dataset, engines: Engines, cases: SelectivityCase[], buckets: Int32Array): Promise<FilterRow[]> {
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
