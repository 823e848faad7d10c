import fc from 'fast-check';
import type { RankedLabels } from '../../../src/core/ranked.js';
import { describe, expect, it } from 'vitest';
import { Bm25Index, resolveBm25Options } from '../../../src/core/keyword/bm25-index.js';
import { isQuiverError } from '../../../src/core/errors.js';
import { codeOf } from '../../fixtures/errors.js';
import { rng } from '../../fixtures/random.js';

/** BM25 written out from its definition (see bm25-index.ts), over token lists by label. */
function referenceScores(docs: ReadonlyMap<number, readonly string[]>, query: readonly string[], k1 = 1.2, b = 0.75): Map<number, number> {
  const n = docs.size;
  let total = 0;
  for (const terms of docs.values()) total += terms.length;
  const avgdl = total / n;
  const qtf = new Map<string, number>();
  for (const term of query) qtf.set(term, (qtf.get(term) ?? 0) + 1);
  const scores = new Map<number, number>();
  for (const [term, count] of qtf) {
    let df = 0;
    for (const terms of docs.values()) if (terms.includes(term)) df++;
    if (df === 0) continue;
    const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
    for (const [label, terms] of docs) {
      const tf = terms.filter((t) => t === term).length;
      if (tf === 0) continue;
      const part = (count * idf * (tf * (k1 + 1))) / (tf + k1 * (1 - b + (b * terms.length) / avgdl));
      scores.set(label, (scores.get(label) ?? 0) + part);
    }
  }
  return scores;
}

/** Every live label's score for `query` by `score()`, ranked best first (ties by label), top k. */
function exhaustive(index: Bm25Index, labels: readonly number[], query: readonly string[], k: number): RankedLabels {
  const scores = index.scoreTokens(query, labels);
  const order = labels.map((label, i) => ({ label, score: scores[i]! })).filter((x) => x.score > 0);
  order.sort((a, b) => b.score - a.score || a.label - b.label);
  const top = order.slice(0, k);
  return { labels: Int32Array.from(top, (x) => x.label), scores: Float32Array.from(top, (x) => x.score) };
}

function bitsetOf(labels: Iterable<number>, bound: number): Uint32Array {
  const bits = new Uint32Array(Math.ceil(bound / 32));
  for (const label of labels) bits[label >>> 5]! |= 1 << (label & 31);
  return bits;
}

const CORPUS: readonly string[] = [
  /* 0 */ 'the quick brown fox jumps over the lazy dog',
  /* 1 */ 'a quick brown dog outpaces a quick fox',
  /* 2 */ 'lazy dogs sleep all day long',
  /* 3 */ 'foxes are wild animals and dogs are pets',
  /* 4 */ 'the brown bear',
  /* 5 */ 'quick quick quick',
];

describe('Bm25Index scoring', () => {
  const tokens = new Map(CORPUS.map((text, label) => [label, text.split(' ')]));
  const index = new Bm25Index({ text: { stemming: false, stopwords: false } });
  CORPUS.forEach((text, label) => index.add(label, text));

  it('equals BM25 computed from its definition', () => {
    for (const query of ['quick fox', 'brown', 'lazy dog dog', 'bear quick brown fox', 'cat', 'the']) {
      const expected = referenceScores(tokens, query.split(' '));
      const scores = index.score(query, [0, 1, 2, 3, 4, 5, 99]);
      for (let label = 0; label < 6; label++) expect(scores[label]).toBeCloseTo(expected.get(label) ?? 0, 5);
      expect(scores[6]).toBe(0);
      const hits = index.search(query, 10);
      const ranked = [...expected].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      expect(Array.from(hits.labels)).toEqual(ranked.map(([label]) => label));
      hits.scores.forEach((score, i) => expect(score).toBeCloseTo(ranked[i]![1], 5));
    }
  });

  it('uses k1 and b', () => {
    const custom = new Bm25Index({ text: { stemming: false, stopwords: false }, bm25: { k1: 0.9, b: 0.4 } });
    CORPUS.forEach((text, label) => custom.add(label, text));
    const expected = referenceScores(tokens, ['quick', 'dog'], 0.9, 0.4);
    const scores = custom.score('quick dog', [0, 1, 2, 3, 4, 5]);
    for (let label = 0; label < 6; label++) expect(scores[label]).toBeCloseTo(expected.get(label) ?? 0, 5);
  });

  it('reports size, average length and memory', () => {
    expect(index.size).toBe(6);
    expect(index.averageLength).toBeCloseTo([...tokens.values()].reduce((s, t) => s + t.length, 0) / 6, 10);
    expect(index.memoryBytes).toBeGreaterThan(0);
    expect(index.has(5)).toBe(true);
    expect(index.has(6)).toBe(false);
  });

  it('returns at most k hits, best first, and nothing for unknown terms', () => {
    const hits = index.search('quick', 2);
    expect(hits.labels).toHaveLength(2);
    expect(hits.labels[0]).toBe(5);
    expect(index.search('unicorn', 5).labels).toHaveLength(0);
    expect(index.search('', 5).labels).toHaveLength(0);
  });
});

