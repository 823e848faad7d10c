/**
 * TEXMEX vector files (http://corpus-texmex.irisa.fr/): each record is a
 * little-endian int32 dimension followed by that many components:
 * float32 (.fvecs), int32 (.ivecs) or uint8 (.bvecs).
 */
import { readFileSync } from 'node:fs';

export interface VectorFile<T extends Float32Array | Int32Array> {
  /** Number of records. */
  count: number;
  /** Components per record. */
  dimension: number;
  /** All records, row-major: record i is `data.subarray(i * dimension, (i + 1) * dimension)`. */
  data: T;
}

export function readFvecs(path: string): VectorFile<Float32Array> {
  return parseVecs(readFileSync(path), 4, path, (view, offset) => view.getFloat32(offset, true), Float32Array);
}

export function readIvecs(path: string): VectorFile<Int32Array> {
  return parseVecs(readFileSync(path), 4, path, (view, offset) => view.getInt32(offset, true), Int32Array);
}

/** .bvecs components are uint8; they are widened to float32. */
export function readBvecs(path: string): VectorFile<Float32Array> {
  return parseVecs(readFileSync(path), 1, path, (view, offset) => view.getUint8(offset), Float32Array);
}

function parseVecs<T extends Float32Array | Int32Array>(
  bytes: Uint8Array,
  componentBytes: number,
  path: string,
  read: (view: DataView, offset: number) => number,
  Out: new (length: number) => T,
): VectorFile<T> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 4) throw new Error(`${path}: too short for a vecs file (${bytes.byteLength} bytes)`);
  const dimension = view.getInt32(0, true);
  const recordBytes = 4 + dimension * componentBytes;
  if (dimension <= 0 || bytes.byteLength % recordBytes !== 0) {
    throw new Error(`${path}: ${bytes.byteLength} bytes is not a whole number of ${recordBytes}-byte records (dimension ${dimension})`);
  }
  const count = bytes.byteLength / recordBytes;
  const data = new Out(count * dimension);
  for (let i = 0; i < count; i++) {
    const start = i * recordBytes;
    const own = view.getInt32(start, true);
    if (own !== dimension) throw new Error(`${path}: record ${i} has dimension ${own}, expected ${dimension}`);
    for (let d = 0; d < dimension; d++) data[i * dimension + d] = read(view, start + 4 + d * componentBytes);
  }
  return { count, dimension, data };
}
