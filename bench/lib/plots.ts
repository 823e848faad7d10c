/**
 * Every plot the benchmarks draw, as SVG.
 *
 * - The suite's report (report-md.ts) and bench:soak: vega-lite specs
 *   rendered to SVG in Node by vega's headless renderer (no browser, no
 *   canvas: `vl.compile(spec).spec` -> `new vega.View(vega.parse(...),
 *   { renderer: 'none' }).toSVG()`). vega and vega-lite load on the first
 *   `renderSvg`, so a benchmark that draws none does not load them.
 * - bench:ann's own recall/QPS chart (bench/results/ann-recall-qps.svg),
 *   `recallQpsSvg` at the end: plain SVG written by hand, one panel per
 *   data set.
 *
 * Every function takes rows already read from a benchmark's JSON (or about
 * to be written to it) and plots them as they are: nothing here computes a
 * figure. Each vega mark carries an `aria-label` listing its fields (vega's
 * default for SVG), so a plotted point can be traced back to its JSON row;
 * the report's tests do that. Engines keep one colour in every vega plot
 * (`ENGINE_COLORS`).
 */
import type { TopLevelSpec } from 'vega-lite';

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
  const [{ parse, View }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
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

// ------------------------------------------------------------ bench:ann's recall / QPS chart (hand-written SVG)

export interface RecallQpsSeries {
  name: string;
  color: string;
  points: { recall: number; qps: number; ef: number }[];
}

/** The colours of bench:ann's chart, its own (not `ENGINE_COLORS`). */
export const RECALL_QPS_SVG_COLORS = { Quiver: '#1f77b4', hnswlib: '#ff7f0e', usearch: '#2ca02c' } as const;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Recall@10 (x) against QPS (y, log scale), one panel per data set, one line per engine. */
export function recallQpsSvg(title: string, panels: { title: string; series: RecallQpsSeries[] }[]): string {
  const pw = 460;
  const ph = 340;
  const margin = { left: 64, right: 16, top: 48, bottom: 48 };
  const width = panels.length * pw;
  const height = ph + 56;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  panels.forEach((panel, p) => {
    const x0 = p * pw + margin.left;
    const y0 = 28 + margin.top;
    const w = pw - margin.left - margin.right;
    const h = ph - margin.top - margin.bottom + 28;
    const all = panel.series.flatMap((s) => s.points);
    const minRecall = Math.min(...all.map((pt) => pt.recall));
    const xMin = Math.max(0, Math.floor((minRecall - 0.02) * 20) / 20);
    const xMax = 1;
    const yMin = Math.floor(Math.log10(Math.min(...all.map((pt) => pt.qps))));
    const yMax = Math.ceil(Math.log10(Math.max(...all.map((pt) => pt.qps))));
    const sx = (r: number) => x0 + ((r - xMin) / (xMax - xMin)) * w;
    const sy = (q: number) => y0 + h - ((Math.log10(q) - yMin) / (yMax - yMin)) * h;
    parts.push(`<text x="${x0 + w / 2}" y="${y0 - 14}" text-anchor="middle" font-size="12">${escapeXml(panel.title)}</text>`);
    parts.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#888"/>`);
    for (let decade = yMin; decade <= yMax; decade++) {
      for (const mult of [1, 2, 5]) {
        const value = mult * 10 ** decade;
        if (Math.log10(value) > yMax + 1e-9) continue;
        const y = sy(value);
        parts.push(`<line x1="${x0}" x2="${x0 + w}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="${mult === 1 ? '#ccc' : '#eee'}"/>`);
        parts.push(`<text x="${x0 - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#444">${value >= 1000 ? `${value / 1000}k` : value}</text>`);
      }
    }
    for (let r = xMin; r <= xMax + 1e-9; r += 0.05) {
      const x = sx(r);
      parts.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${y0}" y2="${y0 + h}" stroke="#eee"/>`);
      parts.push(`<text x="${x.toFixed(1)}" y="${y0 + h + 16}" text-anchor="middle" fill="#444">${r.toFixed(2)}</text>`);
    }
    parts.push(`<text x="${x0 + w / 2}" y="${y0 + h + 36}" text-anchor="middle">recall@10</text>`);
    parts.push(`<text transform="translate(${x0 - 48} ${y0 + h / 2}) rotate(-90)" text-anchor="middle">queries per second (log)</text>`);
    panel.series.forEach((s, si) => {
      const path = s.points.map((pt, i) => `${i === 0 ? 'M' : 'L'}${sx(pt.recall).toFixed(1)},${sy(pt.qps).toFixed(1)}`).join(' ');
      parts.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
      for (const pt of s.points) {
        parts.push(`<circle cx="${sx(pt.recall).toFixed(1)}" cy="${sy(pt.qps).toFixed(1)}" r="3" fill="${s.color}"><title>${escapeXml(`${s.name} ef ${pt.ef}: recall ${pt.recall.toFixed(4)}, ${Math.round(pt.qps)} QPS`)}</title></circle>`);
        if (si === 0) parts.push(`<text x="${(sx(pt.recall) + 4).toFixed(1)}" y="${(sy(pt.qps) - 5).toFixed(1)}" fill="#555" font-size="9">ef ${pt.ef}</text>`);
      }
      // Legend bottom left: the curves run from top left (fast, low recall) to bottom right.
      const ly = y0 + h - 12 - (panel.series.length - si) * 16;
      parts.push(`<line x1="${x0 + 10}" x2="${x0 + 30}" y1="${ly + 4}" y2="${ly + 4}" stroke="${s.color}" stroke-width="2"/>`);
      parts.push(`<text x="${x0 + 36}" y="${ly + 8}">${escapeXml(s.name)}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
