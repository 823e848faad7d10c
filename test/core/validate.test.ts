/**
 * checkVector: every non-finite element is found wherever it sits (both
 * lanes of the paired loop and the odd tail), with its index and value in
 * the message; zero vectors are rejected only when asked, and the smallest
 * non-zero float32 is not zero.
 */
import { describe, expect, it } from 'vitest';
import { QuiverError } from '../../src/core/errors.js';
import { checkVector } from '../../src/core/validate.js';
import { openDatabase, type DocumentInput } from '../../src/index.js';

function rejection(vector: ArrayLike<number>, rejectZero = false): QuiverError {
  try {
    checkVector(vector instanceof Float32Array ? vector : Array.from(vector), vector.length, 'vector', rejectZero);
  } catch (error) {
    return error as QuiverError;
  }
  throw new Error('expected a rejection');
}

describe('checkVector', () => {
  for (const dimension of [1, 2, 3, 7, 8]) {
    for (let at = 0; at < dimension; at++) {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        it(`rejects ${bad} at element ${at} of ${dimension}`, () => {
          const vector = Array.from({ length: dimension }, (_, i) => (i === at ? bad : i + 1));
          const error = rejection(vector);
          expect(error.code).toBe('INVALID_VECTOR');
          expect(error.message).toContain(`element ${at} is ${bad}`);
        });
      }
    }
  }

  it('says a missing vector is missing, and names what came instead', async () => {
    const db = await openDatabase();
    try {
      const docs = await db.createCollection('docs', { dimension: 3 });
      const rejected = (write: Promise<unknown>) => write.then(() => expect.unreachable('the upsert was accepted'), (error: unknown) => error as QuiverError);
      const missing = await rejected(docs.upsert([{ id: 'a' } as unknown as DocumentInput]));
      expect([missing.code, missing.message]).toEqual(['INVALID_VECTOR', 'Invalid vector at documents[0].vector: it is missing: expected 3 numbers (a Float32Array or an array).']);
      const text = await rejected(docs.upsert([{ id: 'a', vector: 'abc' } as unknown as DocumentInput]));
      expect(text.message).toContain('expected a Float32Array or an array of 3 numbers, got string');
    } finally {
      await db.close();
    }
  });

  it('rejects a number that overflows float32, naming the number given', () => {
    expect(rejection([1, 2, 1e39]).message).toContain('element 2 is 1e+39');
  });

  it('rejects a zero vector only when asked, at any dimension', () => {
    for (const dimension of [1, 2, 5]) {
      expect(checkVector(new Float32Array(dimension), dimension, 'vector', false)).toHaveLength(dimension);
      expect(rejection(new Float32Array(dimension), true).code).toBe('INVALID_VECTOR');
    }
  });

  it('accepts the smallest non-zero float32 as a direction, in the tail and in a pair', () => {
    const tiny = 2 ** -149;
    expect(checkVector([0, 0, tiny], 3, 'vector', true)[2]).toBe(tiny);
    expect(checkVector([0, tiny, 0], 3, 'vector', true)[1]).toBe(tiny);
  });
});
