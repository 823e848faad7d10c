import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalise, reciprocalRankFusion, relativeScoreFusion } from '../../../src/core/query/fusion.js';

const candidates = (labels: number[], vector: number[], keyword: number[]) => ({
  labels: Int32Array.from(labels),
  vectorScores: Float32Array.from(vector),
  keywordScores: Float32Array.from(keyword),
});

describe('relativeScore fusion', () => {
  it('min-max normalises each side and weights by alpha', () => {
    const fused = relativeScoreFusion(candidates([1, 2, 3], [0.75, 0.5, 0.25], [0, 4, 8]), 0.5);
    // vector norm: 1, 0.5, 0; keyword norm: 0, 0.5, 1 -> all 0.5; ties by label.
    expect(Array.from(fused.labels)).toEqual([1, 2, 3]);
    expect(Array.from(fused.scores)).toEqual([0.5, 0.5, 0.5]);
    const vectorHeavy = relativeScoreFusion(candidates([1, 2, 3], [0.75, 0.5, 0.25], [0, 4, 8]), 0.75);
    expect(Array.from(vectorHeavy.labels)).toEqual([1, 2, 3]);
    expect(vectorHeavy.scores[0]).toBeCloseTo(0.75, 12);
  });

  it('alpha 1 is pure vector order and alpha 0 pure keyword order (0 is not "unset")', () => {
    const input = candidates([1, 2, 3], [0.9, 0.5, 0.1], [1, 2, 3]);
    expect(Array.from(relativeScoreFusion(input, 1).labels)).toEqual([1, 2, 3]);
    expect(Array.from(relativeScoreFusion(input, 0).labels)).toEqual([3, 2, 1]);
  });

  it('a single keyword hit (min = max among matches) still counts fully', () => {
    const fused = relativeScoreFusion(candidates([1, 2], [0.2, 0.2], [0, 5]), 0.5);
    expect(Array.from(fused.labels)).toEqual([2, 1]);
    expect(Array.from(fused.scores)).toEqual([1, 0.5]);
  });

  it('empty keyword results leave the vector order, and all-equal scores do not divide by zero', () => {
    const noKeyword = relativeScoreFusion(candidates([4, 5], [0.3, 0.6], [0, 0]), 0.5);
    expect(Array.from(noKeyword.labels)).toEqual([5, 4]);
    expect(Array.from(noKeyword.scores)).toEqual([0.5, 0]);
    const flat = relativeScoreFusion(candidates([7, 8], [0.5, 0.5], [2, 2]), 0.3);
    expect(Array.from(flat.scores)).toEqual([1, 1]);
    expect(normalise(Float32Array.from([3, 3]), () => false)).toEqual(Float64Array.from([0, 0]));
  });

  it('rejects alpha outside [0, 1]', () => {
    expect(() => relativeScoreFusion(candidates([1], [1], [1]), 1.5)).toThrow(RangeError);
  });
});

describe('reciprocal rank fusion', () => {
  it('weights each list; equal weights of 1 are plain RRF', () => {
    const lists = [Int32Array.from([1, 2]), Int32Array.from([2, 1])];
    expect(Array.from(reciprocalRankFusion(lists, 60, [2, 0]).labels)).toEqual([1, 2]);
    expect(Array.from(reciprocalRankFusion(lists, 60, [0, 2]).labels)).toEqual([2, 1]);
    expect(reciprocalRankFusion(lists, 60, [1, 1])).toEqual(reciprocalRankFusion(lists));
    expect(() => reciprocalRankFusion(lists, 60, [1])).toThrow(RangeError);
  });

  it('sums 1 / (k + rank) with ranks from 1 and k = 60', () => {
    const fused = reciprocalRankFusion([Int32Array.from([10, 20, 30]), Int32Array.from([30, 40])]);
    expect(Array.from(fused.labels)).toEqual([30, 10, 20, 40]);
    expect(fused.scores[0]).toBeCloseTo(1 / 63 + 1 / 61, 15);
    expect(fused.scores[1]).toBeCloseTo(1 / 61, 15);
  });

  it('output is a subset of the union of its inputs, each label once (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 50 }), { maxLength: 20 }), { maxLength: 4 }), (lists) => {
        const fused = reciprocalRankFusion(lists.map((list) => Int32Array.from(list)));
        const union = new Set(lists.flat());
        expect(new Set(fused.labels)).toEqual(union);
        expect(fused.labels.length).toBe(union.size);
        for (let i = 1; i < fused.scores.length; i++) expect(fused.scores[i - 1]).toBeGreaterThanOrEqual(fused.scores[i]!);
      }),
    );
  });
});
