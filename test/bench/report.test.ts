/**
 * The benchmark suite and its report (bench/suite.ts, bench/lib/report-md.ts).
 *
 * 1. The suite end to end: `bench/suite.ts --quick --only kernels,ann` with
 *    QUIVER_BENCH_SMOKE=1 (tiny sizes, about 10 s) must write REPORT.md with
 *    a recall/QPS plot of at least three peer engines, and every number in
 *    its recall/QPS table and every point of that plot must be a value of
 *    ann.json. Those peers live in bench/peers (`npm run bench:peers`); where
 *    it is not installed (a clean clone, CI), the ones missing must instead
 *    be recorded as skipped with the install hint.
 * 2. The report generator alone on a small fixture: tables, failures,
 *    benchmarks that did not run, and the source line of each section.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTALL_HINT, peerInstalled } from '../../bench/peers/load.js';
import { num, writeReport } from '../../bench/lib/report-md.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Engines of Quiver itself; every other engine in the plot is a peer. */
const OWN = new Set(['Quiver', 'Quiver (exact)']);

interface Point {
  ef: number | null;
  recall: number;
  qps: number;
  wallQps: number;
}
interface Curve {
  dataset: string;
  engine: string;
  kind: string;
  points: Point[];
}

/** The rows of the markdown table that follows `marker` (header and rule skipped). */
function tableAfter(markdown: string, marker: string): string[][] {
  const lines = markdown.slice(markdown.indexOf(marker)).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split('|').map((c) => c.trim()));
  }
  return rows;
}

/** A displayed number equals `value` rounded to the decimals it shows. */
function shows(cell: string, value: number): boolean {
  const decimals = cell.includes('.') ? cell.split('.')[1]!.length : 0;
  return Math.abs(Number(cell.replace(/,/g, '')) - value) <= 0.5 * 10 ** -decimals + 1e-12;
}

/** `aria-label`s of the SVG's points, as field -> value. */
/** Vega's aria labels of an SVG's points, as field -> value, for those whose label contains `marker`. */
function ariaPoints(svg: string, marker: string): Record<string, string>[] {
  return [...svg.matchAll(/aria-label="([^"]*)"/g)]
    .map((m) => m[1]!)
    .filter((label) => label.includes(marker))
    .map((label) => Object.fromEntries(label.split('; ').map((part) => {
      const at = part.indexOf(': ');
      return [part.slice(0, at), part.slice(at + 2)];
    })));
}

function pointLabels(svg: string): Record<string, string>[] {
  return ariaPoints(svg, 'engine: ').filter((label) => 'recall@10' in label);
}

