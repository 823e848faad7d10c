// Scalar reference kernels: the tail loops of the SIMD kernels and the test
// oracle they are checked against. One accumulator, in index order.

export function dotScalar(a: usize, b: usize, dim: i32): f32 {
  let sum: f32 = 0;
  for (let i = 0; i < dim; i++) {
    const offset = <usize>i << 2;
    sum += load<f32>(a + offset) * load<f32>(b + offset);
  }
  return sum;
}

export function l2sqScalar(a: usize, b: usize, dim: i32): f32 {
  let sum: f32 = 0;
  for (let i = 0; i < dim; i++) {
    const offset = <usize>i << 2;
    const d = load<f32>(a + offset) - load<f32>(b + offset);
    sum += d * d;
  }
  return sum;
}

export function cosineScalar(a: usize, b: usize, dim: i32): f32 {
  let ab: f32 = 0;
  let aa: f32 = 0;
  let bb: f32 = 0;
  for (let i = 0; i < dim; i++) {
    const offset = <usize>i << 2;
    const x = load<f32>(a + offset);
    const y = load<f32>(b + offset);
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  const denominator = Mathf.sqrt(aa * bb);
  return denominator > 0 ? ab / denominator : 0;
}

/** Integer dot product of an int8 row of `dim` bytes and an int16 query. */
export function dotI8Scalar(row: usize, query16: usize, dim: i32): i32 {
  let sum: i32 = 0;
  for (let i = 0; i < dim; i++) {
    sum += <i32>load<i8>(row + i) * <i32>load<i16>(query16 + (<usize>i << 1));
  }
  return sum;
}
