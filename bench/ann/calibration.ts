/**
 * Section 3: the planner's cost model measured on this machine (exact scan,
 * unfiltered and filtered HNSW), next to its defaults, and whether its
 * choice at each selectivity was the faster plan (JSON `calibration`).
 */
import { DEFAULT_FILTERED_NS_PER_EF, DEFAULT_HNSW_NS_PER_EF, DEFAULT_SCAN_NS_PER_FLOAT, filteredEf } from '../../src/core/query/planner.js';
import { linearFit, median } from '../lib/stats.js';
import { CONFIG } from './config.js';
import type { FilterRow } from './filters.js';
import type { Dataset } from './ground-truth.js';
import type { SweepRow } from './sweep.js';

export interface Calibration {
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

export function calibrate(ds: Dataset, sweepRows: SweepRow[], rows: FilterRow[]): Calibration {
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
