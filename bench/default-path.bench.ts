/**
 * `npm run bench:default-path`: the default path (issue 17) on its own, at
 * the dimensions embedding models give: 20,000 vectors of 128 (the shape the
 * issue was reported on, which carries its targets), 384, 768 and 1536
 * dimensions. Each shape compares raw hnswlib-node with Quiver's defaults,
 * one segment and `workers: 0` (see bench/ann/default-path.ts), with recall@10
 * and build seconds beside QPS, and the load average before each shape.
 * `bench:ann` runs the same section as part of its report.
 *
 * Flags: --dims=128,384 (the shapes to run).
 */
import { loadavg } from 'node:os';
import { defaultPathSection, type DefaultPathResult } from './ann/default-path.js';
import { fmt, machineInfo, printTable, writeResults } from './lib/harness.js';

const dimsFlag = process.argv.find((arg) => arg.startsWith('--dims='));
const DIMS = dimsFlag ? dimsFlag.slice('--dims='.length).split(',').map(Number) : [128, 384, 768, 1536];
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const machine = machineInfo(['hnswlib-node']);
const shapes: (DefaultPathResult & { loadAverageBefore: string })[] = [];
for (const dim of DIMS) {
  const loadAverageBefore = load();
  const result = await defaultPathSection({
    count: 20_000, dim, targets: dim === 128, timing: { warmupMs: 150, minSampleMs: 60, samples: 11 }, log: (message) => console.error(message),
  });
  shapes.push({ ...result, loadAverageBefore });
  printTable(`Default path: ${result.shape} (load average before: ${loadAverageBefore})`, ['configuration', 'QPS', 'x raw hnswlib', 'recall@10', 'build s', 'plan'],
    result.rows.map((r) => [r.configuration, fmt(r.qps), fmt(r.vsRaw, 2), fmt(r.recall, 3), r.buildSeconds === null ? '-' : fmt(r.buildSeconds, 1), r.plan ?? '-']));
  for (const target of result.targets) console.log(`${target.met ? 'met    ' : 'NOT MET'}  ${target.name}: ${target.value} (target ${target.target})`);
}
console.log(`\nload average after: ${load()}`);
console.log(`JSON: ${writeResults('default-path.json', { machine, shapes })}`);
