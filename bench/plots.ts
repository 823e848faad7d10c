/**
 * Plots for the benchmark report (bench/report-md.ts): vega-lite specs
 * rendered to SVG in Node by vega's headless renderer (no browser, no
 * canvas: `vl.compile(spec).spec` -> `new vega.View(vega.parse(...),
 * { renderer: 'none' }).toSVG()`).
 *
 * Every function takes rows already read from a benchmark's JSON and plots
 * them as they are: nothing here computes a figure. Each mark carries an
 * `aria-label` listing its fields (vega's default for SVG), so a plotted
 * point can be traced back to its JSON row; the report's tests do that.
 * Engines keep one colour in every plot (`ENGINE_COLORS`).
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Engines in legend order, with fixed colours (Tableau 10, then grey shades). */
export const ENGINE_COLORS: Readonly<Record<string, string>> = {
  Quiver: '#4c78a8',
  'Quiver (exact)': '#9ecae9',
  hnswlib: '#f58518',
  usearch: '#54a24b',
  'hnswlib-wasm': '#e45756',
  orama: '#b279a2',
  vectra: '#9d755d',
  'SQLite FTS5': '#72b7b2',
  minisearch: '#eeca3b',
  LanceDB: '#17becf',
  'LanceDB (refine 2)': '#0b6e79',
  Chroma: '#bcbd22',
  'LanceDB FTS': '#17becf',
  'PostgreSQL FTS': '#336791',
};

const FALLBACK_COLORS = ['#ff9da6', '#bab0ac', '#79706e', '#d67195', '#439894', '#83bcb6'];

/** The colour scale for a set of engines: known ones in their colours, others after them. */
export function engineScale(engines: readonly string[]): { domain: string[]; range: string[] } {
  const known = Object.keys(ENGINE_COLORS).filter((e) => engines.includes(e));
  const other = [...new Set(engines.filter((e) => !(e in ENGINE_COLORS)))];
  return {
    domain: [...known, ...other],
    range: [...known.map((e) => ENGINE_COLORS[e]!), ...other.map((_, i) => FALLBACK_COLORS[i % FALLBACK_COLORS.length]!)],
  };
}

const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e8e8e8' },
  legend: { labelFontSize: 11, titleFontSize: 11, symbolSize: 80, labelLimit: 320 },
  title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start' as const },
};

/** Renders a vega-lite spec to a standalone SVG document (white background). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vegaSpec = compile({ background: 'white', config: CONFIG, ...spec } as TopLevelSpec).spec;
  const view = new View(parse(vegaSpec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg.endsWith('\n') ? svg : `${svg}\n`;
  } finally {
    view.finalize();
  }
}

interface Titles {
  title: string;
  subtitle?: string | string[];
}

function title(t: Titles): TopLevelSpec['title'] {
  return t.subtitle ? { text: t.title, subtitle: t.subtitle } : t.title;
}

// ------------------------------------------------------------ recall / QPS

export interface RecallQpsPoint {
  engine: string;
  /** 'hnsw': one line across ef; 'exact': a single point. */
  kind: 'hnsw' | 'exact';
  ef: number | null;
  recall: number;
  qps: number;
}

/**
 * ann-benchmarks style: recall@10 on x, queries per second on a log y axis,
 * one line per approximate engine across ef (labelled with ef on the first
 * engine), exact engines as single diamonds. Up and to the right is better.
 */
export function recallQpsSpec(t: Titles, points: readonly RecallQpsPoint[], labelEfOf: string | null): TopLevelSpec {
  const minRecall = Math.min(...points.map((p) => p.recall));
  const lower = Math.max(0, Math.floor((minRecall - 0.01) * 20) / 20);
  const values = points.map((p) => ({ ...p, label: p.ef === null ? '' : `ef ${p.ef}` }));
  // Padding (pixels) keeps the points at recall 1 inside the frame.
  const x = { field: 'recall', type: 'quantitative', title: 'recall@10', scale: { domain: [lower, 1], zero: false, nice: false, padding: 14 } } as const;
  const y = { field: 'qps', type: 'quantitative', title: 'queries per second (log scale)', scale: { type: 'log' } } as const;
  const color = {
    field: 'engine', type: 'nominal', title: 'engine', scale: engineScale(points.map((p) => p.engine)),
    legend: { orient: 'bottom', direction: 'horizontal', columns: 4, title: null },
  } as const;
  return {
    title: title(t),
    width: 560,
    height: 380,
    data: { values },
    layer: [
      {
        transform: [{ filter: "datum.kind === 'hnsw'" }],
        mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 2, clip: true },
        encoding: { x, y, color, order: { field: 'ef', type: 'quantitative' } },
      },
      {
        transform: [{ filter: "datum.kind === 'exact'" }],
        mark: { type: 'point', shape: 'diamond', filled: true, size: 140, clip: true },
        encoding: { x, y, color },
      },
      ...(labelEfOf
        ? [{
            transform: [{ filter: `datum.engine === ${JSON.stringify(labelEfOf)}` }],
            mark: { type: 'text' as const, align: 'left' as const, dx: 5, dy: -7, fontSize: 9, color: '#555' },
            encoding: { x, y, text: { field: 'label', type: 'nominal' as const } },
          }]
        : []),
    ],
  } as unknown as TopLevelSpec;
}

