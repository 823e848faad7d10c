/**
 * Graph memory layout (`npm run bench:layout`): how fast an HNSW graph
 * searches depending on how its memory was laid out, and what
 * `collection.optimize()` (HnswIndex.relayout: write the graph to a file,
 * read it back into fresh memory) gives back.
 *
 * Three Quiver HnswIndex graphs over the same vectors, same parameters and
 * seed (so the same graph, node for node):
 * - `alone`: built in a tight loop, as a benchmark builds raw hnswlib;
 * - `interleaved`: built while the process allocates and touches other
 *   memory between inserts, as a collection's build does (store pages,
 *   WebAssembly arena, JS heap);
 * - `interleaved, relaid out`: the same, then `relayout()`.
 * Searches are timed by CPU time, samples interleaved over the three, at
 * several ef; recall is checked equal. Results: printed table and
 * bench/results/layout.json. QUIVER_BENCH_QUICK=1 uses 20,000 vectors.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HnswIndex } from '../src/core/graph/hnsw-index.js';
import { normalize } from '../src/core/vector/metric.js';
import { embeddingModel } from './lib/datasets.js';
import { createProgress, fmt, machineInfo, printTable, quickMode, SMOKE, writeResults } from './lib/harness.js';
import { median } from './lib/stats.js';

const COUNT = SMOKE ? 2_000 : quickMode() ? 20_000 : 100_000;
const DIM = 128;
const QUERIES = 200;
const EFS = [10, 64, 256];
const SAMPLES = SMOKE ? 3 : 9;
const SAMPLE_MS = SMOKE ? 5 : 60;
const PARAMS = { m: 16, efConstruction: 200, ef: 64 };
/** Between inserts of the interleaved builds: a 16 KiB buffer, every page touched, kept alive. */
const OTHER_BYTES = 16 * 1024;

const { log } = createProgress();

function unitRows(data: Float32Array, count: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => normalize(data.subarray(i * DIM, (i + 1) * DIM), new Float32Array(DIM)));
}

const model = embeddingModel({ dim: DIM, seed: 7 });
const base = unitRows(model.sample(COUNT, 1), COUNT);
const queries = unitRows(model.sample(QUERIES, 2), QUERIES);
const kept: Uint8Array[] = [];

function build(what: string, interleaved: boolean): { graph: HnswIndex; seconds: number } {
  const graph = new HnswIndex(DIM, 'cosine', PARAMS, 1024);
  const started = performance.now();
  for (let i = 0; i < COUNT; i++) {
    graph.add(i, base[i]!);
    if (interleaved && i % 2 === 0) {
      const other = new Uint8Array(OTHER_BYTES);
      for (let p = 0; p < other.length; p += 4096) other[p] = 1;
      kept.push(other);
    }
    if ((i + 1) % (COUNT / 10) === 0) log(`${what}: ${(((i + 1) / COUNT) * 100).toFixed(0)}%`);
  }
  return { graph, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  log(`${COUNT.toLocaleString()} vectors of dim ${DIM}, M ${PARAMS.m}, efConstruction ${PARAMS.efConstruction}`);
  const alone = build('alone', false);
  const interleaved = build('interleaved', true);
  const relaid = build('interleaved, to relay out', true);
  const started = performance.now();
  const { bytes } = await relaid.graph.relayout(join(tmpdir(), `quiver-layout-bench-${process.pid}.hnsw`));
  const relayoutSeconds = (performance.now() - started) / 1000;
  log(`relayout: ${fmt(bytes / 2 ** 20)} MiB written and read back in ${relayoutSeconds.toFixed(2)} s`);

  const graphs = { alone: alone.graph, interleaved: interleaved.graph, 'interleaved, relaid out': relaid.graph };
  const names = Object.keys(graphs) as (keyof typeof graphs)[];
  const rows = [];
  let sink = 0;
  for (const ef of EFS) {
    log(`ef ${ef}: timing, samples interleaved`);
    const ns = new Map(names.map((name) => [name, [] as number[]]));
    for (let s = 0; s < SAMPLES; s++) {
      for (let n = 0; n < names.length; n++) {
        const name = names[(n + s) % names.length]!;
        const graph = graphs[name];
        const cpu = process.cpuUsage();
        const wall = performance.now();
        let calls = 0;
        while (performance.now() - wall < SAMPLE_MS) {
          for (const query of queries) sink += graph.search(query, 10, ef).labels[0]!;
          calls += QUERIES;
        }
        const used = process.cpuUsage(cpu);
        ns.get(name)!.push(((used.user + used.system) * 1e3) / calls);
      }
    }
    const same = queries.every((query) => {
      const want = graphs.alone.search(query, 10, ef).labels.join();
      return names.every((name) => graphs[name].search(query, 10, ef).labels.join() === want);
    });
    const aloneNs = median(ns.get('alone')!);
    for (const name of names) {
      const perQuery = median(ns.get(name)!);
      rows.push({ ef, layout: name, usPerQuery: perQuery / 1e3, qps: 1e9 / perQuery, vsAlone: aloneNs / perQuery, sameHits: same });
    }
  }
  if (sink === 0.5) log('');
  printTable(
    `Search by memory layout, ${COUNT.toLocaleString()} x ${DIM} (CPU time, median of ${SAMPLES} interleaved samples)`,
    ['ef', 'layout', 'µs / query', 'QPS', 'x alone', 'same hits as alone'],
    rows.map((r) => [String(r.ef), r.layout, r.usPerQuery, r.qps, r.vsAlone, r.sameHits]),
  );
  printTable('Builds', ['layout', 'build s'], [
    ['alone', alone.seconds], ['interleaved', interleaved.seconds], ['interleaved, relaid out', relaid.seconds + relayoutSeconds],
  ]);
  const file = writeResults('layout.json', {
    machine: machineInfo(['hnswlib-node']),
    config: { count: COUNT, dim: DIM, queries: QUERIES, efs: EFS, samples: SAMPLES, sampleMs: SAMPLE_MS, params: PARAMS, otherBytes: OTHER_BYTES },
    builds: { aloneSeconds: alone.seconds, interleavedSeconds: interleaved.seconds, relayoutSeconds, relayoutBytes: bytes },
    rows,
  });
  log(`results: ${file}`);
}

await main();
