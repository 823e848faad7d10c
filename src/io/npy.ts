/**
 * NumPy .npy matrices (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 *
 * | bytes   | content                                                     |
 * |---------|-------------------------------------------------------------|
 * | 0-5     | magic "\x93NUMPY"                                           |
 * | 6, 7    | format version major, minor (1.0, 2.0 or 3.0)               |
 * | 8-9     | header length, uint16 LE (version 1); uint32 LE at 8-11 (2, 3) |
 * | ...     | header: a Python dict literal, padded with spaces to 64 bytes |
 * | ...     | the data, row-major when fortran_order is False             |
 *
 * Accepted: a 2-D array (rows, dimension) of little-endian float32 ('<f4')
 * or float64 ('<f8', narrowed to float32) in C order. Anything else is a
 * SourceError saying what the file holds and what to convert it to.
 */
import { open } from 'node:fs/promises';
import { SourceError } from './fields.js';
import { copyFloat32, type MatrixFile } from './matrix.js';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
/** Enough for any header numpy writes for a 2-D array; larger ones are read in full. */
const HEAD_BYTES = 4096;
const DTYPES: Record<string, 4 | 8> = { '<f4': 4, '<f8': 8 };

export async function openNpy(path: string): Promise<MatrixFile> {
  const handle = await open(path, 'r');
  let size: number;
  let header: string;
  let headerBytes: number;
  try {
    size = (await handle.stat()).size;
    let head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    await handle.read(head, 0, head.length, 0);
    if (head.length < 10 || !head.subarray(0, 6).equals(MAGIC)) throw new SourceError(`${path}: not a .npy file (no \\x93NUMPY magic)`);
    const major = head[6]!;
    if (major !== 1 && major !== 2 && major !== 3) throw new SourceError(`${path}: .npy format version ${major}.${head[7]} is not supported (1.0 to 3.0 are)`);
    const lengthBytes = major === 1 ? 2 : 4;
    const headerLength = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
    headerBytes = 8 + lengthBytes + headerLength;
    if (headerBytes > size) throw new SourceError(`${path}: the .npy header claims ${headerLength} bytes but the file has ${size}`);
    if (headerBytes > head.length) {
      head = Buffer.alloc(headerBytes);
      await handle.read(head, 0, headerBytes, 0);
    }
    header = head.toString(major === 3 ? 'utf8' : 'latin1', 8 + lengthBytes, headerBytes);
  } finally {
    await handle.close();
  }

  const { descr, fortranOrder, shape } = parseHeader(header, path);
  const itemBytes = DTYPES[descr];
  if (itemBytes === undefined) {
    throw new SourceError(`${path}: dtype '${descr}' is not supported; expected little-endian float32 ('<f4') or float64 ('<f8'): save with array.astype('<f4')`);
  }
  if (fortranOrder) {
    throw new SourceError(`${path}: the array is in Fortran (column-major) order; save it with np.ascontiguousarray(array) first`);
  }
  if (shape.length !== 2) {
    throw new SourceError(`${path}: shape (${shape.join(', ')}${shape.length === 1 ? ',' : ''}) is not a 2-D matrix of (rows, dimension)`);
  }
  const [count, dimension] = shape as [number, number];
  if (dimension < 1) throw new SourceError(`${path}: shape (${count}, ${dimension}) has no columns`);
  return {
    format: 'npy',
    path,
    dimension,
    count,
    headerBytes,
    rowBytes: dimension * itemBytes,
    size,
    decodeRow:
      itemBytes === 4
        ? (bytes, offset, _index, out, outOffset) => copyFloat32(bytes, offset, dimension, out, outOffset)
        : (bytes, offset, _index, out, outOffset) => {
            for (let d = 0; d < dimension; d++) out[outOffset + d] = bytes.readDoubleLE(offset + d * 8);
          },
  };
}

/** The three keys of the header dict; numpy always writes them, in this form. */
function parseHeader(header: string, path: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new SourceError(`${path}: unreadable .npy header ${JSON.stringify(header.trim().slice(0, 200))} (a structured dtype?)`);
  }
  const shape = shapeText.split(',').map((part) => part.trim()).filter((part) => part !== '').map(Number);
  if (shape.some((n) => !Number.isSafeInteger(n) || n < 0)) throw new SourceError(`${path}: unreadable shape (${shapeText}) in the .npy header`);
  return { descr, fortranOrder: fortran === 'True', shape };
}
