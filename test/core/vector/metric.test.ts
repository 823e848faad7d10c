/**
 * normalize: unit length for every dimension (the four-sum loop and its
 * tail), written into another buffer without touching the source, or in
 * place; directions are kept.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalize } from '../../../src/core/vector/metric.js';

const nonZeroVector = fc
  .array(fc.float({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 67 })
  .filter((values) => values.some((x) => Math.abs(x) > 1e-3));

describe('normalize', () => {
  it('writes the unit vector into another buffer and leaves the source as it was', () => {
    fc.assert(
      fc.property(nonZeroVector, (values) => {
        const source = Float32Array.from(values);
        const before = source.slice();
        const out = new Float32Array(source.length);
        expect(normalize(source, out)).toBe(out);
        expect(source).toEqual(before);
        expect(Math.hypot(...out)).toBeCloseTo(1, 5);
        const norm = Math.hypot(...source);
        for (let i = 0; i < source.length; i++) expect(out[i]).toBeCloseTo(source[i]! / norm, 6);
      }),
    );
  });

  it('normalises in place by default, at every dimension modulo 4', () => {
    for (const dimension of [1, 2, 3, 4, 5, 6, 7, 8, 127, 128]) {
      const vector = Float32Array.from({ length: dimension }, (_, i) => (i % 3) - 0.5 + i / dimension);
      const expected = Array.from(vector, (x) => x / Math.hypot(...vector));
      expect(normalize(vector)).toBe(vector);
      expected.forEach((x, i) => expect(vector[i]).toBeCloseTo(x, 6));
    }
  });
});
