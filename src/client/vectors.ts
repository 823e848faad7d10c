/**
 * Vectors over the wire. Requests carry every vector as base64 of
 * little-endian float32 bytes (the server's second accepted form; a third
 * of the size of a JSON array and no number parsing); replies carry JSON
 * arrays of the stored float32 values, which convert back exactly.
 */

const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

/**
 * Base64 float32 of a Float32Array, a Float64Array or an array of numbers
 * (each rounded to float32, as the library does); anything else is returned
 * as it is, for the server to reject with its own error.
 */
export function encodeVector(vector: unknown): unknown {
  let floats: Float32Array;
  if (vector instanceof Float32Array) floats = vector;
  else if (vector instanceof Float64Array) floats = Float32Array.from(vector);
  else if (Array.isArray(vector) && vector.every((x) => typeof x === 'number')) floats = Float32Array.from(vector as number[]);
  else return vector;
  return base64(littleEndianBytes(floats));
}

/** A reply's JSON array as the Float32Array the library would return. */
export function decodeVector(vector: unknown): Float32Array | undefined {
  return Array.isArray(vector) ? Float32Array.from(vector as number[]) : undefined;
}

function littleEndianBytes(floats: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
  const view = new DataView(new ArrayBuffer(floats.length * 4));
  floats.forEach((x, i) => view.setFloat32(i * 4, x, true));
  return new Uint8Array(view.buffer);
}

function base64(bytes: Uint8Array): string {
  // Buffer is Node's fast path; btoa (over a binary string, in chunks under the argument limit) is everywhere else's.
  if (typeof Buffer === 'function') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
