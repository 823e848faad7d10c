/**
 * Chunk size of the exact index's rows: `npm run bench:chunks [-- --quick]`.
 *
 * A collection's rows lie in chunks of about `chunkBytes` (src/core/vector/
 * chunks.ts). Smaller chunks leave less memory unused and make each growth
 * copy less; larger ones mean fewer kernel calls per scan. For each shape and
 * chunk size this fills F32Vectors (no store, no graph) with the same rows and
 * reports, interleaved sample by sample: exact top-10 scan time, the longest
 * single write (a write that grows or moves a chunk), and WebAssembly memory
 * over the bytes of the rows.
 */
import { F32Vectors } from '../src/core/vector/f32-vectors.js';
import { VectorMemory } from '../src/core/vector/vector-memory.js';
import { KERNEL_DOT } from '../src/core/vector/wasm-heap.js';
import { embeddingModel, rowsOf } from './lib/datasets.js';
import { fmt, formatTable, machineInfo, measureInterleaved, quickMode, SMOKE, writeResults, type Target } from './lib/harness.js';

const QUICK = quickMode();
const SHAPES = SMOKE ? [{ dim: 16, count: 5000 }] : QUICK ? [{ dim: 128, count: 50_000 }, { dim: 1536, count: 10_000 }] : [{ dim: 128, count: 200_000 }, { dim: 1536, count: 50_000 }];
const CHUNK_BYTES = [256 * 1024, 1024 * 1024, 8 * 1024 * 1024, 64 * 1024 * 1024];

interface Row {
  dim: number;
  count: number;
  chunkMiB: number;
  rowsPerChunk: number;
  chunks: number;
  scanMedianUs: number;
  longestWriteMs: number;
  wasmVsRows: number;
}

function log(message: string): void {
  process.stderr.write(`[chunks] ${message}\n`);
}

async function main(): Promise<void> {
  const machine = machineInfo(['assemblyscript']);
  const rows: Row[] = [];
  for (const { dim, count } of SHAPES) {
    log(`${dim} x ${count.toLocaleString()}: generating`);
    const model = embeddingModel({ dim, seed: 3, noiseKind: 'uniform' });
    const data = model.sample(count, 4);
    const queries = rowsOf(model.sample(32, 5), dim).map((q) => {
      const norm = Math.hypot(...q);
      return q.map((x) => x / norm);
    });
    const stores = CHUNK_BYTES.map((chunkBytes) => {
      const memory = new VectorMemory({ chunkBytes });
      const vectors = new F32Vectors(memory, dim);
      let longest = 0;
      for (let label = 0; label < count; label++) {
        const started = performance.now();
        vectors.write(label, data.subarray(label * dim, (label + 1) * dim));
        longest = Math.max(longest, performance.now() - started);
      }
      return { chunkBytes, memory, vectors, longest };
    });
    log(`${dim} x ${count.toLocaleString()}: timing exact top-10 scans (samples interleaved)`);
    const timings = await measureInterleaved(
      Object.fromEntries(stores.map((s) => [String(s.chunkBytes), (i: number) => s.vectors.topK(KERNEL_DOT, queries[i % queries.length]!, 10)])),
      { samples: QUICK ? 5 : 9 },
    );
    for (const s of stores) {
      rows.push({
        dim, count, chunkMiB: s.chunkBytes / 2 ** 20, rowsPerChunk: s.vectors.chunks.rowsPerChunk, chunks: s.vectors.chunks.chunkCount,
        scanMedianUs: timings[String(s.chunkBytes)]!.medianNs / 1000, longestWriteMs: s.longest, wasmVsRows: s.memory.bytes / (count * dim * 4),
      });
      s.vectors.dispose();
    }
  }
  process.stdout.write(`\n${formatTable('Exact top-10 over chunked rows, by chunk size', ['shape', 'chunk MiB', 'rows/chunk', 'chunks', 'scan µs', 'longest write ms', 'WASM / rows'],
    rows.map((r) => [`${r.dim} x ${r.count.toLocaleString()}`, fmt(r.chunkMiB, 2), String(r.rowsPerChunk), String(r.chunks), fmt(r.scanMedianUs), fmt(r.longestWriteMs, 2), fmt(r.wasmVsRows, 3)]))}\n`);
  const targets: Target[] = [];
  const path = writeResults('chunks.json', { machine, shapes: SHAPES, rows, targets });
  log(`JSON: ${path}`);
}

await main();