describe('Bm25Index writes', () => {
  it('adds, replaces, removes and reuses labels', () => {
    const index = new Bm25Index();
    index.add(0, 'apple pie');
    index.add(1, 'banana bread');
    expect(Array.from(index.search('apple', 5).labels)).toEqual([0]);
    index.add(0, 'cherry tart');
    expect(index.size).toBe(2);
    expect(index.search('apple', 5).labels).toHaveLength(0);
    expect(Array.from(index.search('cherry', 5).labels)).toEqual([0]);
    expect(index.remove(1)).toBe(true);
    expect(index.remove(1)).toBe(false);
    expect(index.remove(7)).toBe(false);
    expect(index.size).toBe(1);
    expect(index.search('banana', 5).labels).toHaveLength(0);
    index.add(1, 'apple crumble');
    expect(Array.from(index.search('apple', 5).labels)).toEqual([1]);
    expect(index.tombstones).toBe(2);
    index.compact();
    expect(index.tombstones).toBe(0);
    expect(Array.from(index.search('apple cherry', 5).labels).sort()).toEqual([0, 1]);
  });

  it('keeps statistics exact after removals: scores equal a fresh index of the live documents', () => {
    const index = new Bm25Index({ text: { stemming: false, stopwords: false } });
    CORPUS.forEach((text, label) => index.add(label, text));
    index.remove(1);
    index.add(3, 'quick foxes only');
    const fresh = new Bm25Index({ text: { stemming: false, stopwords: false } });
    [0, 2, 4, 5].forEach((label) => fresh.add(label, CORPUS[label]!));
    fresh.add(3, 'quick foxes only');
    for (const query of ['quick fox', 'dog', 'foxes brown']) {
      expect(index.search(query, 10)).toEqual(fresh.search(query, 10));
    }
  });

  it('text without terms leaves the label unindexed', () => {
    const index = new Bm25Index();
    index.add(0, 'words here');
    index.add(0, '   ...  ');
    expect(index.size).toBe(0);
    expect(index.has(0)).toBe(false);
    index.add(3, 'the and of');
    expect(index.size).toBe(0);
  });

  it('rejects bad labels, k and text with INVALID_ARGUMENT', () => {
    const index = new Bm25Index();
    expect(codeOf(() => index.add(-1, 'x'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => index.add(1.5, 'x'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => index.add(0, 42 as unknown as string))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => index.remove(Number.NaN))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => index.search('x', 0))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => index.search('x', 1.5))).toBe('INVALID_ARGUMENT');
  });

  it('merges the buffer and purges tombstones by itself at scale, with the same results as a fresh index', () => {
    const next = rng(11);
    const word = () => `t${Math.floor(400 * next() ** 3)}`;
    const index = new Bm25Index({ text: { stemming: false, stopwords: false } });
    const docs = new Map<number, string[]>();
    for (let label = 0; label < 16_000; label++) {
      const terms = Array.from({ length: 5 + Math.floor(next() * 30) }, word);
      docs.set(label, terms);
      index.addTokens(label, terms);
    }
    for (let label = 0; label < 16_000; label += 3) {
      index.remove(label);
      docs.delete(label);
    }
    // 5,334 removals of 16,000 docs pass the 20% threshold: a purge ran on the way.
    expect(index.tombstones).toBeLessThan(5_334);
    for (let label = 0; label < 3_000; label += 3) {
      const terms = Array.from({ length: 10 }, word);
      docs.set(label, terms);
      index.addTokens(label, terms);
    }
    const fresh = new Bm25Index({ text: { stemming: false, stopwords: false } });
    for (const [label, terms] of [...docs].sort((a, b) => a[0] - b[0])) fresh.addTokens(label, terms);
    expect(index.size).toBe(docs.size);
    for (let q = 0; q < 30; q++) {
      const query = Array.from({ length: 1 + (q % 4) }, word);
      expect(index.searchTokens(query, 10)).toEqual(fresh.searchTokens(query, 10));
    }
  });
});

