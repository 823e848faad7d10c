/**
 * Vectors over the wire: JSON arrays, or base64 strings of little-endian
 * float32 bytes (core/float32-base64.ts).
 */
import { createError } from '../core/errors.js';
import { decodeFloat32Base64 } from '../core/vector/float32-base64.js';

export function decodeVector(value: string | readonly number[], where: string): Float32Array | readonly number[] {
  if (typeof value !== 'string') return value;
  const decoded = decodeFloat32Base64(value);
  if ('problem' in decoded) throw createError('INVALID_VECTOR', where, decoded.problem);
  return decoded.vector;
}
