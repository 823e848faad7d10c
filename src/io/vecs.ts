/**
 * TEXMEX vector files (http://corpus-texmex.irisa.fr/): each record is a
 * little-endian int32 dimension followed by that many components:
 * float32 (.fvecs), int32 (.ivecs) or uint8 (.bvecs).
 */
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { SourceError } from './fields.js';
import { copyFloat32, type MatrixFile } from './matrix.js';

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

export type VecsFormat = 'fvecs' | 'bvecs' | 'ivecs';

/** Bytes per component of each format. */
const COMPONENT_BYTES: Record<VecsFormat, number> = { fvecs: 4, bvecs: 1, ivecs: 4 };

/** A first record claiming more components than this is not a vecs file (MAX_DIMENSION is far below). */
const MAX_VECS_DIMENSION = 1 << 20;

/**
 * A vecs file for streaming (matrix.ts `readRows`): the dimension comes from
 * the first record and every record must repeat it; components become
 * float32 (exact for uint8, and for int32 up to 2^24).
 */
export async function openVecs(path: string, format: VecsFormat): Promise<MatrixFile> {
  const handle = await open(path, 'r');
  let size: number;
  let dimension: number;
  try {
    size = (await handle.stat()).size;
    if (size < 4) throw new SourceError(`${path}: ${size} bytes is too short for a .${format} file (a record starts with a 4-byte dimension)`);
    const head = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    dimension = head.readInt32LE(0);
  } finally {
    await handle.close();
  }
  if (dimension <= 0 || dimension > MAX_VECS_DIMENSION) {
    throw new SourceError(`${path}: the first record's dimension is ${dimension}; this is not a .${format} file`, { record: 0 });
  }
  const componentBytes = COMPONENT_BYTES[format];
  const rowBytes = 4 + dimension * componentBytes;
  const decode = componentDecoder(format, dimension);
  return {
    format,
    path,
    dimension,
    count: Math.ceil(size / rowBytes),
    headerBytes: 0,
    rowBytes,
    size,
    decodeRow(bytes, offset, index, out, outOffset) {
      const own = bytes.readInt32LE(offset);
      if (own !== dimension) {
        throw new SourceError(
          `starts with dimension ${own} at byte ${index * rowBytes}, expected ${dimension}: the file mixes dimensions or is corrupt from here`,
          { record: index },
        );
      }
      decode(bytes, offset + 4, out, outOffset);
    },
  };
}

function componentDecoder(format: VecsFormat, dimension: number): (bytes: Buffer, offset: number, out: Float32Array, outOffset: number) => void {
  if (format === 'fvecs') return (bytes, offset, out, outOffset) => copyFloat32(bytes, offset, dimension, out, outOffset);
  if (format === 'bvecs') return (bytes, offset, out, outOffset) => {
    for (let d = 0; d < dimension; d++) out[outOffset + d] = bytes[offset + d]!;
  };
  return (bytes, offset, out, outOffset) => {
    for (let d = 0; d < dimension; d++) out[outOffset + d] = bytes.readInt32LE(offset + d * 4);
  };
}