describe('quiver bench --quick (smoke sizes): REPORT.md from kernels and ann', () => {
  let out: string;
  let report: string;
  let curves: Curve[];

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'quiver-bench-suite-'));
    // Through the `quiver bench` command (dist/cli.js, built by pretest), as a user runs it.
    await promisify(execFile)(process.execPath, ['dist/cli.js', 'bench', '--quick', '--only', 'kernels,ann', '--out', out, '--strict'], {
      cwd: REPO_ROOT,
      env: { ...process.env, QUIVER_BENCH_SMOKE: '1' },
      timeout: 100_000,
      maxBuffer: 16 * 2 ** 20,
    });
    report = readFileSync(join(out, 'REPORT.md'), 'utf8');
    curves = (JSON.parse(readFileSync(join(out, 'results', 'ann', 'ann.json'), 'utf8')) as { curves: Curve[] }).curves;
  }, 110_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('records both benchmarks as ok and names the JSON each section reads', () => {
    const suite = JSON.parse(readFileSync(join(out, 'suite.json'), 'utf8')) as { mode: string; benchmarks: { name: string; status: string }[] };
    expect(suite.mode).toBe('smoke');
    expect(suite.benchmarks.filter((b) => b.status === 'ok').map((b) => b.name)).toEqual(['kernels', 'ann']);
    expect(report).toContain('[`results/ann/ann.json`](results/ann/ann.json) → `curves`');
    expect(report).toContain('[`results/kernels/kernels.json`](results/kernels/kernels.json) → `kernels`');
  });

  it('embeds a recall/QPS SVG with at least three peer engines (those of bench/peers when it is installed)', () => {
    const image = /!\[recall@10 vs QPS on ([^\]]+)\]\(([^)]+\.svg)\)/.exec(report);
    expect(image).not.toBeNull();
    const svg = readFileSync(join(out, image![2]!), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    const peers = new Set(pointLabels(svg).map((p) => p.engine!).filter((e) => !OWN.has(e)));
    // hnswlib-node is a dependency of Quiver; usearch and hnswlib-wasm come from bench/peers.
    const fromPeers = ['usearch', 'hnswlib-wasm'];
    const installed = fromPeers.filter((name) => peerInstalled(name));
    for (const peer of ['hnswlib', ...installed]) expect(peers).toContain(peer);
    if (installed.length === fromPeers.length) expect(peers.size).toBeGreaterThanOrEqual(3);
  });

  it('records the peers bench/peers lacks as skipped, with the install hint, in ann.json and REPORT.md', () => {
    const engines = (JSON.parse(readFileSync(join(out, 'results', 'ann', 'ann.json'), 'utf8')) as {
      engines: { dataset: string; engine: string; package: string | null; status: string; reason: string | null }[];
    }).engines;
    for (const name of ['usearch', 'hnswlib-wasm', '@orama/orama', 'vectra']) {
      const rows = engines.filter((e) => e.package === name);
      expect(rows.length, `${name} in ann.json engines`).toBeGreaterThan(0);
      for (const row of rows) {
        if (!peerInstalled(name)) {
          expect(row.status, name).toBe('skipped');
          expect(row.reason, name).toContain(INSTALL_HINT);
          expect(report).toContain(`| ann | ${row.dataset} | ${row.engine} | skipped | ${row.reason} |`);
        } else {
          expect(row.status, `${name}: ${row.reason}`).toBe('ok');
        }
      }
    }
  });

  it('every number in the recall/QPS table is a value in ann.json', () => {
    const dataset = /recall\/QPS table: ([^ ]+) \(/.exec(report)![1]!;
    const rows = tableAfter(report, `recall/QPS table: ${dataset}`);
    const expected = curves.filter((c) => c.dataset === dataset).reduce((n, c) => n + c.points.length, 0);
    expect(rows.length).toBe(expected);
    for (const [engine, kind, ef, recall, qps, wallQps] of rows) {
      const curve = curves.find((c) => c.dataset === dataset && c.engine === engine && c.kind === kind);
      expect(curve, `${engine} in ann.json`).toBeDefined();
      const point = curve!.points.find((p) => (ef === 'exact' ? p.ef === null : p.ef === Number(ef)));
      expect(point, `${engine} ef ${ef} in ann.json`).toBeDefined();
      expect(shows(recall!, point!.recall), `${engine} ef ${ef} recall ${recall} vs ${point!.recall}`).toBe(true);
      expect(shows(qps!, point!.qps), `${engine} ef ${ef} QPS ${qps} vs ${point!.qps}`).toBe(true);
      expect(shows(wallQps!, point!.wallQps), `${engine} ef ${ef} wall QPS ${wallQps} vs ${point!.wallQps}`).toBe(true);
    }
  });

  it('every point of the recall/QPS plot is a point in ann.json', () => {
    const file = /!\[recall@10 vs QPS on ([^\]]+)\]\(([^)]+\.svg)\)/.exec(report)!;
    const labels = pointLabels(readFileSync(join(out, file[2]!), 'utf8'));
    expect(labels.length).toBeGreaterThan(0);
    const points = curves.filter((c) => c.dataset === file[1]).flatMap((c) => c.points.map((p) => ({ ...p, engine: c.engine })));
    for (const label of labels) {
      const recall = Number(label['recall@10']);
      const qps = Number(label['queries per second (log scale)']);
      const match = points.find((p) => p.engine === label.engine
        && Math.abs(p.recall - recall) <= 1e-9 && Math.abs(p.qps - qps) <= 1e-9 * p.qps
        && (label.ef === undefined ? p.ef === null : p.ef === Number(label.ef)));
      expect(match, JSON.stringify(label)).toBeDefined();
    }
  });
});

