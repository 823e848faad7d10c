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
 * Each 8 bytes of the row are loaded sign-extended to i16x8
 * (`v128.load8x8_s`, one pmovsxbw on x64), then `i32x4.dot_i16x8_s`
 * multiplies lane pairs and adds neighbours into i32.
 */
// @ts-ignore: decorator
@inline export function dotI8Simd(row: usize, query16: usize, paddedDim: i32): i32 {
  let acc0 = i32x4.splat(0);
  let acc1 = i32x4.splat(0);
  const end = <usize>paddedDim;
  for (let offset: usize = 0; offset < end; offset += 16) {
    const q = query16 + (offset << 1);
    acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(v128.load8x8_s(row + offset), v128.load(q)));
    acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(v128.load8x8_s(row + offset, 8), v128.load(q, 16)));
  }
  return horizontalSumI32(i32x4.add(acc0, acc1));
}

// @ts-ignore: decorator
@inline function horizontalSumI32(acc: v128): i32 {
  return i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
}

/**
 * `dotI8Simd` of four consecutive rows (`stride` bytes apart) at once, so
 * each query chunk is loaded once for four rows; returns the four integer
 * dot products as one i32x4, reduced with shuffles instead of lane extracts.
 */
// @ts-ignore: decorator
@inline export function dotI8Simd4(rows: usize, stride: usize, query16: usize, paddedDim: i32): v128 {
  let a = i32x4.splat(0);
  let b = i32x4.splat(0);
  let c = i32x4.splat(0);
  let d = i32x4.splat(0);
  const end = <usize>paddedDim;
  const r1 = rows + stride;
  const r2 = r1 + stride;
  const r3 = r2 + stride;
  for (let offset: usize = 0; offset < end; offset += 16) {
    const q0 = v128.load(query16 + (offset << 1));
    const q1 = v128.load(query16 + (offset << 1), 16);
    a = i32x4.add(a, i32x4.dot_i16x8_s(v128.load8x8_s(rows + offset), q0));
    b = i32x4.add(b, i32x4.dot_i16x8_s(v128.load8x8_s(r1 + offset), q0));
    c = i32x4.add(c, i32x4.dot_i16x8_s(v128.load8x8_s(r2 + offset), q0));
    d = i32x4.add(d, i32x4.dot_i16x8_s(v128.load8x8_s(r3 + offset), q0));
    a = i32x4.add(a, i32x4.dot_i16x8_s(v128.load8x8_s(rows + offset, 8), q1));
    b = i32x4.add(b, i32x4.dot_i16x8_s(v128.load8x8_s(r1 + offset, 8), q1));
    c = i32x4.add(c, i32x4.dot_i16x8_s(v128.load8x8_s(r2 + offset, 8), q1));
    d = i32x4.add(d, i32x4.dot_i16x8_s(v128.load8x8_s(r3 + offset, 8), q1));
  }
  // [a0+a2, b0+b2, a1+a3, b1+b3] and the same for c, d; then fold the halves.
  const ab = i32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(ab, cd, 0, 1, 4, 5), v128.shuffle<i32>(ab, cd, 2, 3, 6, 7));
}
