// The ABI of kernels.wasm: exported kernels and layout constants only.
// Every pointer is a byte offset into this module's linear memory; callers
// own the buffers they pass (allocated with `alloc`).
//
// Memory layout used by src/core/kernels.ts:
// | region            | element | size                         |
// |-------------------|---------|------------------------------|
// | vector arena      | f32     | capacity * dim               |
// | live bitset       | u32     | ceil(capacity / 32)          |
// | int8 rows         | i8      | capacity * paddedDim (x16)   |
// | scratch (query,   | f32/i32 | grows with the largest k and |
// |  bitset, output)  |         | candidate list seen          |
import { dotSimd, l2sqSimd, cosineSimd, dotI8Simd } from './distance';

export { dotScalar, l2sqScalar, cosineScalar, dotI8Scalar } from './scalar';
export {
  METRIC_DOT, METRIC_L2,
  scoreBatch, scoreBatchScalar, scoreBatchI8,
  topkScan, topkLabels, topkScanI8, selectTopK,
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

/** Allocates `size` bytes, 16-byte aligned. */
export function alloc(size: usize): usize {
  return heap.alloc(size);
}

/** Resizes a block from `alloc`, moving it when needed; contents are kept. */
export function realloc(ptr: usize, size: usize): usize {
  return heap.realloc(ptr, size);
}

export function free(ptr: usize): void {
  heap.free(ptr);
}
