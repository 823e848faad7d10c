// SIMD pair kernels. Each runs four independent f32x4 accumulators over
// 16 floats per iteration (hiding the add latency), then one f32x4 step
// per remaining group of 4, then a scalar tail. Summation order differs
// from the scalar twins, so results agree within a relative tolerance.

// @ts-ignore: decorator
@inline function horizontalSum(v: v128): f32 {
  return (
    f32x4.extract_lane(v, 0) +
    f32x4.extract_lane(v, 1) +
    f32x4.extract_lane(v, 2) +
    f32x4.extract_lane(v, 3)
  );
}

// @ts-ignore: decorator
@inline export function dotSimd(a: usize, b: usize, dim: i32): f32 {
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let s2 = f32x4.splat(0);
  let s3 = f32x4.splat(0);
  const end16 = <usize>(dim & ~15) << 2;
  let offset: usize = 0;
  for (; offset < end16; offset += 64) {
    const pa = a + offset;
    const pb = b + offset;
    s0 = f32x4.add(s0, f32x4.mul(v128.load(pa), v128.load(pb)));
    s1 = f32x4.add(s1, f32x4.mul(v128.load(pa, 16), v128.load(pb, 16)));
    s2 = f32x4.add(s2, f32x4.mul(v128.load(pa, 32), v128.load(pb, 32)));
    s3 = f32x4.add(s3, f32x4.mul(v128.load(pa, 48), v128.load(pb, 48)));
  }
  const end4 = <usize>(dim & ~3) << 2;
  for (; offset < end4; offset += 16) {
    s0 = f32x4.add(s0, f32x4.mul(v128.load(a + offset), v128.load(b + offset)));
  }
  let sum = horizontalSum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
  const end = <usize>dim << 2;
  for (; offset < end; offset += 4) {
    sum += load<f32>(a + offset) * load<f32>(b + offset);
  }
  return sum;
}

// @ts-ignore: decorator
@inline export function l2sqSimd(a: usize, b: usize, dim: i32): f32 {
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let s2 = f32x4.splat(0);
  let s3 = f32x4.splat(0);
  const end16 = <usize>(dim & ~15) << 2;
  let offset: usize = 0;
  for (; offset < end16; offset += 64) {
    const pa = a + offset;
    const pb = b + offset;
    const d0 = f32x4.sub(v128.load(pa), v128.load(pb));
    const d1 = f32x4.sub(v128.load(pa, 16), v128.load(pb, 16));
    const d2 = f32x4.sub(v128.load(pa, 32), v128.load(pb, 32));
    const d3 = f32x4.sub(v128.load(pa, 48), v128.load(pb, 48));
    s0 = f32x4.add(s0, f32x4.mul(d0, d0));
    s1 = f32x4.add(s1, f32x4.mul(d1, d1));
    s2 = f32x4.add(s2, f32x4.mul(d2, d2));
    s3 = f32x4.add(s3, f32x4.mul(d3, d3));
  }
  const end4 = <usize>(dim & ~3) << 2;
  for (; offset < end4; offset += 16) {
    const d = f32x4.sub(v128.load(a + offset), v128.load(b + offset));
    s0 = f32x4.add(s0, f32x4.mul(d, d));
  }
  let sum = horizontalSum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
  const end = <usize>dim << 2;
  for (; offset < end; offset += 4) {
    const d = load<f32>(a + offset) - load<f32>(b + offset);
    sum += d * d;
  }
  return sum;
}

/** Cosine similarity of two raw (not normalised) vectors; 0 when either is zero. */
export function cosineSimd(a: usize, b: usize, dim: i32): f32 {
  const denominator = Mathf.sqrt(dotSimd(a, a, dim) * dotSimd(b, b, dim));
  return denominator > 0 ? dotSimd(a, b, dim) / denominator : 0;
}

/**
 * Integer dot product of an int8 row against a query pre-widened to int16.
 * `paddedDim` is a multiple of 16; padding bytes are zero on both sides.
 * Unrolled to 32 bytes a step. Each 16-byte chunk: sign-extend both halves
 * to i16x8, then
 * `i32x4.dot_i16x8_s` multiplies lane pairs and adds neighbours into i32.
 */
// @ts-ignore: decorator
@inline export function dotI8Simd(row: usize, query16: usize, paddedDim: i32): i32 {
  let acc0 = i32x4.splat(0);
  let acc1 = i32x4.splat(0);
  let acc2 = i32x4.splat(0);
  let acc3 = i32x4.splat(0);
  const end = <usize>paddedDim;
  const end32 = end & ~31;
  let offset: usize = 0;
  for (; offset < end32; offset += 32) {
    const b0 = v128.load(row + offset);
    const b1 = v128.load(row + offset, 16);
    const q = query16 + (offset << 1);
    acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(b0), v128.load(q)));
    acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(b0), v128.load(q, 16)));
    acc2 = i32x4.add(acc2, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(b1), v128.load(q, 32)));
    acc3 = i32x4.add(acc3, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(b1), v128.load(q, 48)));
  }
  if (offset < end) {
    const bytes = v128.load(row + offset);
    const q = query16 + (offset << 1);
    acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(bytes), v128.load(q)));
    acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(bytes), v128.load(q, 16)));
  }
  const acc = i32x4.add(i32x4.add(acc0, acc1), i32x4.add(acc2, acc3));
  return (
    i32x4.extract_lane(acc, 0) +
    i32x4.extract_lane(acc, 1) +
    i32x4.extract_lane(acc, 2) +
    i32x4.extract_lane(acc, 3)
  );
}
