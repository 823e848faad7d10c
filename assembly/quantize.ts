// Normalisation and int8 scalar quantisation.
//
// Per dimension d, values are mapped from [min_d, max_d] to [-127, 127]:
//   center_d = (max_d + min_d) / 2,  step_d = (max_d - min_d) / 254
//   code_d   = clamp(round((x_d - center_d) / step_d), -127, 127)
// so x_d ~ center_d + step_d * code_d. For a query q:
//   q . x ~ sum_d q_d center_d + sum_d (q_d step_d) code_d
// The query side q_d step_d is quantised again with one scale s, giving
//   q . x ~ offset + s * idot(qcode, code)
// where offset = sum_d q_d center_d is the same for every row.

/** Scales `dim` floats at `ptr` to unit length in place; returns the original norm (0 leaves them as they are). */
export function normalize(ptr: usize, dim: i32): f32 {
  let sum: f32 = 0;
  for (let i = 0; i < dim; i++) {
    const x = load<f32>(ptr + (<usize>i << 2));
    sum += x * x;
  }
  const norm = Mathf.sqrt(sum);
  if (norm == 0) return 0;
  const inverse: f32 = 1 / norm;
  const vectorEnd = <usize>(dim & ~3) << 2;
  const factor = f32x4.splat(inverse);
  let offset: usize = 0;
  for (; offset < vectorEnd; offset += 16) {
    v128.store(ptr + offset, f32x4.mul(v128.load(ptr + offset), factor));
  }
  for (; offset < (<usize>dim << 2); offset += 4) {
    store<f32>(ptr + offset, load<f32>(ptr + offset) * inverse);
  }
  return norm;
}

/**
 * Quantises `count` rows of `dim` floats at `src` into int8 rows of
 * `paddedDim` bytes at `dst` (padding zeroed), with per-dimension `center`
 * and `inverseStep` (f32 arrays of `dim`).
 */
export function quantizeRows(
  src: usize, count: i32, dim: i32, paddedDim: i32,
  center: usize, inverseStep: usize, dst: usize,
): void {
  for (let r = 0; r < count; r++) {
    const from = src + <usize>r * (<usize>dim << 2);
    const to = dst + <usize>r * <usize>paddedDim;
    for (let d = 0; d < dim; d++) {
      const offset = <usize>d << 2;
      const scaled = (load<f32>(from + offset) - load<f32>(center + offset)) * load<f32>(inverseStep + offset);
      const code = nearest<f32>(scaled);
      store<i8>(to + d, <i8><i32>max<f32>(-127, min<f32>(127, code)));
    }
    memory.fill(to + dim, 0, <usize>(paddedDim - dim));
  }
}

/**
 * Quantises a query for the int8 scan: writes q_d * step_d scaled to int16
 * codes in [-127, 127] at `dst16` (`paddedDim` lanes, padding zeroed) and
 * returns the scale s; the caller computes offset = sum q_d center_d.
 */
export function quantizeQuery(query: usize, dim: i32, paddedDim: i32, step: usize, dst16: usize): f32 {
  let largest: f32 = 0;
  for (let d = 0; d < dim; d++) {
    const offset = <usize>d << 2;
    largest = max<f32>(largest, Mathf.abs(load<f32>(query + offset) * load<f32>(step + offset)));
  }
  const scale: f32 = largest > 0 ? largest / 127 : 1;
  const inverse: f32 = 1 / scale;
  for (let d = 0; d < dim; d++) {
    const offset = <usize>d << 2;
    const code = nearest<f32>(load<f32>(query + offset) * load<f32>(step + offset) * inverse);
    store<i16>(dst16 + (<usize>d << 1), <i16><i32>code);
  }
  for (let d = dim; d < paddedDim; d++) store<i16>(dst16 + (<usize>d << 1), 0);
  return scale;
}