describe('writeReport on a fixture', () => {
  const machine = {
    date: '2026-01-02T03:04:05.000Z', cpuModel: 'Test CPU', cores: 2, totalMemoryGiB: 4, platform: 'linux', arch: 'x64', osRelease: '6.0',
    node: 'v20.0.0', v8: '11', loadAverage: [0.5, 0.4, 0.3], packages: { 'hnswlib-node': '3.0.0', vectra: '0.12.3' }, git: { commit: 'abcdef0123456789', dirty: false },
  };
  const entry = (name: string, status: string, extra: Record<string, unknown> = {}) => ({
    name, file: `bench/${name}.bench.ts`, status, reason: null, command: null, exitCode: null, signal: null, seconds: null, results: [], log: null, ...extra,
  });
  const ann = {
    config: { k: 10, hnsw: { m: 16, efConstruction: 200 }, efs: [10, 64], exactQueries: 50, latencyEf: 64, quick: true },
    datasets: [{ name: 'tiny', metric: 'cosine', count: 1000, dim: 8, queries: 50, truth: 'brute force' }],
    skippedDatasets: [{ name: 'siftsmall', reason: 'Evaluation data missing: /x/siftsmall_base.fvecs' }],
    engines: [
      { dataset: 'tiny', engine: 'Quiver', package: null, version: null, status: 'ok', reason: null, kind: 'hnsw', index: 'HNSW', notes: [] },
      { dataset: 'tiny', engine: 'hnswlib', package: 'hnswlib-node', version: '3.0.0', status: 'ok', reason: null, kind: 'hnsw', index: 'HNSW', notes: [] },
      { dataset: 'tiny', engine: 'orama', package: '@orama/orama', version: '3.1.18', status: 'ok', reason: null, kind: 'exact', index: 'brute force', notes: ['cosine only'] },
      { dataset: 'tiny', engine: 'vectra', package: 'vectra', version: '0.12.3', status: 'failed', reason: 'Error: disk full', kind: 'exact', index: 'brute force', notes: [] },
    ],
    curves: [
      { dataset: 'tiny', engine: 'Quiver', kind: 'hnsw', points: [{ ef: 10, recall: 0.91234, qps: 12345.678, wallQps: 12001.2 }, { ef: 64, recall: 0.99876, qps: 4567.891, wallQps: 4500.1 }] },
      { dataset: 'tiny', engine: 'hnswlib', kind: 'hnsw', points: [{ ef: 10, recall: 0.9, qps: 20000.4, wallQps: 19999.6 }, { ef: 64, recall: 1, qps: 8000, wallQps: 7999 }] },
      { dataset: 'tiny', engine: 'orama', kind: 'exact', points: [{ ef: null, recall: 1, qps: 123.456, wallQps: 120.4 }] },
    ],
    latency: [{ dataset: 'tiny', engine: 'Quiver', ef: 64, queries: 50, samples: 150, p50Us: 80.5, p95Us: 120.25, p99Us: 300.75, meanUs: 90.1 }],
    builds: [{ dataset: 'tiny', engine: 'Quiver', count: 1000, seconds: 0.5, docsPerSecond: 2000, rssDeltaMiB: 3.5, engineSizeMiB: 0.5, engineSizeWhat: 'arena' }],
    filtered: [],
    targets: [{ name: 'Quiver / hnswlib QPS', value: '0.62x', target: '>= 0.9x', met: false }],
    notes: ['a note'],
  };
  const memoryRow = (engine: string, rssGiB: number, quiver: boolean) => ({
    dim: 1536, count: 1000, engine, buildSeconds: 1.5, ingestDocsPerSecond: 666.66, rssGiB, rssVsRaw: quiver ? rssGiB / 0.5 : null, netRssVsRaw: null,
    wasmGiB: quiver ? 0.006 : null, wasmVsHeld: quiver ? 1.0123 : null, peakRssGiB: rssGiB, hnswRecallAt10: 0.9876, hnswMedianMs: 0.5,
    exactMedianMs: quiver ? 2.5 : null, closeSeconds: quiver ? 0.1 : null, reopenFirstAnswerSeconds: quiver ? 0.2 : null, reopenSameAnswers: quiver ? true : null,
  });
  const memory = {
    config: { hnsw: { m: 8, efConstruction: 32 }, ef: 64, targets: { rssF32: 2.1, rssInt8: 1.4, wasm: 1.15 } },
    rows: [memoryRow('raw hnswlib', 0.5, false), memoryRow('Quiver f32', 1.25, true)],
    results: [
      { engine: 'raw hnswlib', dim: 1536, count: 1000, checkpoints: [{ documents: 500, rss: 0.25 * 2 ** 30 }, { documents: 1000, rss: 0.5 * 2 ** 30 }] },
      { engine: 'Quiver f32', dim: 1536, count: 1000, checkpoints: [{ documents: 500, rss: 0.5 * 2 ** 30 }, { documents: 1000, rss: 2 ** 30 }] },
    ],
    targets: [{ name: 'RSS / raw', value: 2, target: '<= 2.1x', met: true }],
  };
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quiver-bench-report-'));
    mkdirSync(join(dir, 'results', 'ann'), { recursive: true });
    writeFileSync(join(dir, 'results', 'ann', 'ann.json'), JSON.stringify(ann));
    mkdirSync(join(dir, 'results', 'memory'), { recursive: true });
    writeFileSync(join(dir, 'results', 'memory', 'memory.json'), JSON.stringify(memory));
    writeFileSync(join(dir, 'suite.json'), JSON.stringify({
      suite: 'quiver-bench', version: 1, mode: 'quick', args: ['--quick'], started: '2026-01-02T03:04:05.000Z', finished: '2026-01-02T03:06:05.000Z',
      seconds: 120, wasmBuild: 'up to date', tsBuild: null, machine, quiverVersion: '0.1.0',
      benchmarks: [
        entry('kernels', 'not run', { reason: 'not chosen (--only)' }),
        entry('ann', 'ok', { seconds: 60, results: ['results/ann/ann.json'] }),
        entry('storage', 'failed', { seconds: 3, exitCode: 1, reason: 'exit code 1: Error: boom', log: 'logs/storage.log' }),
        entry('memory', 'ok', { seconds: 30, results: ['results/memory/memory.json'] }),
        entry('scale', 'not available yet', { reason: 'bench/scale.bench.ts does not exist in this checkout' }),
      ],
    }));
    await writeReport(dir);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('states the run, machine and versions', () => {
    const report = readFileSync(join(dir, 'REPORT.md'), 'utf8');
    expect(report).toContain('`--quick`');
    expect(report).toContain('Test CPU, 2 cores');
    expect(report).toContain('hnswlib-node 3.0.0');
    expect(report).toContain('120 s end to end');
  });

  it('shows the fixture values in the recall/QPS table, rounded for display', () => {
    const report = readFileSync(join(dir, 'REPORT.md'), 'utf8');
    expect(tableAfter(report, 'recall/QPS table: tiny')).toEqual([
      ['Quiver', 'hnsw', '10', '0.912', '12,346', '12,001'],
      ['Quiver', 'hnsw', '64', '0.999', '4,568', '4,500'],
      ['hnswlib', 'hnsw', '10', '0.900', '20,000', '20,000'],
      ['hnswlib', 'hnsw', '64', '1.000', '8,000', '7,999'],
      ['orama', 'exact', 'exact', '1.000', '123', '120'],
    ]);
    expect(report).toContain('[`results/ann/ann.json`](results/ann/ann.json) → `curves`');
  });

  it('lists failed and skipped engines and benchmarks with their reasons', () => {
    const report = readFileSync(join(dir, 'REPORT.md'), 'utf8');
    expect(report).toContain('| ann | tiny | vectra | failed | Error: disk full |');
    expect(report).toContain('| ann | siftsmall | (data set) | skipped | Evaluation data missing: /x/siftsmall_base.fvecs |');
    expect(report).toContain('`storage` **failed**: exit code 1: Error: boom (log: [`logs/storage.log`](logs/storage.log))');
    expect(report).toContain('| `scale` | not available yet | - | - | bench/scale.bench.ts does not exist in this checkout |');
    expect(report).not.toContain('## Distance kernels');
    expect(report).toContain('1 of 2 targets met');
  });

  it('draws the fixture points in the recall/QPS SVG', () => {
    const svg = readFileSync(join(dir, 'ann-recall-qps-tiny.svg'), 'utf8');
    const labels = pointLabels(svg);
    expect(new Set(labels.map((l) => l.engine))).toEqual(new Set(['Quiver', 'hnswlib', 'orama']));
    expect(labels.some((l) => l.engine === 'orama' && Number(l['queries per second (log scale)']) === 123.456)).toBe(true);
    expect(existsSync(join(dir, 'ann-latency.svg'))).toBe(true);
  });

  it('draws memory against documents per dimension, and tables every engine of every shape', () => {
    const report = readFileSync(join(dir, 'REPORT.md'), 'utf8');
    expect(report).toContain('## Memory and scale (HNSW m 8, efConstruction 32; searches at ef 64)');
    expect(report).toContain('| 1536 x 1,000 | Quiver f32 | 1.50 | 667 | 1.25 | 2.50x | 1.01x | 0.988 | 0.500 | 2.50 | 0.200 | true |');
    const labels = ariaPoints(readFileSync(join(dir, 'memory-1536.svg'), 'utf8'), 'documents: ');
    expect(labels.some((l) => l.series === 'Quiver f32' && Number(l.documents) === 1000 && Number(l['RSS, GiB']) === 1)).toBe(true);
  });

  it('formats table numbers from the value alone', () => {
    expect(num(0.91234, 3)).toBe('0.912');
    expect(num(12345.678)).toBe('12,346');
    expect(num(45.67)).toBe('45.7');
    expect(num(4.567)).toBe('4.57');
    expect(num(null)).toBe('-');
  });
});
