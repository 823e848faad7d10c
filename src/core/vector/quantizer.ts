/**
 * The per-dimension int8 mapping of a collection's vectors (see
 * assembly/quantize.ts): values in [min_d, max_d] map to [-127, 127] around
 * center_d in steps of step_d. Fitted once to a sample of the rows (the
 * first INT8_FIT_SAMPLE written, see options.ts); a later value outside the
 * fitted range is clamped, and the f32 re-rank of the shortlist restores
 * the exact order.
 */

export class Quantizer {
  readonly dim: number;
  readonly center: Float32Array;
  readonly step: Float32Array;
  readonly inverseStep: Float32Array;
  /** `center` in f64, for the query's offset sum. */
  readonly centerF64: Float64Array;

  private constructor(center: Float32Array, step: Float32Array) {
    this.dim = center.length;
    this.center = center;
    this.step = step;
    this.inverseStep = step.map((s) => 1 / s);
    this.centerF64 = Float64Array.from(center);
  }

  /** Fits the ranges to the rows `each` visits (every row a callback). */
  static fit(dim: number, each: (visit: (row: ArrayLike<number>) => void) => void): Quantizer {
    const min = new Float64Array(dim).fill(Infinity);
    const max = new Float64Array(dim).fill(-Infinity);
    each((row) => {
      for (let d = 0; d < dim; d++) {
        const x = row[d]!;
        if (x < min[d]!) min[d] = x;
        if (x > max[d]!) max[d] = x;
      }
    });
    const center = new Float32Array(dim);
    const step = new Float32Array(dim);
    for (let d = 0; d < dim; d++) {
      const lo = Number.isFinite(min[d]!) ? min[d]! : 0;
      const hi = Number.isFinite(max[d]!) ? max[d]! : 0;
      const width = hi - lo;
      center[d] = (hi + lo) / 2;
      step[d] = width > 0 ? width / 254 : 1;
    }
    return new Quantizer(center, step);
  }

  /** `center` then `step`, little-endian f32: the snapshot's quantizer section. */
  serialize(): Uint8Array {
    const out = new Float32Array(2 * this.dim);
    out.set(this.center);
    out.set(this.step, this.dim);
    return new Uint8Array(out.buffer);
  }

  static deserialize(bytes: Uint8Array, dim: number): Quantizer {
    if (bytes.byteLength !== 2 * dim * 4) throw new RangeError(`quantizer section is ${bytes.byteLength} bytes, expected ${2 * dim * 4}`);
    const values = new Float32Array(2 * dim);
    new Uint8Array(values.buffer).set(bytes);
    return new Quantizer(values.slice(0, dim), values.slice(dim));
  }

  /** `sum_d q_d center_d`: the part of every row's approximate dot product that depends on the query only. */
  offset(query: ArrayLike<number>): number {
    let sum = 0;
    for (let d = 0; d < this.dim; d++) sum += query[d]! * this.centerF64[d]!;
    return sum;
  }
}
