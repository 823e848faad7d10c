/**
 * The one base64 float32 decoder (issue 24, item 8: it was written three
 * times): what OpenAI's `encoding_format: "base64"` sends, decoded bit for
 * bit, and clear problems for anything else.
 */
import { describe, expect, it } from 'vitest';
import { decodeFloat32Base64 } from '../../../src/core/vector/float32-base64.js';

function base64Of(values: readonly number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}

describe('base64 float32 vectors', () => {
  it('decodes little-endian float32 bit for bit, at every length', () => {
    for (const values of [[], [1.5], [0.1, -2, 3.25e-20, 65504], Array.from({ length: 1537 }, (_, i) => Math.fround(Math.sin(i)))]) {
      const decoded = decodeFloat32Base64(base64Of(values));
      expect('vector' in decoded && Array.from(decoded.vector)).toEqual(values.map(Math.fround));
    }
  });

  it('says what is wrong with a string that is not whole float32 values in base64', () => {
    expect(decodeFloat32Base64('not base64!')).toEqual({ problem: 'a string vector must be base64 of little-endian float32' });
    expect(decodeFloat32Base64(Buffer.from([1, 2, 3, 4, 5]).toString('base64'))).toEqual({
      problem: 'base64 decodes to 5 bytes, not a whole number of float32 values',
    });
  });
});
