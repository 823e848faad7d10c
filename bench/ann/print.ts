/**
 * The tables bench:ann prints at the end of a run (the JSON holds the same
 * figures).
 */
import { fmt, formatTable, type Cell, type MachineInfo } from '../lib/harness.js';
import type { Calibration } from './calibration.js';
import { CONFIG, QUICK, type Target } from './config.js';
import type { BuildRow } from './engines.js';
import type { FilterRow } from './filters.js';
import type { SweepRow } from './sweep.js';
import type { LoadInfo } from './timing.js';

/** Integers as right-aligned strings (formatTable prints small numbers with decimals). */
function ints(values: readonly (number | null)[]): string[] {
  const text = values.map((v) => (v === null ? '-' : String(Math.round(v))));
  const width = Math.max(...text.map((t) => t.length));
  return text.map((t) => t.padStart(width));
}

export function printReport(r: {
  machine: MachineInfo;
  load: LoadInfo;
  builds: BuildRow[];
  sweep: SweepRow[];
  filterRows: FilterRow[];
  calibration: Calibration;
  targets: Target[];
  notes: string[];
  runtimeSeconds: number;
}): void {
  const m = r.machine;
  const x = (v: number) => `${fmt(v)}x`;
  const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
  console.log(
    `\n# Quiver ANN benchmark${QUICK ? ' (--quick)' : ''}\n` +
      `${m.date} | ${m.cpuModel} | ${m.cores} cores | ${m.totalMemoryGiB} GiB | Node ${m.node} | hnswlib-node ${m.packages['hnswlib-node']} | usearch ${m.packages.usearch ?? '-'} | ` +
      `commit ${m.git.commit?.slice(0, 10) ?? '?'}${m.git.dirty ? ' (dirty)' : ''} | ${r.runtimeSeconds.toFixed(0)} s | ` +
      `load average at start ${r.load.loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')}, lowest CPU share in a timed section ${pct(r.load.lowestCpuShare)}`,
  );
  const b = r.builds;
  const bN = ints(b.map((row) => row.count));
  console.log(formatTable(
    `Builds: M=${CONFIG.hnsw.m}, efConstruction=${CONFIG.hnsw.efConstruction}, one thread (build s: wall clock; build CPU s: this process's CPU time, robust to other load; docs/s by wall clock; ` +
      'memory: deltas after forced GC; engine size: the engine\'s own figure)',
    ['dataset', 'engine', 'N', 'build s', 'build CPU s', 'docs/s', 'RSS delta MiB', 'heap delta MiB', 'engine size MiB', 'engine size is'],
    b.map((row, i): Cell[] => [row.dataset, row.engine, bN[i], row.seconds, row.cpuSeconds, row.docsPerSecond, row.rssDeltaMiB, row.heapDeltaMiB, row.engineSizeMiB, row.engineSizeWhat]),
  ));
  for (const dataset of [...new Set(r.sweep.map((s) => s.dataset))]) {
    const rows = r.sweep.filter((s) => s.dataset === dataset);
    const efs = ints(rows.map((s) => s.ef));
    console.log(formatTable(
      `1. ${dataset}: recall@10 and QPS by ef, k=${CONFIG.k} (QPS: median of ${CONFIG.timing.samples} interleaved samples of whole query passes, by process CPU time; ` +
        '(wall) = the same ratio by wall clock; copy/hnswlib = a second, identical raw index in other memory (placement control); Quiver/both = against the mean of the two, the figure the target uses; ' +
        'overhead = Quiver - hnswlib µs/query; stage = Quiver explain search stage µs; spread = (max - min) / median; CPU = share of wall time this process ran)',
      ['ef', 'Quiver recall', 'hnswlib recall', 'usearch recall', 'Quiver QPS', 'hnswlib QPS', 'usearch QPS', 'Quiver/hnswlib', '(wall)', 'copy/hnswlib', 'Quiver/both', 'overhead µs', 'stage µs', 'spread Q/H/U', 'CPU', 'target'],
      rows.map((s, i): Cell[] => [
        efs[i], s.recall.quiver.toFixed(4), s.recall.hnswlib.toFixed(4), s.recall.usearch?.toFixed(4) ?? '-', s.qps.quiver, s.qps.hnswlib, s.qps.usearch ?? '-', x(s.ratio), x(s.wallRatio), x(s.copyRatio), x(s.ratioVsCopies),
        s.quiverOverheadUs, s.quiverSearchStageUs,
        `${(s.spreads.quiver * 100).toFixed(0)}/${(s.spreads.hnswlib * 100).toFixed(0)}/${s.spreads.usearch === null ? '-' : (s.spreads.usearch * 100).toFixed(0)}%`, pct(s.cpuShare),
        s.ratioVsCopies >= CONFIG.targets.qpsRatio && s.recall.quiver >= s.recall.hnswlib - CONFIG.targets.recallTolerance ? 'PASS' : 'FAIL',
      ]),
    ));
  }
  const f = r.filterRows;
  const fc = ints(f.map((row) => row.candidates));
  console.log(formatTable(
    `2. Filtered search, ${f[0] ? f[0].candidates.toLocaleString() : '?'} docs, k=${CONFIG.k}, ef ${CONFIG.filteredEf}: Quiver with its planner vs raw hnswlib-node + JS filter callback ` +
      `(plan: from explain over all ${CONFIG.synthetic.queries} queries; default plan: a fresh Planner with the default rates; recall over all queries; QPS by CPU time, (wall) by wall clock; ` +
      'filter µs: Quiver explain filter stage (validation + filter evaluation); raw short: raw queries with fewer than 10 hits; exact = truth: forced exact vs the brute force; violations: hits outside the filter; timed: queries per timing pass)',
    ['selectivity', 'candidates', 'Quiver plan', 'default plan', 'filter µs', 'Quiver recall', 'Quiver QPS', 'raw recall', 'raw QPS', 'Quiver/raw', '(wall)', 'raw short', 'exact = truth', 'violations', 'timed', 'CPU'],
    f.map((row, i): Cell[] => [
      row.selectivity, fc[i], row.auto.plans, row.defaultPlannerChoice, row.auto.filterStageMs * 1e3, row.auto.recall.toFixed(4), row.qps.auto, row.raw.recall.toFixed(4), row.qps.raw, x(row.ratio), x(row.wallRatio),
      String(row.raw.short), row.exactRecall.toFixed(4), String(row.auto.violations + row.forcedExact.violations + row.forcedHnsw.violations), String(row.timedQueries), pct(row.cpuShare),
    ]),
  ));
  const c = r.calibration;
  const sc = ints(c.scan.map((x) => x.candidates));
  console.log(formatTable(
    `3a. Exact scan (forced exact: true). CPU µs = CPU-time end-to-end median less explain's filter stage; stage µs = explain search stage (wall clock, as the planner records it), median over the ${CONFIG.synthetic.queries} queries. ` +
      `ns/float = µs / (candidates x dim). Default ${c.defaults.scanNsPerFloat}; least-squares fit on CPU µs: ${c.scanFit.nsPerFloat.toFixed(3)} ns/float + ${fmt(c.scanFit.interceptUs)} µs per query (r² ${c.scanFit.r2.toFixed(3)})`,
    ['candidates', 'selectivity', 'path', 'CPU µs', 'ns/float', 'stage µs', 'stage ns/float'],
    c.scan.map((x, i): Cell[] => [sc[i], x.selectivity, x.path, x.cpuUs, x.nsPerFloat.toFixed(3), x.stageUs, x.stageNsPerFloat.toFixed(3)]),
  ));
  const he = ints(c.hnsw.map((h) => h.ef));
  console.log(formatTable(
    `3b. Unfiltered HNSW (forced exact: false, the section 1 runs), by ef: ns/ef = µs / ef. Default ${c.defaults.hnswNsPerEf}; ` +
      `least-squares fit on CPU µs: ${fmt(c.hnswFit.nsPerEf)} ns/ef + ${fmt(c.hnswFit.interceptUs)} µs per query (r² ${c.hnswFit.r2.toFixed(3)})`,
    ['ef', 'CPU µs', 'ns/ef', 'stage µs', 'stage ns/ef'],
    c.hnsw.map((h, i): Cell[] => [he[i], h.cpuUs, h.nsPerEf, h.stageUs, h.stageNsPerEf]),
  ));
  const fcand = ints(c.filtered.map((row) => row.candidates));
  const fef = ints(c.filtered.map((row) => row.ef));
  console.log(formatTable(
    `3c. Filtered HNSW (forced exact: false, request ef ${CONFIG.filteredEf}, raised by filteredEf): ns per (ef / selectivity) = µs x selectivity / ef. Default ${c.defaults.filteredNsPerEf}. ` +
      `Stage and recall over all queries, or the first ${CONFIG.slowRecallQueries} at 1% and below; CPU µs over the timed queries`,
    ['selectivity', 'candidates', 'HNSW ef', 'CPU µs', 'ns per ef/sel', 'stage µs', 'stage ns per ef/sel', 'HNSW recall', 'fallbacks'],
    c.filtered.map((row, i): Cell[] => [
      row.selectivity, fcand[i], fef[i], row.cpuUs, row.nsPerEfOverSelectivity, row.stageUs, row.stageNsPerEfOverSelectivity, row.recall.toFixed(4), String(row.fallbacks),
    ]),
  ));
  console.log(formatTable(
    `3d. Planner rates: defaults (src/core/query/planner.ts), what the collection had learnt by the end (read back from explain.estimates), and measured here (suggested defaults; ${c.suggested.basis})`,
    ['rate', 'default', 'learnt by the end', 'measured'],
    [
      ['scan ns/float', c.defaults.scanNsPerFloat.toFixed(3), c.adapted.scanNsPerFloat.toFixed(3), c.suggested.scanNsPerFloat.toFixed(3)],
      ['HNSW ns/ef', c.defaults.hnswNsPerEf, c.adapted.hnswNsPerEf, c.suggested.hnswNsPerEf],
      ['filtered HNSW ns per ef/sel', c.defaults.filteredNsPerEf, c.adapted.filteredNsPerEf, c.suggested.filteredNsPerEf],
    ],
  ));
  const dc = ints(c.decisions.map((d) => d.candidates));
  console.log(formatTable(
    '3e. Did the planner pick the faster plan? (forced exact vs forced HNSW: end-to-end median µs per query by CPU time, interleaved; "during": its choice while the case ran; ' +
      '"default": fresh Planner; "measured rates": the cost model with 3d\'s measured rates; "at the end": asked again after all cases)',
    ['selectivity', 'candidates', 'exact µs', 'HNSW µs', 'faster', 'HNSW recall', 'during', 'ok', 'default', 'ok', 'measured rates', 'ok', 'at the end', 'ok'],
    c.decisions.map((d, i): Cell[] => [
      d.selectivity, dc[i], d.exactUs, d.hnswUs, d.faster, d.hnswRecall.toFixed(4),
      d.plannerAdapted, d.adaptedOk ? 'yes' : 'NO', d.plannerDefault, d.defaultOk ? 'yes' : 'NO',
      d.plannerSuggested, d.suggestedOk ? 'yes' : 'NO', d.plannerFinal, d.finalOk ? 'yes' : 'NO',
    ]),
  ));
  console.log(formatTable(
    '3f. What the collection\'s planner had learnt, read back from explain.estimates: median over each case\'s planner pass (in run order), then when asked again at the end',
    ['case', 'scan ns/float', 'HNSW ns/ef', 'filtered ns per ef/sel', 'at the end: scan', 'HNSW', 'filtered'],
    f.map((row): Cell[] => [
      row.selectivity, row.auto.rates.scanNsPerFloat.toFixed(3), row.auto.rates.hnswNsPerEf, row.auto.rates.filteredNsPerEf,
      row.finalRates ? row.finalRates.scanNsPerFloat.toFixed(3) : null, row.finalRates?.hnswNsPerEf ?? null, row.finalRates?.filteredNsPerEf ?? null,
    ]),
  ));
  console.log(formatTable('Targets', ['requirement', 'value', 'target', 'result'], r.targets.map((t): Cell[] => [t.name, t.value, t.target, t.met ? 'PASS' : 'FAIL'])));
  if (r.notes.length > 0) console.log('\nNotes:\n' + r.notes.map((n) => `- ${n}`).join('\n'));
}
