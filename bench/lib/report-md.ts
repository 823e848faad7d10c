/**
 * REPORT.md for a suite run (bench/suite.ts): reads `suite.json` and each
 * benchmark's JSON from the output folder and writes REPORT.md and SVG plots
 * (plots.ts) beside them.
 *
 * Every table cell and plot point is a value read from a JSON file, and each
 * section names the file and the fields it reads; the only arithmetic here
 * is rounding for display and choosing which rows to show. A benchmark that
 * failed or did not run gets a line saying so; a section that cannot be
 * drawn from its JSON says why instead of stopping the report.
 *
 * Run alone: `npx tsx bench/lib/report-md.ts [DIR]` (default bench/results/report).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { groupedBarSpec, lineSpec, recallQpsSpec, renderSvg, type BarRow, type LineRow, type RecallQpsPoint } from './plots.js';
import { REPO_ROOT, type MachineInfo } from './harness.js';
import type { SuiteEntry, SuiteManifest } from './suite-types.js';

// ------------------------------------------------------------ formatting

/**
 * A number for a table: integers as they are, else 3 decimals below 1, 2
 * below 10, 1 below 100, and whole numbers above, with thousands separators
 * (the shown digits are the JSON value rounded, never a recomputed one).
 */
export function num(value: number | null | undefined, decimals?: number): string {
  if (value === null || value === undefined) return '-';
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const d = decimals ?? (Number.isInteger(value) || abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** A markdown table; `right` marks numeric columns (right-aligned). */
export function table(headers: string[], rows: (string | number | null | undefined)[][], right: boolean[] = []): string {
  const cell = (v: string | number | null | undefined) => (v === null || v === undefined ? '-' : typeof v === 'number' ? num(v) : String(v).replace(/\|/g, '\\|').replace(/\n/g, ' '));
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map((_, i) => (right[i] ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${headers.map((_, i) => cell(r[i])).join(' | ')} |`),
  ].join('\n');
}

function details(summary: string, body: string): string {
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function source(file: string, fields: string): string {
  return `<sub>Source: [\`${file}\`](${file}) → ${fields}</sub>`;
}

// ------------------------------------------------------------ JSON shapes read here (only the fields used)

/** What machineInfo() wrote (v8 is not shown). */
type Machine = Omit<MachineInfo, 'v8'>;

interface Target {
  name?: string;
  target?: string;
  value?: unknown;
  met: boolean;
}

interface AnnJson {
  config: { k: number; hnsw: { m: number; efConstruction: number }; efs: number[]; exactQueries?: number; latencyEf?: number; quick: boolean };
  datasets: { name: string; metric: string; count: number; dim: number; queries: number; truth: string }[];
  skippedDatasets?: { name: string; reason: string }[];
  engines?: { dataset: string; engine: string; package: string | null; version: string | null; status: string; reason: string | null; kind: string; index: string; notes: string[] }[];
  curves?: { dataset: string; engine: string; kind: 'hnsw' | 'exact'; points: { ef: number | null; recall: number; qps: number; wallQps: number }[] }[];
  latency?: { dataset: string; engine: string; ef: number | null; queries: number; samples: number; p50Us: number; p95Us: number; p99Us: number; meanUs: number }[];
  builds: {
    dataset: string; engine: string; count: number; seconds: number; docsPerSecond: number; rssDeltaMiB: number; engineSizeMiB: number | null; engineSizeWhat: string;
    reopenSeconds?: number | null; reopenWhat?: string | null; firstFilteredSeconds?: number | null;
  }[];
  filtered: {
    selectivity: string; candidates: number; auto: { plans: string; recall: number }; raw: { recall: number };
    qps: { auto: number; exact: number; hnsw: number; raw: number }; ratio: number;
  }[];
  load?: { loadAverageAtStart: number[]; lowestCpuShare: number };
  defaultPath?: DefaultPathJson;
  /** The default path at each dimension measured (the first is `defaultPath`). */
  defaultPaths?: DefaultPathJson[];
  targets: Target[];
  notes: string[];
}

interface DefaultPathJson {
  shape: string;
  rows: { configuration: string; qps: number; vsRaw: number; plan: string | null; recall?: number; buildSeconds?: number | null }[];
}

/** The recall the ANN summary table reads each engine's QPS at. */
const AT_A_GLANCE_RECALL = 0.95;

interface Loaded<T> {
  entry: SuiteEntry;
  file: string;
  json: T;
}

// ------------------------------------------------------------ the report

interface Context {
  outDir: string;
  manifest: SuiteManifest;
  svgs: string[];
}

/** Renders `spec` to `<name>.svg` in the output folder; returns the markdown image. */
async function plot(ctx: Context, name: string, alt: string, spec: TopLevelSpec): Promise<string> {
  const file = `${name}.svg`;
  writeFileSync(join(ctx.outDir, file), await renderSvg(spec));
  ctx.svgs.push(file);
  return `![${alt}](${file})`;
}

function load<T>(ctx: Context, name: string): Loaded<T> | SuiteEntry | null {
  const entry = ctx.manifest.benchmarks.find((b) => b.name === name);
  if (!entry) return null;
  if (entry.status !== 'ok') return entry;
  const file = entry.results.find((f) => f.endsWith('.json'));
  if (!file) return entry;
  return { entry, file, json: JSON.parse(readFileSync(join(ctx.outDir, file), 'utf8')) as T };
}

function notRun(title: string, entry: SuiteEntry | null): string {
  if (!entry) return `## ${title}\n\nNot in this suite run.\n`;
  const why = entry.status === 'failed'
    ? `**failed**: ${entry.reason ?? 'no reason recorded'}${entry.log ? ` (log: [\`${entry.log}\`](${entry.log}))` : ''}`
    : `${entry.status}${entry.reason ? `: ${entry.reason}` : ''}`;
  return `## ${title}\n\n\`${entry.name}\` ${why}.\n`;
}

/** Runs one section; an exception becomes a line in the report instead of a missing report. */
async function section(title: string, render: () => Promise<string>): Promise<string> {
  try {
    return await render();
  } catch (error) {
    return `## ${title}\n\nThis section could not be drawn from its JSON: ${(error as Error).message}\n`;
  }
}

function header(ctx: Context): string {
  const m = ctx.manifest;
  const mc = m.machine;
  const versions = Object.entries(mc.packages).filter(([, v]) => v !== null).map(([k, v]) => `${k} ${v}`).join(', ');
  const mode = m.mode === 'quick' ? '`--quick` (smaller sizes and fewer samples than a full run)' : m.mode === 'smoke' ? 'smoke (QUIVER_BENCH_SMOKE=1: tiny sizes; the figures prove the run works and mean nothing)' : 'full';
  return [
    '# Quiver benchmark report',
    '',
    `- **Run**: ${m.started.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}, ${mode}, ${m.seconds === null ? 'unfinished' : `${num(m.seconds, 0)} s end to end`}; \`npm run bench -- ${m.args.join(' ')}\``,
    `- **Machine**: ${mc.cpuModel}, ${mc.cores} cores, ${mc.totalMemoryGiB} GiB, ${mc.platform} ${mc.arch} ${mc.osRelease}; load average at the start ${mc.loadAverage.join(' / ')} (1 / 5 / 15 min)`,
    `- **Software**: Quiver ${m.quiverVersion ?? '?'} (commit ${mc.git.commit?.slice(0, 10) ?? '?'}${mc.git.dirty ? ', uncommitted changes' : ''}), Node ${mc.node}; ${versions}`,
    '- Every figure below is read from the JSON file its section names (paths relative to this file); `suite.json` records what ran.',
    '',
  ].join('\n');
}

function runsTable(ctx: Context): string {
  const rows = ctx.manifest.benchmarks.map((b) => [
    `\`${b.name}\``,
    b.status === 'failed' ? '**failed**' : b.status,
    b.seconds === null ? null : `${num(b.seconds, 0)} s`,
    b.results.filter((f) => f.endsWith('.json')).map((f) => `[\`${f}\`](${f})`).join(', ') || '-',
    b.status === 'ok' ? '' : (b.reason ?? ''),
  ]);
  return `## Benchmarks in this run\n\n${table(['benchmark', 'status', 'time', 'JSON', 'why not ok'], rows, [false, false, true])}\n\n${source('suite.json', '`benchmarks`')}\n`;
}

/** Every engine that failed or was skipped, from every JSON that lists engines. */
function failuresTable(ann: Loaded<AnnJson> | null, bm25: Loaded<Bm25Json> | null, quality: Loaded<QualityJson> | null = null): string {
  const rows: string[][] = [];
  for (const e of ann?.json.engines ?? []) if (e.status !== 'ok') rows.push(['ann', e.dataset, e.engine, e.status, e.reason ?? '']);
  for (const d of ann?.json.skippedDatasets ?? []) rows.push(['ann', d.name, '(data set)', 'skipped', d.reason]);
  for (const e of bm25?.json.engines ?? []) if (e.status !== 'ok') rows.push(['bm25', `${num(e.docs, 0)} docs`, e.engine, e.status, e.reason ?? '']);
  for (const e of quality?.json.peers?.engines ?? []) if (e.status !== 'ok') rows.push(['quality', 'SciFact, XQuAD en', e.engine, e.status, e.reason ?? '']);
  const sources = [
    ann ? `[\`${ann.file}\`](${ann.file}) → \`engines\`, \`skippedDatasets\`` : '',
    bm25 ? `[\`${bm25.file}\`](${bm25.file}) → \`engines\`` : '',
    quality?.json.peers ? `[\`${quality.file}\`](${quality.file}) → \`peers.engines\`` : '',
  ].filter(Boolean).join('; ');
  const body = rows.length === 0 ? 'None: every engine in the JSON ran.' : table(['benchmark', 'data set', 'engine', 'status', 'reason'], rows);
  return `## Engines that failed or were skipped\n\n${body}\n\n<sub>Source: ${sources || 'no engine lists in this run'}</sub>\n`;
}

// ------------------------------------------------------------ ANN

async function annSections(ctx: Context, ann: Loaded<AnnJson>): Promise<string> {
  const { json, file } = ann;
  const out: string[] = [];
  if (!json.curves || !json.engines) throw new Error(`${file} has no \`curves\`/\`engines\` (written by an older ann.bench.ts?)`);
  const efs = json.config.efs;
  out.push(
    '## Approximate search: recall@10 vs QPS\n',
    `Each line is one engine across ef = ${efs.join(', ')} (HNSW, M ${json.config.hnsw.m}, efConstruction ${json.config.hnsw.efConstruction}); ` +
      `diamonds are exact engines (brute force: recall 1 unless ranked by another metric), timed over the first ${json.config.exactQueries ?? '?'} queries. ` +
      'Up and to the right is better. One query per call, one thread; QPS by this process\'s CPU time (wall-clock QPS in the tables), ' +
      'except engines whose search runs in a server process (Chroma), timed by wall clock (see the engines\' notes).\n',
  );
  // At a glance: each engine's first point (lowest ef) reaching recall@10 >= AT_A_GLANCE_RECALL; a row chosen, not computed.
  const glance = json.datasets.flatMap((ds) => json.curves!.filter((c) => c.dataset === ds.name).map((c) => {
    const point = c.points.find((p) => p.recall >= AT_A_GLANCE_RECALL);
    return [ds.name, c.engine, point ? (point.ef === null ? 'exact' : String(point.ef)) : `never (best ${num(Math.max(...c.points.map((p) => p.recall)), 3)})`, point ? num(point.recall, 3) : null, point ? num(point.qps) : null];
  }));
  out.push(`At a glance: the first ef at which each engine reaches recall@10 >= ${AT_A_GLANCE_RECALL}, and its QPS.\n`);
  out.push(table(['data set', 'engine', 'ef', 'recall@10', 'QPS'], glance, [false, false, true, true, true]), '');
  for (const ds of json.datasets) {
    const curves = json.curves.filter((c) => c.dataset === ds.name);
    const points: RecallQpsPoint[] = curves.flatMap((c) => c.points.map((p) => ({ engine: c.engine, kind: c.kind, ef: p.ef, recall: p.recall, qps: p.qps })));
    const engines = json.engines.filter((e) => e.dataset === ds.name);
    const failed = engines.filter((e) => e.status !== 'ok').map((e) => `${e.engine} ${e.status}`);
    const image = await plot(ctx, `ann-recall-qps-${slug(ds.name)}`, `recall@10 vs QPS on ${ds.name}`, recallQpsSpec({
      title: `${ds.name}: ${num(ds.count, 0)} x ${ds.dim}, ${ds.metric}, ${ds.queries} queries, k ${json.config.k}`,
      subtitle: [
        `HNSW M ${json.config.hnsw.m}, efConstruction ${json.config.hnsw.efConstruction}; ef ${efs.join('/')}; ${ctx.manifest.machine.cpuModel}, 1 thread`,
        ...(failed.length > 0 ? [`not shown: ${failed.join(', ')} (see the failures table)`] : []),
      ],
    }, points, curves.some((c) => c.engine === 'Quiver') ? 'Quiver' : null));
    out.push(`### ${ds.name}\n`, image, '');
    const rows = curves.flatMap((c) => c.points.map((p) => [c.engine, c.kind, p.ef === null ? 'exact' : String(p.ef), num(p.recall, 3), num(p.qps), num(p.wallQps)]));
    out.push(details(`recall/QPS table: ${ds.name} (${rows.length} points)`,
      table(['engine', 'kind', 'ef', 'recall@10', 'QPS', 'QPS (wall clock)'], rows, [false, false, true, true, true, true])), '');
  }
  for (const skipped of json.skippedDatasets ?? []) out.push(`**${skipped.name}** was not run: ${skipped.reason}.\n`);
  out.push(source(file, '`curves` (points: `ef`, `recall`, `qps`, `wallQps`), `datasets`, `config`'), '');

  // Engines
  const engineNames = [...new Set(json.engines.map((e) => e.engine))];
  const dsNames = [...new Set(json.engines.map((e) => e.dataset))];
  out.push('### Engines\n');
  out.push(table(
    ['engine', 'version', 'search', ...dsNames, 'notes'],
    engineNames.map((name) => {
      const list = json.engines!.filter((e) => e.engine === name);
      const first = list[0]!;
      const notes = [...new Set(list.flatMap((e) => e.notes))];
      return [
        name, first.version ?? (first.package ? '?' : 'this checkout'), first.index,
        ...dsNames.map((d) => list.find((e) => e.dataset === d)?.status ?? '-'),
        notes.join('; '),
      ];
    }),
  ), '', source(file, '`engines`'), '');

  // Latency
  if (json.latency && json.latency.length > 0) {
    const rows: BarRow[] = json.latency.flatMap((l) => [
      { facet: l.dataset, category: l.engine, series: 'p50', value: l.p50Us },
      { facet: l.dataset, category: l.engine, series: 'p95', value: l.p95Us },
      { facet: l.dataset, category: l.engine, series: 'p99', value: l.p99Us },
    ]);
    out.push('## Vector search latency percentiles\n');
    out.push(`Each query timed alone (engines rotating query by query): HNSW engines at ef ${json.config.latencyEf ?? '?'}, exact engines over the queries they ran.\n`);
    out.push(await plot(ctx, 'ann-latency', 'per-query latency percentiles', groupedBarSpec(rows, {
      title: 'Per-query latency, µs (log scale)',
      subtitle: `HNSW engines at ef ${json.config.latencyEf ?? '?'}; exact engines: brute force`,
      valueTitle: 'µs per query (log scale)', log: true, seriesOrder: ['p50', 'p95', 'p99'],
    })), '');
    out.push(details('latency table', table(
      ['data set', 'engine', 'ef', 'queries', 'samples', 'p50 µs', 'p95 µs', 'p99 µs', 'mean µs'],
      json.latency.map((l) => [l.dataset, l.engine, l.ef === null ? 'exact' : String(l.ef), String(l.queries), String(l.samples), num(l.p50Us), num(l.p95Us), num(l.p99Us), num(l.meanUs)]),
      [false, false, true, true, true, true, true, true, true],
    )), '', source(file, '`latency`'), '');
  }

  // Builds
  out.push('## Index builds\n');
  out.push(await plot(ctx, 'ann-build', 'build throughput', groupedBarSpec(
    json.builds.map((b) => ({ category: b.engine, series: b.dataset, value: b.docsPerSecond })),
    { title: 'Build throughput, vectors per second (log scale)', subtitle: 'one thread; exact engines only store the vectors', valueTitle: 'vectors / s (log scale)', log: true },
  )), '');
  out.push(details('build table', table(
    ['data set', 'engine', 'N', 'build s', 'vectors/s', 'RSS delta MiB', 'engine size MiB', 'engine size is', 'reopen to 1st answer s'],
    json.builds.map((b) => [b.dataset, b.engine, num(b.count, 0), num(b.seconds), num(b.docsPerSecond), num(b.rssDeltaMiB), num(b.engineSizeMiB), b.engineSizeWhat, num(b.reopenSeconds ?? null)]),
    [false, false, true, true, true, true, true, false, true],
  )), '');
  const reopened = json.builds.filter((b) => b.reopenWhat);
  if (reopened.length > 0) {
    out.push('Reopen to first answer, then the first query filtered to one bucket of ten (Quiver with its defaults, the peers as they ship):\n');
    out.push(table(
      ['data set', 'engine', 'reopen to 1st answer s', 'first filtered query s', 'what was timed'],
      reopened.map((b) => [b.dataset, b.engine, num(b.reopenSeconds ?? null), num(b.firstFilteredSeconds ?? null), b.reopenWhat!]),
      [false, false, true, true, false],
    ), '');
  }
  out.push(source(file, '`builds` (`reopenSeconds`, `firstFilteredSeconds`, `reopenWhat` for reopen)'), '');

  // Filtered
  if (json.filtered.length > 0) {
    const order = json.filtered.map((f) => f.selectivity);
    const lines: LineRow[] = json.filtered.flatMap((f) => [
      { x: f.selectivity, y: f.qps.auto, series: 'Quiver (planner)' },
      { x: f.selectivity, y: f.qps.exact, series: 'Quiver, exact forced' },
      { x: f.selectivity, y: f.qps.hnsw, series: 'Quiver, HNSW forced' },
      { x: f.selectivity, y: f.qps.raw, series: 'hnswlib + JS filter callback' },
    ]);
    const synth = json.datasets[json.datasets.length - 1];
    out.push('## Filtered search\n');
    out.push(await plot(ctx, 'ann-filtered', 'filtered search QPS by selectivity', lineSpec(lines, {
      title: 'Filtered search: QPS by selectivity (log scale)',
      subtitle: `${synth ? `${synth.name}, ` : ''}k 10, ef 64; filter bucket < x (independent of the vectors)`,
      xTitle: 'share of documents the filter allows', yTitle: 'queries per second (log scale)', xType: 'ordinal', xOrder: order, yLog: true,
    })), '');
    out.push(table(
      ['selectivity', 'candidates', 'Quiver plan', 'Quiver recall@10', 'Quiver QPS', 'hnswlib + callback recall', 'hnswlib + callback QPS', 'Quiver / hnswlib'],
      json.filtered.map((f) => [f.selectivity, num(f.candidates, 0), f.auto.plans, num(f.auto.recall, 3), num(f.qps.auto), num(f.raw.recall, 3), num(f.qps.raw), `${num(f.ratio)}x`]),
      [false, true, false, true, true, true, true, true],
    ), '', source(file, '`filtered` (`qps`, `auto`, `raw`, `ratio`)'), '');
  }
  for (const path of json.defaultPaths ?? (json.defaultPath ? [json.defaultPath] : [])) {
    out.push(`### The default path: ${path.shape}\n`);
    out.push(table(
      ['configuration', 'QPS', 'x raw hnswlib-node', 'recall@10', 'build s', 'plan'],
      path.rows.map((r) => [
        r.configuration, num(r.qps), `${num(r.vsRaw)}x`, r.recall === undefined ? '-' : r.recall.toFixed(3),
        r.buildSeconds === undefined || r.buildSeconds === null ? '-' : r.buildSeconds.toFixed(1), r.plan ?? '-',
      ]),
      [false, true, true, true, true, false],
    ), '');
  }
  if (json.defaultPath) out.push(source(file, '`defaultPaths[].rows` (`qps`, `vsRaw`, `recall`, `buildSeconds`, `plan`)'), '');
  return out.join('\n');
}

// ------------------------------------------------------------ kernels

interface KernelsJson {
  config: { kernel: { count: number }; search: { count: number; dim: number } };
  kernels: { dim: number; metric: string; impl: string; nsPerVector: number; gbPerSecond: number; vsPlainJs: number }[];
  endToEnd: { metric: string; count: number; dim: number; quiverQps: number; plainJsQps: number; hnswlibQps: number; quiverVsPlainJs: number; quiverVsHnswlib: number; idsMatchInOrder: number; queries: number }[];
  int8: { dataset: string; metric: string; count: number; dim: number; int8Qps: number; f32Qps: number; speedup: number; recallAt10: number }[];
}

async function kernelsSection(ctx: Context, k: Loaded<KernelsJson>): Promise<string> {
  const { json, file } = k;
  const out = ['## Distance kernels and exact search\n'];
  out.push(await plot(ctx, 'kernels', 'kernel ns per vector', groupedBarSpec(
    json.kernels.map((r) => ({ facet: `${r.metric}, N = ${num(json.config.kernel.count, 0)}`, category: r.impl, series: `dim ${r.dim}`, value: r.nsPerVector })),
    { title: 'One query against N vectors: ns per vector (log scale, lower is better)', valueTitle: 'ns per vector (log scale)', log: true },
  )), '');
  out.push(details('kernel table', table(
    ['dim', 'metric', 'implementation', 'ns/vector', 'GB/s', 'vs plain JS'],
    json.kernels.map((r) => [String(r.dim), r.metric, r.impl, num(r.nsPerVector), num(r.gbPerSecond), `${num(r.vsPlainJs)}x`]),
    [true, false, false, true, true, true],
  )), '');
  out.push(table(
    ['exact top-10', 'N x dim', 'Quiver QPS', 'plain JS QPS', 'hnswlib brute force QPS', 'Quiver / plain JS', 'Quiver / hnswlib', 'ids equal plain JS'],
    json.endToEnd.map((r) => [r.metric, `${num(r.count, 0)} x ${r.dim}`, num(r.quiverQps), num(r.plainJsQps), num(r.hnswlibQps), `${num(r.quiverVsPlainJs)}x`, `${num(r.quiverVsHnswlib)}x`, `${r.idsMatchInOrder}/${r.queries}`]),
    [false, false, true, true, true, true, true, false],
  ), '');
  out.push(table(
    ['int8 scan + f32 re-rank', 'metric', 'N x dim', 'int8 QPS', 'f32 QPS', 'speed-up', 'recall@10 vs f32'],
    json.int8.map((r) => [r.dataset, r.metric, `${num(r.count, 0)} x ${r.dim}`, num(r.int8Qps), num(r.f32Qps), `${num(r.speedup)}x`, num(r.recallAt10, 3)]),
    [false, false, false, true, true, true, true],
  ), '', source(file, '`kernels`, `endToEnd`, `int8`'), '');
  return out.join('\n');
}

// ------------------------------------------------------------ storage

interface StorageJson {
  config: { count: number; dim: number };
  ingest: { variant: string; docs: number; seconds: number; docsPerSecond: number; vsRaw: number }[];
  reopen: { case: string; runs: number; medianMs: number; vsRaw?: number | null }[];
  memory: { child: string; runs: number; rssMB: number; heapUsedMB: number; wasmMB: number | null }[];
}

async function storageSection(ctx: Context, s: Loaded<StorageJson>): Promise<string> {
  const { json, file } = s;
  const out = [`## Storage: ingest and reopen (${num(json.config.count, 0)} x ${json.config.dim})\n`];
  out.push(await plot(ctx, 'storage-ingest', 'ingest throughput', groupedBarSpec(
    json.ingest.map((r) => ({ category: r.variant, series: 'docs/s', value: r.docsPerSecond })),
    { title: 'Ingest throughput, documents per second (higher is better)', valueTitle: 'documents / s', width: 380 },
  )), '');
  out.push(table(['ingest', 'docs', 'seconds', 'docs/s', 'vs raw hnswlib'], json.ingest.map((r) => [r.variant, num(r.docs, 0), num(r.seconds), num(r.docsPerSecond), `${num(r.vsRaw)}x`]), [false, true, true, true, true]), '');
  out.push(await plot(ctx, 'storage-reopen', 'reopen time', groupedBarSpec(
    json.reopen.map((r) => ({ category: r.case, series: 'median ms', value: r.medianMs })),
    { title: 'Reopen time in a fresh process, median ms (log scale, lower is better)', valueTitle: 'ms (log scale)', log: true, width: 380 },
  )), '');
  out.push(table(['reopen', 'runs', 'median ms'], json.reopen.map((r) => [r.case, String(r.runs), num(r.medianMs)]), [false, true, true]), '');
  if (Array.isArray(json.memory)) {
    out.push(table(['process after reopen', 'runs', 'RSS MB', 'heap MB', 'WASM MB'], json.memory.map((r) => [r.child, String(r.runs), num(r.rssMB), num(r.heapUsedMB), num(r.wasmMB)]), [false, true, true, true, true]), '');
  }
  out.push(source(file, '`ingest`, `reopen`, `memory`'), '');
  return out.join('\n');
}

// ------------------------------------------------------------ memory and scale

interface MemoryJson {
  config: { hnsw: { m: number; efConstruction: number }; ef: number; targets: { rssF32: number; rssInt8: number; wasm: number } };
  rows: {
    dim: number; count: number; engine: string; buildSeconds: number; ingestDocsPerSecond: number; rssGiB: number; rssVsRaw: number | null;
    netRssVsRaw: number | null; wasmGiB: number | null; wasmVsHeld: number | null; peakRssGiB: number; hnswRecallAt10: number | null;
    hnswMedianMs: number; exactMedianMs: number | null; closeSeconds: number | null; reopenFirstAnswerSeconds: number | null; reopenSameAnswers: boolean | null;
  }[];
  results: { engine: string; dim: number; count: number; checkpoints: { documents: number; rss: number }[] }[];
}

async function memorySection(ctx: Context, m: Loaded<MemoryJson>): Promise<string> {
  const { json, file } = m;
  const { hnsw, ef } = json.config;
  const out = [`## Memory and scale (HNSW m ${hnsw.m}, efConstruction ${hnsw.efConstruction}; searches at ef ${ef})
`];
  for (const dim of [...new Set(json.results.map((r) => r.dim))]) {
    const points = json.results
      .filter((r) => r.dim === dim)
      .flatMap((r) => r.checkpoints.map((c) => ({ x: c.documents, y: c.rss / 2 ** 30, series: r.engine })));
    out.push(await plot(ctx, `memory-${dim}`, `resident memory against documents, dim ${dim}`, lineSpec(points, {
      title: `Resident memory as documents arrive, dim ${dim} (lower is better)`,
      subtitle: 'each engine in its own process, after full garbage collections',
      xTitle: 'documents', yTitle: 'RSS, GiB', seriesAreEngines: false,
    })), '');
  }
  out.push(table(
    ['shape', 'engine', 'build s', 'ingest docs/s', 'RSS GiB', 'x raw', 'WASM / held', 'recall@10', 'HNSW ms', 'exact ms', 'reopen to 1st answer s', 'same answers'],
    json.rows.map((r) => [
      `${r.dim} x ${num(r.count, 0)}`, r.engine, num(r.buildSeconds), num(r.ingestDocsPerSecond), num(r.rssGiB), r.rssVsRaw === null ? '-' : `${num(r.rssVsRaw)}x`,
      r.wasmVsHeld === null ? '-' : `${num(r.wasmVsHeld)}x`, r.hnswRecallAt10 === null ? '-' : num(r.hnswRecallAt10), num(r.hnswMedianMs), r.exactMedianMs === null ? '-' : num(r.exactMedianMs),
      r.reopenFirstAnswerSeconds === null ? '-' : num(r.reopenFirstAnswerSeconds), r.reopenSameAnswers === null ? '-' : String(r.reopenSameAnswers),
    ]),
    [false, false, true, true, true, true, true, true, true, true, true, false],
  ), '');
  out.push(source(file, '`rows`, `results[].checkpoints`'), '');
  return out.join('\n');
}

// ------------------------------------------------------------ quality

interface QualityJson {
  defaults: { dataset: string; name: string; settings: string; ndcg10: number; recall100: number; mrr10: number; queries: number }[];
  peers?: {
    engines: { engine: string; status: string; reason: string | null; version: string | null }[];
    rows: { dataset: string; engine: string; settings: string; ndcg10: number; recall100: number; mrr10: number; queries: number; queryMsMean: number; headline: boolean }[];
  };
  hybrid: null | { rows: { rank: number; mode: string; fusion: string; alpha: number | null; ndcg10: number; recall100: number; queries: number }[] };
}

async function qualitySection(ctx: Context, q: Loaded<QualityJson>): Promise<string> {
  const { json, file } = q;
  const out = ['## Search quality\n'];
  out.push(await plot(ctx, 'quality-ndcg', 'nDCG@10 per data set', groupedBarSpec(
    json.defaults.flatMap((r) => [
      { category: r.dataset, series: 'nDCG@10', value: r.ndcg10 },
      { category: r.dataset, series: 'recall@100', value: r.recall100 },
    ]),
    { title: 'BM25 with the default settings (higher is better)', subtitle: 'BEIR SciFact (test queries), XQuAD zh/en, CMRC 2018 dev', valueTitle: 'score', seriesOrder: ['nDCG@10', 'recall@100'] },
  )), '');
  out.push(table(['data set', 'settings', 'queries', 'nDCG@10', 'recall@100', 'MRR@10'], json.defaults.map((r) => [r.dataset, r.settings, String(r.queries), num(r.ndcg10, 4), num(r.recall100, 4), num(r.mrr10, 4)]), [false, false, true, true, true, true]), '');
  if (json.peers) {
    const quiver = json.defaults.filter((r) => json.peers!.rows.some((p) => p.dataset === r.dataset));
    out.push('### Keyword engines side by side\n');
    out.push('Same documents and queries; each engine with its own analyzer (English stemming and stop words where it has them). ' +
      'Rows marked * are each engine\'s setting chosen on SciFact\'s train queries (the test queries only read).\n');
    out.push(table(
      ['data set', 'engine', 'settings', 'queries', 'nDCG@10', 'recall@100', 'MRR@10', 'ms/query'],
      [
        ...quiver.map((r) => [r.dataset, 'Quiver *', r.settings, String(r.queries), num(r.ndcg10, 4), num(r.recall100, 4), num(r.mrr10, 4), null]),
        ...json.peers.rows.map((r) => [r.dataset, `${r.engine}${r.headline ? ' *' : ''}`, r.settings, String(r.queries), num(r.ndcg10, 4), num(r.recall100, 4), num(r.mrr10, 4), num(r.queryMsMean)]),
      ],
      [false, false, false, true, true, true, true, true],
    ), '');
    const off = json.peers.engines.filter((e) => e.status !== 'ok');
    if (off.length > 0) out.push(off.map((e) => `**${e.engine}** ${e.status}: ${e.reason ?? ''}`).join('\n\n'), '');
  }
  if (json.hybrid && json.hybrid.rows.length > 0) {
    const rows = json.hybrid.rows.filter((r) => !r.mode.includes('(check)'));
    const lines: LineRow[] = rows.filter((r) => r.fusion === 'relativeScore' && r.alpha !== null).map((r) => ({ x: r.alpha!, y: r.ndcg10, series: `relativeScore, LSA rank ${r.rank}` }));
    const flat = rows.filter((r) => r.fusion !== 'relativeScore');
    for (const r of flat) for (const alpha of [...new Set(lines.map((l) => l.x as number))]) lines.push({ x: alpha, y: r.ndcg10, series: `${r.mode}, rank ${r.rank}` });
    out.push(await plot(ctx, 'quality-hybrid', 'hybrid nDCG@10 by alpha', lineSpec(lines, {
      title: 'SciFact hybrid: nDCG@10 by alpha (BM25 + LSA dense side)',
      subtitle: 'relativeScore fusion by alpha (weight of the dense side); other modes drawn flat for reference',
      xTitle: 'alpha', yTitle: 'nDCG@10',
    })), '');
    out.push(details('hybrid table', table(['LSA rank', 'mode', 'nDCG@10', 'recall@100', 'queries'], rows.map((r) => [String(r.rank), r.mode, num(r.ndcg10, 4), num(r.recall100, 4), String(r.queries)]), [true, false, true, true, true])), '');
  }
  out.push(source(file, '`defaults`, `hybrid.rows`, `peers`'), '');
  return out.join('\n');
}

// ------------------------------------------------------------ keyword latency

interface Bm25Json {
  data: { docs: number; minisearchDocs: number; oramaDocs?: number };
  engines?: { engine: string; status: string; reason: string | null; docs: number }[];
  latency: { engine: string; docs: number; run: string; queries: string; ran: number; p50: number; p95: number; p99?: number; max: number }[];
  builds: { engine: string; docs: number; buildS: number; memoryMB: number; note: string }[];
}

async function bm25Section(ctx: Context, b: Loaded<Bm25Json>): Promise<string> {
  const { json, file } = b;
  const out = ['## Keyword search latency (BM25 top-10, synthetic Zipf corpus)\n'];
  const runs = [...new Set(json.latency.map((r) => r.run))];
  out.push('Engines side by side on the same documents; each run pairs Quiver with one peer at that peer\'s size.\n');
  for (const run of runs) {
    const rows = json.latency.filter((r) => r.run === run);
    const docs = Math.max(...rows.map((r) => r.docs));
    out.push(await plot(ctx, `bm25-${slug(run)}`, `keyword latency ${run}`, groupedBarSpec(
      rows.flatMap((r) => [
        { facet: `${r.queries} queries`, category: r.engine, series: 'p50', value: r.p50 },
        { facet: `${r.queries} queries`, category: r.engine, series: 'p95', value: r.p95 },
      ]),
      { title: `Keyword top-10 latency, ms (log scale): ${run}`, subtitle: `${num(docs, 0)} documents, OR semantics`, valueTitle: 'ms per query (log scale)', log: true, seriesOrder: ['p50', 'p95'] },
    )), '');
  }
  out.push(details('keyword latency table', table(
    ['run', 'queries', 'engine', 'docs', 'ran', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
    json.latency.map((r) => [r.run, r.queries, r.engine, num(r.docs, 0), String(r.ran), num(r.p50), num(r.p95), num(r.p99), num(r.max)]),
    [false, false, false, true, true, true, true, true, true],
  )), '');
  out.push(table(['build', 'docs', 'seconds', 'memory MB', 'memory counts'], json.builds.map((r) => [r.engine, num(r.docs, 0), num(r.buildS), num(r.memoryMB), r.note]), [false, true, true, true, false]), '');
  out.push(source(file, '`latency`, `builds`, `engines`'), '');
  return out.join('\n');
}

// ------------------------------------------------------------ HTTP

interface HttpJson {
  settings: { connections: number; durationSeconds: number };
  results: { name: string; requestsPerSecond: number; latencyMs: { p50: number; p95: number; p99: number }; non2xx: number; errors: number }[];
}

async function httpSection(ctx: Context, h: Loaded<HttpJson>): Promise<string> {
  const { json, file } = h;
  const out = [`## HTTP (autocannon, ${json.settings.connections} connections, ${json.settings.durationSeconds} s per scenario)\n`];
  out.push(await plot(ctx, 'http-latency', 'HTTP latency percentiles', groupedBarSpec(
    json.results.flatMap((r) => [
      { category: r.name, series: 'p50', value: r.latencyMs.p50 },
      { category: r.name, series: 'p95', value: r.latencyMs.p95 },
      { category: r.name, series: 'p99', value: r.latencyMs.p99 },
    ]),
    { title: 'HTTP latency percentiles, ms (log scale)', subtitle: 'loopback; server in a child process', valueTitle: 'ms (log scale)', log: true, seriesOrder: ['p50', 'p95', 'p99'] },
  )), '');
  out.push(table(
    ['scenario', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'non-2xx', 'errors'],
    json.results.map((r) => [r.name, num(r.requestsPerSecond), num(r.latencyMs.p50), num(r.latencyMs.p95), num(r.latencyMs.p99), String(r.non2xx), String(r.errors)]),
    [false, true, true, true, true, true, true],
  ), '', source(file, '`results`'), '');
  return out.join('\n');
}

// ------------------------------------------------------------ scale (format owned by bench/scale.bench.ts)

type Row = Record<string, unknown>;

const isScalar = (x: unknown) => x === null || typeof x !== 'object';

/** Arrays of row objects (scalar fields, or arrays of scalars) anywhere in the JSON (depth <= 3), with their paths. */
function rowArrays(value: unknown, path = '', depth = 0): { path: string; rows: Row[] }[] {
  if (depth > 3 || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) {
    const rows = value.length > 0 && value.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v)
      && Object.values(v as Row).every((x) => isScalar(x) || (Array.isArray(x) && x.every(isScalar))));
    return rows ? [{ path, rows: value as Row[] }] : [];
  }
  return Object.entries(value as Row).flatMap(([k, v]) => (k === 'machine' ? [] : rowArrays(v, path ? `${path}.${k}` : k, depth + 1)));
}

/**
 * The scale benchmark's JSON is its author's: this shows its arrays of rows
 * as tables (scalar columns), and plots any with a throughput-like column:
 * as bars by a label column when every row has its own label, else as a
 * line over a workers/threads-like column.
 */
async function scaleSection(ctx: Context, s: Loaded<unknown>): Promise<string> {
  const out = ['## Scaling\n'];
  const arrays = rowArrays(s.json).filter((a) => a.path !== 'targets');
  for (const { path, rows } of arrays.slice(0, 8)) {
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => rows.every((r) => isScalar(r[k])));
    const numeric = (k: string) => rows.every((r) => typeof r[k] === 'number');
    const yKey = keys.find((k) => /qps|rps|persecond|throughput/i.test(k) && numeric(k));
    const labelKey = keys.find((k) => rows.every((r) => typeof r[k] === 'string') && new Set(rows.map((r) => r[k])).size === rows.length);
    const xKey = keys.find((k) => /^(workers|threads|concurrency|cores|clients|connections)$/i.test(k) && numeric(k));
    if (yKey && labelKey) {
      out.push(await plot(ctx, `scale-${slug(path)}`, `scaling ${path}`, groupedBarSpec(
        rows.map((r) => ({ category: String(r[labelKey]), series: yKey, value: r[yKey] as number })),
        { title: `Scaling: ${yKey}`, subtitle: `${s.file} → ${path}`, valueTitle: yKey, width: 380 },
      )), '');
    } else if (yKey && xKey) {
      out.push(await plot(ctx, `scale-${slug(path)}`, `scaling ${path}`, lineSpec(
        rows.map((r) => ({ x: r[xKey] as number, y: r[yKey] as number, series: yKey })),
        { title: `Scaling: ${yKey} by ${xKey}`, subtitle: `${s.file} → ${path}`, xTitle: xKey, yTitle: yKey },
      )), '');
    }
    out.push(details(`\`${path}\` (${rows.length} rows)`, table(keys, rows.map((r) => keys.map((k) => {
      const v = r[k];
      return typeof v === 'number' ? num(v) : v === null || v === undefined ? null : String(v);
    })), keys.map(numeric))), '');
  }
  if (arrays.length === 0) out.push('The JSON holds no table-like arrays to show.\n');
  out.push(source(s.file, arrays.map((a) => `\`${a.path}\``).join(', ') || 'the whole file'), '');
  return out.join('\n');
}

// ------------------------------------------------------------ targets

function targetsSection(loaded: { name: string; file: string; targets: Target[] }[]): string {
  const rows: string[][] = [];
  for (const { name, targets } of loaded) {
    for (const t of targets) rows.push([name, t.name ?? t.target ?? '?', t.value === undefined ? '' : typeof t.value === 'number' ? num(t.value) : String(t.value), t.name && t.target ? t.target : '', t.met ? 'met' : '**not met**']);
  }
  if (rows.length === 0) return '';
  const missed = rows.filter((r) => r[4] !== 'met').length;
  return [
    '## Targets\n',
    `${rows.length - missed} of ${rows.length} targets met. Quick and smoke runs use smaller sizes and fewer samples than the targets were set for.\n`,
    details('every target', table(['benchmark', 'requirement', 'value', 'target', 'result'], rows)),
    '',
    `<sub>Source: ${loaded.map((l) => `[\`${l.file}\`](${l.file}) → \`targets\``).join('; ')}</sub>`,
    '',
  ].join('\n');
}

// ------------------------------------------------------------ entry point

/** Writes REPORT.md and its SVGs into `outDir` from `outDir/suite.json` and the JSON it lists. */
export async function writeReport(outDir: string): Promise<{ reportPath: string; svgs: string[] }> {
  const manifestPath = join(outDir, 'suite.json');
  if (!existsSync(manifestPath)) throw new Error(`${manifestPath} is missing: run the suite first (npm run bench -- --quick)`);
  const ctx: Context = { outDir, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) as SuiteManifest, svgs: [] };
  const parts: string[] = [header(ctx), runsTable(ctx)];
  const got = <T>(name: string) => {
    const r = load<T>(ctx, name);
    return r && 'json' in r ? r : null;
  };
  const entryOf = (name: string) => ctx.manifest.benchmarks.find((b) => b.name === name) ?? null;
  const ran = (name: string) => entryOf(name)?.status !== 'not run';
  const ann = got<AnnJson>('ann');
  const bm25 = got<Bm25Json>('bm25');
  parts.push(failuresTable(ann, bm25, got<QualityJson>('quality')));

  const sections: [string, string, (l: Loaded<never>) => Promise<string>][] = [
    ['ann', 'Approximate search', (l) => annSections(ctx, l as Loaded<AnnJson>)],
    ['kernels', 'Distance kernels and exact search', (l) => kernelsSection(ctx, l as Loaded<KernelsJson>)],
    ['bm25', 'Keyword search latency', (l) => bm25Section(ctx, l as Loaded<Bm25Json>)],
    ['quality', 'Search quality', (l) => qualitySection(ctx, l as Loaded<QualityJson>)],
    ['storage', 'Storage', (l) => storageSection(ctx, l as Loaded<StorageJson>)],
    ['memory', 'Memory and scale', (l) => memorySection(ctx, l as Loaded<MemoryJson>)],
    ['http', 'HTTP', (l) => httpSection(ctx, l as Loaded<HttpJson>)],
    ['scale', 'Scaling', (l) => scaleSection(ctx, l as Loaded<unknown>)],
  ];
  const withTargets: { name: string; file: string; targets: Target[] }[] = [];
  for (const [name, title, render] of sections) {
    if (!ran(name)) continue;
    const loaded = got<{ targets?: Target[] }>(name);
    if (!loaded) {
      parts.push(notRun(title, entryOf(name)));
      continue;
    }
    if (Array.isArray(loaded.json.targets)) withTargets.push({ name, file: loaded.file, targets: loaded.json.targets });
    parts.push(await section(title, () => render(loaded as Loaded<never>)));
  }
  parts.push(targetsSection(withTargets));
  if (ann && ann.json.notes.length > 0) {
    parts.push(details('How the ANN figures were measured (notes from ann.json)', ann.json.notes.map((n) => `- ${n}`).join('\n')), '', source(ann.file, '`notes`'), '');
  }
  const reportPath = join(outDir, 'REPORT.md');
  writeFileSync(reportPath, parts.join('\n').replace(/\n{3,}/g, '\n\n'));
  return { reportPath, svgs: ctx.svgs };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(REPO_ROOT, 'bench', 'lib', 'report-md.ts')) {
  const dir = resolve(process.argv[2] ?? join(REPO_ROOT, 'bench', 'results', 'report'));
  const { reportPath, svgs } = await writeReport(dir);
  console.log(`wrote ${reportPath} and ${svgs.length} plots`);
}