describe('Bm25Index pruned top-k', () => {
  type Op = { kind: 'add'; label: number; terms: string[] } | { kind: 'remove'; label: number } | { kind: 'compact' };
  // One very common term (several blocks of postings), a skewed middle, a rare tail.
  const term = fc.oneof(
    { weight: 2, arbitrary: fc.constant('common') },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 15 }).map((x) => `m${x}`) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 400 }).map((x) => `r${x}`) },
  );
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 12, arbitrary: fc.record({ kind: fc.constant('add' as const), label: fc.nat({ max: 300 }), terms: fc.array(term, { maxLength: 25, size: 'max' }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), label: fc.nat({ max: 300 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
  );

  it('equals exhaustive top-k on random corpora, queries, k and filters', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 800, size: 'max' }),
        fc.array(
          fc.record({
            terms: fc.array(term, { minLength: 1, maxLength: 6 }),
            k: fc.integer({ min: 1, max: 40 }),
            filter: fc.option(fc.array(fc.boolean(), { maxLength: 320, size: 'max' })),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        (ops, queries) => {
          const index = new Bm25Index({ text: { stemming: false, stopwords: false } });
          const live = new Set<number>();
          for (const o of ops) {
            if (o.kind === 'add') {
              index.addTokens(o.label, o.terms);
              if (o.terms.length > 0) live.add(o.label);
              else live.delete(o.label);
            } else if (o.kind === 'remove') {
              index.remove(o.label);
              live.delete(o.label);
            } else {
              index.compact();
            }
          }
          expect(index.size).toBe(live.size);
          for (const { terms, k, filter } of queries) {
            const allowedLabels = filter === null ? [...live] : [...live].filter((label) => filter[label] === true);
            const allowed = filter === null ? undefined : bitsetOf(allowedLabels, filter.length);
            const got = index.searchTokens(terms, k, allowed);
            const want = exhaustive(index, allowedLabels, terms, k);
            expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
            expect(new Set(got.labels).size).toBe(got.labels.length);
            // Each hit is allowed and carries its own score; where float32 scores tie, labels may differ.
            const own = index.scoreTokens(terms, got.labels);
            got.labels.forEach((label, i) => {
              expect(allowedLabels).toContain(label);
              expect(own[i]).toBe(got.scores[i]);
            });
            const distinct = want.scores.every((s, i) => i === 0 || s !== want.scores[i - 1]);
            if (distinct) expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('skips most of a common term and still finds its best documents', () => {
    const next = rng(5);
    const index = new Bm25Index({ text: { stemming: false, stopwords: false } });
    const labels: number[] = [];
    for (let label = 0; label < 20_000; label++) {
      const length = 10 + Math.floor(next() * 40);
      const terms = Array.from({ length }, () => (next() < 0.1 ? 'common' : `r${Math.floor(next() * 5000)}`));
      index.addTokens(label, terms);
      labels.push(label);
    }
    index.compact();
    for (const query of [['common'], ['common', 'r7'], ['r1', 'r2', 'common']]) {
      expect(index.searchTokens(query, 10)).toEqual(exhaustive(index, labels, query, 10));
    }
  });
});

describe('Bm25Index filters', () => {
  it('returns only allowed labels, and treats labels past the bitset as not allowed', () => {
    const index = new Bm25Index();
    for (let label = 0; label < 100; label++) index.add(label, `shared word ${label % 2 === 0 ? 'even' : 'odd'}`);
    const allowed = bitsetOf([3, 10, 64], 65);
    expect(Array.from(index.search('shared', 10, allowed).labels).sort((a, b) => a - b)).toEqual([3, 10, 64]);
    expect(Array.from(index.search('even', 10, allowed).labels).sort((a, b) => a - b)).toEqual([10, 64]);
    expect(index.search('shared', 10, new Uint32Array(0)).labels).toHaveLength(0);
    const short = bitsetOf([1, 31], 32);
    expect(Array.from(index.search('shared', 10, short).labels).sort((a, b) => a - b)).toEqual([1, 31]);
  });
});

describe('Bm25Index languages', () => {
  it('finds Chinese documents for Chinese queries', () => {
    const index = new Bm25Index({ text: { language: 'zh' } });
    index.add(0, '北京大学是中国著名的综合性大学，位于北京市海淀区。');
    index.add(1, '上海是中国的经济中心，拥有繁忙的港口。');
    index.add(2, '自然语言处理是人工智能的一个重要方向。');
    expect(index.search('北京大学', 3).labels[0]).toBe(0);
    expect(index.search('上海港口', 3).labels[0]).toBe(1);
    expect(index.search('人工智能 语言', 3).labels[0]).toBe(2);
  });

  it('finds Japanese documents for Japanese queries', () => {
    const index = new Bm25Index({ text: { language: 'ja' } });
    index.add(0, '東京は日本の首都です。');
    index.add(1, '大阪は食べ物で有名な都市です。');
    index.add(2, 'ニューヨークはアメリカ最大の都市です。');
    expect(index.search('日本の首都', 3).labels[0]).toBe(0);
    expect(index.search('大阪', 3).labels[0]).toBe(1);
    expect(index.search('ニューヨーク', 3).labels[0]).toBe(2);
  });

  it('stemming on matches word forms; off needs the exact form', () => {
    const stemmed = new Bm25Index();
    const exact = new Bm25Index({ text: { stemming: false } });
    for (const index of [stemmed, exact]) {
      index.add(0, 'She was running studies on cells');
      index.add(1, 'Unrelated text');
    }
    expect(Array.from(stemmed.search('runs study cell', 5).labels)).toEqual([0]);
    expect(exact.search('runs study cell', 5).labels).toHaveLength(0);
  });

  it('stopwords on ignore function words; off they count', () => {
    const dropped = new Bm25Index();
    const kept = new Bm25Index({ text: { stopwords: false } });
    for (const index of [dropped, kept]) {
      index.add(0, 'the one and only');
      index.add(1, 'one more');
    }
    expect(dropped.search('the', 5).labels).toHaveLength(0);
    expect(Array.from(kept.search('the', 5).labels)).toEqual([0]);
  });
});

describe('Bm25Index snapshots', () => {
  function build(): Bm25Index {
    const index = new Bm25Index({ text: { language: 'en' } });
    const next = rng(3);
    for (let label = 0; label < 500; label++) {
      index.add(label, Array.from({ length: 3 + Math.floor(next() * 12) }, () => `word${Math.floor(60 * next() ** 2)}`).join(' ') + ' 北京大学');
    }
    for (let label = 0; label < 500; label += 7) index.remove(label);
    index.add(3, 'replaced text here');
    return index;
  }

  it('round-trips: same results, and the loaded index keeps working', () => {
    const index = build();
    const bytes = index.serialize();
    const loaded = Bm25Index.deserialize(bytes, { text: { language: 'en' } });
    expect(loaded.size).toBe(index.size);
    expect(loaded.termCount).toBe(index.termCount);
    for (const query of ['word1', 'word0 word5 word30', 'replaced', '北京', 'absent']) {
      expect(loaded.search(query, 20)).toEqual(index.search(query, 20));
    }
    expect(loaded.serialize()).toEqual(bytes);
    loaded.add(1000, 'fresh words');
    loaded.remove(1);
    expect(Array.from(loaded.search('fresh', 5).labels)).toEqual([1000]);
    expect(loaded.has(1)).toBe(false);
  });

  it('round-trips an empty index', () => {
    const loaded = Bm25Index.deserialize(new Bm25Index().serialize());
    expect(loaded.size).toBe(0);
    loaded.add(0, 'hello');
    expect(Array.from(loaded.search('hello', 1).labels)).toEqual([0]);
  });

  it('may load with other k1 and b, not with other text options', () => {
    const bytes = build().serialize();
    expect(Bm25Index.deserialize(bytes, { bm25: { k1: 2, b: 0.3 } }).bm25).toEqual({ k1: 2, b: 0.3 });
    expect(codeOf(() => Bm25Index.deserialize(bytes, { text: { stemming: false } }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => Bm25Index.deserialize(bytes, { text: { language: 'zh' } }))).toBe('INVALID_ARGUMENT');
  });

  it('rejects malformed bytes with INVALID_ARGUMENT', () => {
    const bytes = build().serialize();
    expect(codeOf(() => Bm25Index.deserialize(new Uint8Array(4)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => Bm25Index.deserialize(bytes.subarray(0, bytes.length - 8)))).toBe('INVALID_ARGUMENT');
    const badMagic = bytes.slice();
    badMagic[0]! ^= 0xff;
    expect(codeOf(() => Bm25Index.deserialize(badMagic))).toBe('INVALID_ARGUMENT');
    const badFormat = bytes.slice();
    badFormat[4] = 99;
    expect(codeOf(() => Bm25Index.deserialize(badFormat))).toBe('INVALID_ARGUMENT');
    // Corrupt the postings: every flipped byte past the header is caught by a check or changes nothing it could misuse.
    const next = rng(9);
    for (let trial = 0; trial < 200; trial++) {
      const damaged = bytes.slice();
      const at = 200 + Math.floor(next() * (bytes.length - 200));
      damaged[at]! ^= 1 + Math.floor(next() * 255);
      try {
        const loaded = Bm25Index.deserialize(damaged);
        loaded.search('word1 word2', 10);
      } catch (error) {
        expect(isQuiverError(error) && error.code).toBe('INVALID_ARGUMENT');
      }
    }
  });
});

describe('options', () => {
  it('resolveBm25Options merges defaults and rejects bad values with INVALID_OPTIONS', () => {
    expect(resolveBm25Options({})).toEqual({ k1: 1.2, b: 0.75 });
    expect(resolveBm25Options({ k1: 0, b: 1 })).toEqual({ k1: 0, b: 1 });
    for (const bad of [{ k1: -1 }, { b: 1.5 }, { b: Number.NaN }, { k1: '1' }, { k3: 1 }, null, 'x']) {
      expect(codeOf(() => resolveBm25Options(bad))).toBe('INVALID_OPTIONS');
    }
  });

  it('the index rejects bad text options and compactAt with INVALID_OPTIONS', () => {
    expect(codeOf(() => new Bm25Index({ text: { language: 'xx' as 'en' } }))).toBe('INVALID_OPTIONS');
    expect(codeOf(() => new Bm25Index({ bm25: { k1: 99 } }))).toBe('INVALID_OPTIONS');
    expect(codeOf(() => new Bm25Index({ compactAt: 0 }))).toBe('INVALID_OPTIONS');
  });
});
