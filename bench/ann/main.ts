/**
 * bench:ann's run, section by section (see bench/ann.bench.ts for what each
 * measures): siftsmall, then the synthetic set, sections 1 and 4 on each,
 * sections 2 and 3 on the synthetic set, section 5; then the targets, the
 * notes, ann.json, ann-recall-qps.svg and the printed tables.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/index.js';
import { embeddingModel, loadSiftsmall, rowsOf } from '../lib/datasets.js';
import { fmt, formatTable, machineInfo, RESULTS_DIR, SMOKE, writeResults } from '../lib/harness.js';
import { RECALL_QPS_SVG_COLORS, recallQpsSvg, type RecallQpsSeries } from '../lib/plots.js';
import { mean } from '../lib/stats.js';
import { calibrate } from './calibration.js';
import { CONFIG, log, progress, QUICK, type Target } from './config.js';
import { curvesOf } from './curves.js';
import { defaultPathSection, type DefaultPathResult } from './default-path.js';
import { buildEngines, coreStatuses, engineStatuses, loadUsearchForRun, sink as buildSink, watchQuiverWasm, type Engines } from './engines.js';
import { exactSection, type ExactRow } from './exact.js';
import { filtered, sink as filterSink, type SelectivityCase } from './filters.js';
import { bruteForce, recallOf, type Dataset } from './ground-truth.js';
import { latencyRows } from './latency.js';
import { PEERS, reasonOf } from './peer-engines.js';
import { buildPeers, closePeers, quiverReopenOn } from './peers.js';
import { printReport } from './print.js';
import { sweep, sink as sweepSink, type SweepRow } from './sweep.js';
import { contention, cpuPressure, type LoadInfo } from './timing.js';

/** What the run found worth saying beside the figures (JSON `notes`). */
const notes: string[] = [];

