/** Bitsets over labels: bit i of word i >>> 5 is set when label i is in the set. */

export function hasLabel(bitset: Uint32Array, label: number): boolean {
  return ((bitset[label >>> 5]! >>> (label & 31)) & 1) === 1;
}

/** The set labels in ascending order; `count` (when known) sizes the result. */
export function labelsOf(bitset: Uint32Array, count?: number): Int32Array {
  const out = new Int32Array(count ?? popcount(bitset));
  let n = 0;
  for (let word = 0; word < bitset.length; word++) {
    let bits = bitset[word]!;
    while (bits !== 0) {
      const low = bits & -bits;
      out[n++] = (word << 5) | (31 - Math.clz32(low));
      bits ^= low;
    }
  }
  return n === out.length ? out : out.subarray(0, n);
}

export function popcount(bitset: Uint32Array): number {
  let total = 0;
  for (let i = 0; i < bitset.length; i++) {
    let v = bitset[i]!;
    v -= (v >>> 1) & 0x55555555;
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    total += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
  }
  return total;
}

/** A copy of `array` with at least `min` elements, growing by half at least. */
export function grow(array: Uint32Array, min: number): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(Math.max(min, Math.ceil(array.length * 1.5), 4));
  out.set(array);
  return out;
}
