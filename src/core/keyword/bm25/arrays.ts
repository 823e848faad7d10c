/**
 * Typed-array helpers of the BM25 index: growth by copy (the index keeps
 * every per-term and per-doc array typed). The binary search over a run of
 * postings is core/sorted.ts's lowerBound.
 */

/** `labelDoc` (label -> doc, -1 for none) with room for `label`, grown with -1. */
export function ensureLabel(labelDoc: Int32Array, label: number): Int32Array {
  if (label < labelDoc.length) return labelDoc;
  const out = new Int32Array(Math.max(label + 1, labelDoc.length * 2)).fill(-1);
  out.set(labelDoc);
  return out;
}

/** A copy of `array` in a new array of its type with room for `size` elements (at least 4). */
export function grow<T extends Int32Array | Uint16Array | Uint8Array | Float64Array>(array: T, size: number): T {
  const out = new (array.constructor as new (length: number) => T)(Math.max(size, 4));
  out.set(array);
  return out;
}