export async function main(): Promise<void> {
  const machine = machineInfo(['hnswlib-node', 'usearch', ...PEERS.map((p) => p.package), 'assemblyscript', 'better-sqlite3', 'tsx', 'typescript']);
  log(`Quiver ANN benchmark${SMOKE ? ' (smoke)' : QUICK ? ' (--quick)' : ''}: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`);
  await loadUsearchForRun();
  const { k } = CONFIG;
  const loadAverageAtStart = loadavg();
  const cpuPressureAtStart = cpuPressure();
  if (loadAverageAtStart[0]! > 0.5 * machine.cores) {
    log(`warning: load average ${loadAverageAtStart[0]!.toFixed(2)} on ${machine.cores} cores: other processes are busy; timings will be noisier`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'quiver-ann-'));
  // workers: 0 keeps each collection's one graph on this thread, as every other engine here searches:
  // the same graph as raw hnswlib, one query per call. Multi-core search is bench/scale.bench.ts's subject.
  const db = await openDatabase({ workers: 0 });
  watchQuiverWasm(() => db.wasmMemoryBytes);

  // ---- siftsmall (skipped, with the reason, when ../shared/data lacks it or in a smoke run)
  const skippedDatasets: { name: string; reason: string }[] = [];
  let siftDs: Dataset | null = null;
  let siftTruthAgreement: number | null = null;
  let siftEngines: Engines | null = null;
  let siftSweep: SweepRow[] = [];
  const exactRows: ExactRow[] = [];
  let sift: ReturnType<typeof loadSiftsmall> | null = null;
  if (!CONFIG.siftsmall) {
    skippedDatasets.push({ name: 'siftsmall', reason: 'smoke run (QUIVER_BENCH_SMOKE=1): the synthetic set only' });
  } else {
    try {
      sift = loadSiftsmall();
    } catch (error) {
      skippedDatasets.push({ name: 'siftsmall', reason: reasonOf(error) });
      log(`siftsmall skipped: ${reasonOf(error)}`);
    }
  }
  if (sift) {
    const siftQueries = rowsOf(sift.queries, sift.dim);
    const ds: Dataset = {
      name: 'siftsmall',
      metric: 'l2',
      dim: sift.dim,
      count: sift.baseCount,
      base: sift.base,
      queries: siftQueries,
      queryArrays: siftQueries.map((q) => Array.from(q)),
      truth: siftQueries.map((_, q) => sift.truth.subarray(q * sift.truthDim, q * sift.truthDim + k)),
      truthSource: 'published siftsmall_groundtruth.ivecs (top 10 of 100)',
    };
    siftDs = ds;
    const [siftOwn] = bruteForce(sift.base, sift.dim, 'l2', siftQueries, k, [null], 'siftsmall');
    const agreement = mean(siftOwn!.map((own, q) => recallOf(own, ds.truth[q]!)));
    siftTruthAgreement = agreement;
    notes.push(
      `siftsmall has ${sift.queryCount} official queries; its recall is averaged over those. ` +
        `The published ground truth agrees with a float64 brute force on ${(agreement * 100).toFixed(2)}% of top-10 labels (SIFT has integer components, so ties can swap labels at rank 10).`,
    );
    siftEngines = await buildEngines(db, ds, tmp, false);
    coreStatuses(ds, machine);
    await quiverReopenOn(ds, siftEngines.builds, tmp);
    const peers = await buildPeers(ds, tmp);
    siftEngines.builds.push(...peers.builds);
    siftSweep = await sweep(ds, siftEngines, peers.built.filter((p) => p.peer.kind === 'hnsw'));
    exactRows.push(...await exactSection(ds, siftEngines, peers.built.filter((p) => p.peer.kind === 'exact')));
    await closePeers(ds, peers.built);
  }

  // ---- synthetic embedding-like set
  const s = CONFIG.synthetic;
  log(`synthetic: generating ${s.count.toLocaleString()} x ${s.dim} (rank ${s.model.rank}, ${s.model.clusters} clusters, noise ${s.model.noise}) and ${s.queries} queries`);
  const model = embeddingModel({ dim: s.dim, ...s.model });
  const synthBase = model.sample(s.count, s.dataSeed);
  const synthQueries = rowsOf(model.sample(s.queries, s.querySeed), s.dim);
  const buckets = new Int32Array(s.count);
  for (let i = 0; i < s.count; i++) buckets[i] = i % CONFIG.buckets;
  const cases: SelectivityCase[] = CONFIG.selectivities.map((sel) => {
    const mask = sel.lt === null ? null : Uint8Array.from(buckets, (b) => (b < sel.lt! ? 1 : 0));
    const candidates = mask ? mask.reduce((a, b) => a + b, 0) : s.count;
    return {
      name: sel.name, required: sel.required, lt: sel.lt,
      filter: sel.lt === null ? undefined : { bucket: { $lt: sel.lt } },
      mask, candidates, fraction: candidates / s.count, truth: [],
    };
  });
  const truths = bruteForce(synthBase, s.dim, 'cosine', synthQueries, k, cases.map((c) => c.mask), 'synthetic');
  cases.forEach((c, i) => (c.truth = truths[i]!));
  const synthDs: Dataset = {
    name: `synthetic-${s.count / 1000}k`,
    metric: 'cosine',
    dim: s.dim,
    count: s.count,
    base: synthBase,
    queries: synthQueries,
    queryArrays: synthQueries.map((q) => Array.from(q)),
    truth: cases[0]!.truth,
    truthSource: 'float64 brute force (cosine), cross-checked against Quiver exact: true',
  };
  const synthEngines = await buildEngines(db, synthDs, tmp, true);
  coreStatuses(synthDs, machine);
  const synthSweep = await (async () => {
    // The peers live only for sections 1 and 4: their memory is released before the filtered section.
    await quiverReopenOn(synthDs, synthEngines.builds, tmp);
    const peers = await buildPeers(synthDs, tmp);
    synthEngines.builds.push(...peers.builds);
    const rows = await sweep(synthDs, synthEngines, peers.built.filter((p) => p.peer.kind === 'hnsw'));
    exactRows.push(...await exactSection(synthDs, synthEngines, peers.built.filter((p) => p.peer.kind === 'exact')));
    await closePeers(synthDs, peers.built);
    return rows;
  })();

  // ---- 2 & 3: filters and planner
  const filterRows = await filtered(synthDs, synthEngines, cases, buckets);
  const calibration = calibrate(synthDs, synthSweep, filterRows);

  const quiverInfo = synthEngines.quiver.info;
  await db.close();
  rmSync(tmp, { recursive: true, force: true });

  // ---- 5: the default path (issue 17): openDatabase() defaults, one query after another
  // At 128 dimensions (the shape the issue was reported on, with its targets), then at embedding models' dimensions.
  const defaultPaths: DefaultPathResult[] = [];
  for (const dim of SMOKE ? [128] : QUICK ? [128, 768] : [128, 384, 768, 1536]) {
    defaultPaths.push(await defaultPathSection({ count: SMOKE ? 2_000 : 20_000, dim, targets: dim === 128, timing: CONFIG.timing, log }));
  }
  const defaultPath = defaultPaths[0]!;

  // ---- targets
  const targets: Target[] = [...defaultPath.targets];
  for (const row of [...siftSweep, ...synthSweep]) {
    const recallOk = row.recall.quiver >= row.recall.hnswlib - CONFIG.targets.recallTolerance;
    targets.push({
      name: `${row.dataset} ef ${row.ef}: Quiver / hnswlib QPS, both raw copies (recall ${row.recall.quiver.toFixed(3)} vs ${row.recall.hnswlib.toFixed(3)})`,
      value: `${row.ratioVsCopies.toFixed(2)}x`,
      target: `>= ${CONFIG.targets.qpsRatio}x, recall within ${CONFIG.targets.recallTolerance}`,
      met: row.ratioVsCopies >= CONFIG.targets.qpsRatio && recallOk,
    });
  }
  const at = filterRows.find((r) => r.selectivity === CONFIG.targets.filteredAt)!;
  targets.push({
    name: `filtered ${at.selectivity}: Quiver planner recall@10`, value: at.auto.recall.toFixed(4),
    target: `>= ${CONFIG.targets.filteredRecall}`, met: at.auto.recall >= CONFIG.targets.filteredRecall,
  });
  targets.push({
    name: `filtered ${at.selectivity}: Quiver planner QPS / raw hnswlib + callback QPS`, value: `${fmt(at.ratio)}x`,
    target: `>= ${CONFIG.targets.filteredSpeedup}x`, met: at.ratio >= CONFIG.targets.filteredSpeedup,
  });
  for (const row of filterRows) {
    if (row.auto.violations + row.forcedExact.violations + row.forcedHnsw.violations > 0) {
      targets.push({ name: `filtered ${row.selectivity}: hits violating the filter`, value: String(row.auto.violations + row.forcedExact.violations + row.forcedHnsw.violations), target: '0', met: false });
    }
  }
  for (const d of calibration.decisions) {
    targets.push({
      name: `planner at ${d.selectivity}: chose the faster plan (${d.faster})`, value: d.plannerAdapted,
      target: d.faster, met: d.adaptedOk,
    });
  }

  notes.push(
    'Quiver runs with openDatabase({ workers: 0 }): one graph per collection on the calling thread, like every other engine here (the default, one worker thread per core and a graph split in segments, is measured by bench/scale.bench.ts). ' +
      `Same M=${CONFIG.hnsw.m}, efConstruction=${CONFIG.hnsw.efConstruction} and search ef for all HNSW engines (Quiver, hnswlib, usearch, hnswlib-wasm); hnswlib seed ${CONFIG.hnsw.seed} as Quiver uses. ` +
      `Builds are single-threaded (usearch threads=${CONFIG.threads}); searches are one query per call on one thread.`,
    'QPS = queries per second of this process\'s CPU time (process.cpuUsage around each sample; every engine searches on the calling thread), which equals wall-clock QPS on an idle machine ' +
      'and stays meaningful when other processes share the CPU; wall-clock figures are in the JSON and the (wall) columns.',
    'Quiver: search({ vector: Float32Array, k: 10, ef, exact: false, include: [] }) through the public API (validation, normalisation for cosine, HNSW, f32 re-score of the hits, id lookup). ' +
      'hnswlib-node: searchKnn(number[], 10) with the queries converted to number[] once, outside the timed loop; a second, identical index built after Quiver\'s is timed too (placement control), and the target is Quiver against the mean of both. usearch: search(Float32Array, 10, 1).',
    'Cosine: Quiver normalises at insert and searches hnswlib "ip"; raw hnswlib uses its "cosine" space (it normalises in C++); usearch uses its "cos" metric on the raw vectors. ' +
      'The graphs can therefore differ slightly from Quiver\'s; on siftsmall (l2) Quiver\'s graph and raw hnswlib\'s are built identically.',
    'usearch has no setter for expansion_search in its JS API: the index is built once, saved, and loaded into a new Index with expansion_search = ef for each ef.',
    'LanceDB and Chroma (bench/peers, `npm run bench:peers`): same rows, queries, k and ef values as the others, one query at a time from one client. ' +
      'LanceDB: IVF_HNSW_SQ with numPartitions 1 (a single HNSW graph, LanceDB\'s advice for HNSW; nprobes is then moot), m = M, efConstruction as the others, searched with .ef(ef), ' +
      'without refine (distances from the 8-bit SQ codes) and with refineFactor(2) (2k candidates re-ranked in float32; LanceDB needs ef >= 2k, so no point below ef 20); default thread pools. ' +
      'Chroma: max_neighbors = M, ef_construction as the others, ef_search = ef set by collection.modify and a server restart per ef (ef_search only takes effect when the server loads the collection); ' +
      'QPS by wall clock since the search runs in the server process. Reopen to first answer, then the first query filtered to bucket = row % 10 = 3: Quiver in a fresh Node process on a database written with its defaults (openDatabase({ path }), median of 3; bench/ann/quiver-reopen.ts), LanceDB in a fresh Node process (open the table from disk, one query, then .where(\'bucket = 3\')), Chroma by restarting its server on its data folder (one query, then where { bucket: 3 }).',
    'Memory: RSS and heap deltas over each build after forced GC, in build order usearch, hnswlib, Quiver; RSS deltas are indicative (allocator reuse). ' +
      'Quiver keeps each vector three times: SQLite store of record (in memory here), WASM arena (exact scan) and the hnswlib graph.',
    `Filtered: bucket = i % ${CONFIG.buckets}, independent of the vectors; filter { bucket: { $lt: x } }. Raw hnswlib: setEf(${CONFIG.filteredEf}), searchKnn(q, 10, (label) => allowed[label] === 1). ` +
      `Quiver: search({ vector, k: 10, ef: ${CONFIG.filteredEf}, filter, include: [] }) with no exact, so the planner chooses; its plan is read from explain in a separate pass after timing.`,
    'The collection\'s planner learns from every executed search (forced ones included, EWMA weight 0.05), so by section 2 it has adapted to this machine; ' +
      '"default planner" is a fresh Planner with the defaults in src/core/query/planner.ts, "suggested" applies the rates measured here.',
  );

  const lowestCpuShare = Math.min(...contention.map((c) => c.cpuShare));
  const load: LoadInfo = { loadAverageAtStart, cpuPressureAtStart, lowestCpuShare, sections: contention };
  const contended = contention.filter((c) => c.cpuShare < 0.9);
  notes.push(
    contended.length === 0
      ? `This process had a core to itself in every timed section (CPU share >= 90% of wall time; lowest ${(lowestCpuShare * 100).toFixed(0)}%).`
      : `CONTENDED: in ${contended.length} of ${contention.length} timed sections this process ran less than 90% of the wall time ` +
          `(lowest ${(lowestCpuShare * 100).toFixed(0)}%: ${contended.map((c) => c.what).slice(0, 6).join('; ')}${contended.length > 6 ? '; ...' : ''}); ` +
          'another process competed for the CPU. QPS is by CPU time, which excludes the waiting, but cache sharing with the other process still adds noise: re-run on an idle machine for reference figures.',
  );
  const runtimeSeconds = progress.elapsedMs() / 1000;
  log(`done in ${runtimeSeconds.toFixed(1)} s (sink ${(buildSink + sweepSink + filterSink).toFixed(0)})`);
  const results = {
    benchmark: 'ann',
    machine,
    config: CONFIG,
    runtimeSeconds,
    load,
    datasets: [siftDs, synthDs].filter((d): d is Dataset => d !== null)
      .map((d) => ({ name: d.name, metric: d.metric, count: d.count, dim: d.dim, queries: d.queries.length, truth: d.truthSource })),
    skippedDatasets,
    siftTruthAgreement,
    quiverCollection: quiverInfo,
    engines: engineStatuses,
    curves: curvesOf([...siftSweep, ...synthSweep], exactRows),
    latency: latencyRows,
    exact: exactRows,
    builds: [...(siftEngines?.builds ?? []), ...synthEngines.builds],
    sweep: [...siftSweep, ...synthSweep],
    filtered: filterRows,
    calibration,
    defaultPath,
    defaultPaths,
    targets,
    notes,
  };
  const path = writeResults('ann.json', results);
  const svgPath = join(RESULTS_DIR, 'ann-recall-qps.svg');
  const seriesOf = (rows: SweepRow[]): RecallQpsSeries[] => (['quiver', 'hnswlib', 'usearch'] as const).flatMap((engine) => {
    const name = engine === 'quiver' ? 'Quiver' : engine;
    const points = rows.flatMap((r) => {
      const recall = r.recall[engine];
      const qpsValue = r.qps[engine];
      return recall === null || qpsValue === null ? [] : [{ recall, qps: qpsValue, ef: r.ef }];
    });
    return points.length > 0 ? [{ name, color: RECALL_QPS_SVG_COLORS[name], points }] : [];
  });
  writeFileSync(svgPath, recallQpsSvg(`Recall@10 vs QPS, M=${CONFIG.hnsw.m}, efConstruction=${CONFIG.hnsw.efConstruction}, ef ${CONFIG.efs.join('/')} (${machine.cpuModel}, 1 thread)`, [
    ...(siftDs ? [{ title: `siftsmall 10k x 128, l2, ${siftDs.queries.length} queries`, series: seriesOf(siftSweep) }] : []),
    { title: `${synthDs.name} x 128, cosine, ${synthDs.queries.length} queries`, series: seriesOf(synthSweep) },
  ]));
  printReport({ machine, load, builds: results.builds, sweep: results.sweep, filterRows, calibration, targets, notes, runtimeSeconds });
  for (const path of defaultPaths) {
    console.log(formatTable(`Default path: ${path.shape}`, ['configuration', 'QPS', 'x raw hnswlib', 'recall@10', 'build s', 'plan'],
      path.rows.map((r) => [r.configuration, fmt(r.qps), fmt(r.vsRaw, 2), fmt(r.recall, 3), r.buildSeconds === null ? '-' : fmt(r.buildSeconds, 1), r.plan ?? '-'])));
  }
  console.log(`\nJSON: ${path}\nSVG:  bench/results/ann-recall-qps.svg`);
}
