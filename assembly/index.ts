// The ABI of kernels.wasm: exported kernels and layout constants only.
// Every pointer is a byte offset into the linear memory the module imports
// (`env.memory`); callers own the buffers they pass. The module allocates
// nothing: one instance per memory, and src/core/vector/wasm-heap.ts lays
// out the blocks above `heapBase()`:
// | region            | element | size                                  |
// |-------------------|---------|---------------------------------------|
// | chunk of rows     | u32     | live bitset of the chunk's rows, then |
// |                   | f32     | rows (capacity * dim), or             |
// |                   | i8, f32 | int8 codes (capacity * paddedDim) and |
// |                   |         | squared norms                         |
// | scratch (query,   | f32/i32 | grows with the largest k and          |
// |  bitset, output)  |         | candidate list seen                   |
import { dotSimd, l2sqSimd, cosineSimd, dotI8Simd } from './distance';

export { dotScalar, l2sqScalar, cosineScalar, dotI8Scalar } from './scalar';
export {
  METRIC_DOT, METRIC_L2,
  scoreBatch, scoreBatchScalar, scoreBatchI8,
  topkScan, sortHeap, topkLabels, topkScanI8, lastBar, finishI8, selectTopK,
} from './scan';
export { normalize, quantizeRows, quantizeQuery } from './quantize';

export function dot(a: usize, b: usize, dim: i32): f32 {
  return dotSimd(a, b, dim);
}

export function l2sq(a: usize, b: usize, dim: i32): f32 {
  return l2sqSimd(a, b, dim);
}

export function cosine(a: usize, b: usize, dim: i32): f32 {
  return cosineSimd(a, b, dim);
}

export function dotI8(row: usize, query16: usize, paddedDim: i32): i32 {
  return dotI8Simd(row, query16, paddedDim);
}

/**
 * Where the module's static data ends: memory from here on is the caller's.
 * The module never allocates; src/core/vector/wasm-heap.ts lays out every
 * block above this offset.
 */
export function heapBase(): usize {
  return __heap_base;
}
