/**
 * Top-k results of the exact kernels, and the few steps every chunked scan
 * shares: a scan builds one top-k buffer over all its chunks, and when the
 * chunks lie in several heaps (WebAssembly memories) the buffer is carried
 * from one heap's scratch to the next.
 */
import type { RankedLabels } from '../ranked.js';
import type { Chunks } from './chunks.js';
import type { WasmHeap } from './wasm-heap.js';


/** A top-k buffer between two heaps: its entries and, for the int8 scan, its bar. */
export interface Carry {
  labels: Int32Array;
  scores: Float32Array;
  bar: number;
}

/** Copies the first `size` entries of a buffer out of `heap`. */
export function carryOut(heap: WasmHeap, labelsPtr: number, scoresPtr: number, size: number, bar = -Infinity): Carry {
  return {
    labels: heap.i32.slice(labelsPtr >>> 2, (labelsPtr >>> 2) + size),
    scores: heap.f32.slice(scoresPtr >>> 2, (scoresPtr >>> 2) + size),
    bar,
  };
}

/** Writes a carried buffer into `heap`; returns its size. */
export function carryIn(heap: WasmHeap, carry: Carry | undefined, labelsPtr: number, scoresPtr: number): number {
  if (!carry) return 0;
  heap.i32.set(carry.labels, labelsPtr >>> 2);
  heap.f32.set(carry.scores, scoresPtr >>> 2);
  return carry.labels.length;
}

/** Reads `count` best-first results into fresh arrays. */
export function readTopK(heap: WasmHeap, labelsPtr: number, scoresPtr: number, count: number): RankedLabels {
  return {
    labels: heap.i32.slice(labelsPtr >>> 2, (labelsPtr >>> 2) + count),
    scores: heap.f32.slice(scoresPtr >>> 2, (scoresPtr >>> 2) + count),
  };
}

/**
 * The bitset a scan of chunk `c` passes its kernel: 0 when every row it
 * covers may be offered, the chunk's live bitset, or (with `candidates`, a
 * bitset over labels) the candidates' words for the chunk copied to `ptr`.
 * -1 when nothing in the chunk can be offered: skip it.
 */
export function chunkBitset(heap: WasmHeap, chunks: Chunks, c: number, candidates: Uint32Array | undefined, ptr: number): number {
  const rows = chunks.rowsIn(c);
  if (rows === 0) return -1;
  if (!candidates) return chunks.liveBitsetPointer(c);
  return copyChunkBits(heap, ptr, candidates, c, chunks.rowsPerChunk, rows) ? ptr : -1;
}

/**
 * Copies the words of a caller's candidate bitset (over labels) that cover
 * the `rows` rows of chunk `c` to `ptr`; returns false when none of them is
 * set, so the chunk can be skipped.
 */
function copyChunkBits(heap: WasmHeap, ptr: number, candidates: Uint32Array, c: number, rowsPerChunk: number, rows: number): boolean {
  const first = (c * rowsPerChunk) >>> 5;
  const words = Math.ceil(rows / 32);
  const end = Math.min(candidates.length, first + words);
  let any = 0;
  for (let w = first; w < end; w++) any |= candidates[w]!;
  if (any === 0) return false;
  const u32 = heap.u32;
  const start = ptr >>> 2;
  u32.set(candidates.subarray(first, end), start);
  if (end - first < words) u32.fill(0, start + Math.max(0, end - first), start + words);
  return true;
}

export function align16(bytes: number): number {
  return (bytes + 15) & ~15;
}
