/**
 * Vectors as base64 of little-endian float32 bytes (what OpenAI's
 * embeddings API returns with `encoding_format: "base64"`): a third of the
 * size of a JSON array, and no number parsing, and exact where a JSON
 * number is not (the sign of -0). One decoder for the REST API and the
 * import readers, one encoder for exports; the remote client encodes its
 * own, since it loads nothing of the core.
 */

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

/** The floats `value` encodes, or what is wrong with it. */
export function decodeFloat32Base64(value: string): { vector: Float32Array } | { problem: string } {
  if (!BASE64.test(value)) return { problem: 'a string vector must be base64 of little-endian float32' };
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length % 4 !== 0) return { problem: `base64 decodes to ${bytes.length} bytes, not a whole number of float32 values` };
  const vector = new Float32Array(bytes.length / 4);
  // A copy into an aligned buffer: a Float32Array cannot view odd offsets of Node's pooled buffers.
  if (LITTLE_ENDIAN) new Uint8Array(vector.buffer).set(bytes);
  else for (let i = 0; i < vector.length; i++) vector[i] = bytes.readFloatLE(i * 4);
  return { vector };
}

/** Base64 of `vector`'s little-endian float32 bytes: what `decodeFloat32Base64` reads back bit for bit (the sign of -0 and every NaN payload included). */
export function encodeFloat32Base64(vector: Float32Array): string {
  if (LITTLE_ENDIAN) return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes.toString('base64');
}
