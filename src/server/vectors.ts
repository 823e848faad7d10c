/**
 * Vectors over the wire: JSON arrays, or base64 strings of little-endian
 * float32 bytes (what OpenAI's embeddings API returns with
 * `encoding_format: base64`), which skip JSON number parsing.
 */
import { createError } from '../core/errors.js';

export function decodeVector(value: string | readonly number[], where: string): Float32Array | readonly number[] {
  if (typeof value !== 'string') return value;
  const bytes = Buffer.from(value, 'base64');
  if (bytes.byteLength % 4 !== 0) {
    throw createError('INVALID_VECTOR', where, `base64 decodes to ${bytes.byteLength} bytes, not a whole number of float32 values`);
  }
  // Copy into an aligned buffer: a Float32Array cannot view odd offsets of Node's pooled buffers.
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function encodeVector(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}
