/**
 * Matrix files: fixed-size rows after a header, the shape shared by TEXMEX
 * .fvecs/.bvecs/.ivecs (vecs.ts) and NumPy .npy (npy.ts). Rows are read a
 * chunk at a time and decoded to float32. A file whose size is not the
 * header plus whole rows is reported after the whole rows were read, at the
 * first row that is incomplete, so everything before it can still be used.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { SourceError } from './fields.js';

export const MATRIX_FORMATS = ['fvecs', 'bvecs', 'ivecs', 'npy'] as const;
export type MatrixFormat = (typeof MATRIX_FORMATS)[number];

/** Bytes read per chunk: 4 MiB is past the point where larger reads stop paying. */
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

export interface MatrixFile {
  readonly format: MatrixFormat;
  readonly path: string;
  readonly dimension: number;
  /** Rows the file should hold: declared by the header (npy), or every whole record (vecs). */
  readonly count: number;
  /** Bytes before row 0. */
  readonly headerBytes: number;
  readonly rowBytes: number;
  readonly size: number;
  /** Decodes row `index`, which starts at `offset` in `bytes`, into `out` at `outOffset`; throws SourceError when the row is malformed. */
  decodeRow(bytes: Buffer, offset: number, index: number, out: Float32Array, outOffset: number): void;
}

export interface MatrixChunk {
  /** Index of the first row. */
  first: number;
  count: number;
  /** `count * dimension` floats, row-major. */
  data: Float32Array;
  /** File offset just past the chunk. */
  end: number;
}

/**
 * Rows `from` onwards, a chunk at a time. After the last whole row, throws
 * SourceError for a missing or incomplete row, or for bytes past the end.
 */
export async function* readRows(matrix: MatrixFile, { from = 0, chunkBytes = DEFAULT_CHUNK_BYTES } = {}): AsyncGenerator<MatrixChunk> {
  const { dimension, headerBytes, rowBytes, count, size } = matrix;
  const wholeRows = Math.floor(Math.max(0, size - headerBytes) / rowBytes);
  const readable = Math.min(count, wholeRows);
  const chunkRows = Math.max(1, Math.floor(chunkBytes / rowBytes));
  const handle = await open(matrix.path, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(chunkRows, Math.max(1, readable - from)) * rowBytes);
    for (let first = from; first < readable; first += chunkRows) {
      const rows = Math.min(chunkRows, readable - first);
      const offset = headerBytes + first * rowBytes;
      await readFully(handle, buffer, rows * rowBytes, offset);
      const data = new Float32Array(rows * dimension);
      let decoded = 0;
      try {
        for (; decoded < rows; decoded++) matrix.decodeRow(buffer, decoded * rowBytes, first + decoded, data, decoded * dimension);
      } catch (error) {
        // The rows before a malformed one are sound: hand them over, then fail.
        if (decoded > 0) yield { first, count: decoded, data: data.subarray(0, decoded * dimension), end: offset + decoded * rowBytes };
        throw error;
      }
      yield { first, count: rows, data, end: offset + rows * rowBytes };
    }
  } finally {
    await handle.close();
  }
  const expectedSize = headerBytes + count * rowBytes;
  if (size < expectedSize) {
    const partial = size - headerBytes - wholeRows * rowBytes;
    throw new SourceError(
      `truncated: ${partial > 0 ? `only ${partial} of its ${rowBytes} bytes are present` : 'missing'}` +
        ` (the file ends at byte ${size}; ${count} rows of ${rowBytes} bytes need ${expectedSize})`,
      { record: wholeRows },
    );
  }
  if (size > expectedSize) {
    throw new SourceError(`${size - expectedSize} bytes follow the last of the ${count} rows the header declares`, { record: count });
  }
}

/** One row, read on its own (a query from a file). */
export async function readRow(matrix: MatrixFile, index: number): Promise<Float32Array> {
  if (!Number.isInteger(index) || index < 0 || index >= matrix.count) {
    throw new SourceError(`${matrix.path}: no row ${index} (the file has ${matrix.count} rows, numbered from 0)`);
  }
  for await (const chunk of readRows(matrix, { from: index, chunkBytes: matrix.rowBytes })) return chunk.data;
  throw new SourceError(`${matrix.path}: row ${index} is truncated`, { record: index });
}

async function readFully(handle: FileHandle, buffer: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw new SourceError(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `dimension` little-endian float32 values at `offset` copied into `out`: a view when aligned on a little-endian host. */
export function copyFloat32(bytes: Buffer, offset: number, dimension: number, out: Float32Array, outOffset: number): void {
  const start = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN && start % 4 === 0) {
    out.set(new Float32Array(bytes.buffer, start, dimension), outOffset);
    return;
  }
  for (let d = 0; d < dimension; d++) out[outOffset + d] = bytes.readFloatLE(offset + d * 4);
}