// ------------------------------------------------------------ bars

export interface BarRow {
  /** One bar group (a row of the chart). */
  category: string;
  /** Bars within a group (coloured), e.g. a percentile or an engine. */
  series: string;
  value: number;
  /** Optional facet: one small chart per distinct value, stacked vertically. */
  facet?: string;
}

export interface BarOptions extends Titles {
  valueTitle: string;
  /** Log scale on the value axis (latencies spanning decades). */
  log?: boolean;
  /** Colour the series as engines (fixed colours) rather than by a sequential scheme. */
  seriesAreEngines?: boolean;
  /** Series in this order (legend and bars); defaults to first appearance. */
  seriesOrder?: string[];
  width?: number;
}

/** Horizontal grouped bars: categories down the side, one coloured bar per series, optionally faceted. */
export function groupedBarSpec(input: readonly BarRow[], options: BarOptions): TopLevelSpec {
  // A log axis cannot show zero or less: such values are left out (the report's tables still show them).
  const rows = options.log ? input.filter((r) => r.value > 0) : input;
  const categories = [...new Set(rows.map((r) => r.category))];
  const series = options.seriesOrder ?? [...new Set(rows.map((r) => r.series))];
  const color = options.seriesAreEngines
    ? { field: 'series', type: 'nominal', title: null, scale: engineScale(series), sort: series }
    : { field: 'series', type: 'nominal', title: null, scale: { scheme: 'blues', domain: series }, sort: series };
  const inner = {
    width: options.width ?? 420,
    // The step is per bar (the offset band), so a chart grows with its bars.
    height: { step: 12, for: 'offset' },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'category', type: 'nominal', title: null, sort: categories, axis: { labelLimit: 260 } },
      yOffset: { field: 'series', type: 'nominal', sort: series },
      x: {
        // No stacking: each series is its own bar beside the others (yOffset), and a stack would start at 0, which a log scale cannot show.
        field: 'value', type: 'quantitative', title: options.valueTitle, stack: null,
        // A log axis starts at the decade below the smallest value, so that the smallest bar still has a length.
        ...(options.log ? { scale: { type: 'log', domainMin: 10 ** Math.floor(Math.log10(Math.min(...rows.map((r) => r.value).filter((v) => v > 0))) - 1e-9) } } : {}),
      },
      color,
    },
  };
  const hasFacet = rows.some((r) => r.facet !== undefined);
  if (!hasFacet) return { title: title(options), data: { values: [...rows] }, ...inner } as unknown as TopLevelSpec;
  const facets = [...new Set(rows.map((r) => r.facet!))];
  return {
    title: title(options),
    data: { values: [...rows] },
    facet: { row: { field: 'facet', type: 'nominal', title: null, sort: facets, header: { labelAngle: 0, labelAlign: 'left', labelFontSize: 12 } } },
    spec: inner,
    resolve: { scale: { y: 'independent' } },
  } as unknown as TopLevelSpec;
}

// ------------------------------------------------------------ lines

export interface LineRow {
  x: number | string;
  y: number;
  series: string;
}

export interface LineOptions extends Titles {
  xTitle: string;
  yTitle: string;
  /** 'ordinal' keeps the x values' order as given (e.g. selectivities). */
  xType?: 'quantitative' | 'ordinal';
  xOrder?: (string | number)[];
  xLog?: boolean;
  yLog?: boolean;
  seriesAreEngines?: boolean;
}

/** One line per series over x. */
export function lineSpec(rows: readonly LineRow[], options: LineOptions): TopLevelSpec {
  const series = [...new Set(rows.map((r) => r.series))];
  const xType = options.xType ?? 'quantitative';
  return {
    title: title(options),
    width: 480,
    height: 300,
    data: { values: [...rows] },
    mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 2 },
    encoding: {
      x: {
        field: 'x', type: xType, title: options.xTitle,
        ...(xType === 'ordinal' ? { sort: options.xOrder ?? null, axis: { labelAngle: 0 } } : {}),
        ...(options.xLog ? { scale: { type: 'log' } } : {}),
      },
      y: { field: 'y', type: 'quantitative', title: options.yTitle, ...(options.yLog ? { scale: { type: 'log' } } : {}) },
      color: options.seriesAreEngines
        ? { field: 'series', type: 'nominal', title: null, scale: engineScale(series) }
        : { field: 'series', type: 'nominal', title: null, sort: series },
    },
  } as unknown as TopLevelSpec;
}
