import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isQuiverError } from '../../../src/core/errors.js';
import { compileFilter, matches, parseIsoTime, MAX_FILTER_DEPTH } from '../../../src/core/filter/filter.js';
import { MetadataIndex } from '../../../src/core/filter/metadata-index.js';
import { rng } from '../../fixtures/random.js';

type Metadata = Record<string, unknown>;

const JAN_15_10H = Date.UTC(2024, 0, 15, 10); // 1705312800000
const JAN_1 = Date.UTC(2024, 0, 1); // 1704067200000

/** A tiny named corpus; the label is the position. */
const DOCS: (Metadata | undefined)[] = [
  /* 0 */ { name: 'apple', price: 3, inStock: true, tags: ['fruit', 'red'], added: '2024-01-15T10:00:00Z', dims: { w: 5, h: 10 } },
  /* 1 */ { name: 'banana', price: 1.5, inStock: false, tags: ['fruit', 'yellow'], added: JAN_15_10H, dims: { w: 2, h: 20 } },
  /* 2 */ { name: 'carrot', price: 0.5, inStock: true, tags: ['vegetable'], added: '2023-12-31', dims: { w: 1 } },
  /* 3 */ { name: 'date', price: 10, tags: [], added: '2024-03-01T00:00:00+01:00', scores: [1, 7] },
  /* 4 */ {
    name: 'eggplant', price: null, inStock: true, added: 'yesterday', scores: [3, 4],
    variants: [{ color: 'purple', size: 2 }, { color: 'white', size: 1 }],
  },
  /* 5 */ undefined,
  /* 6 */ { name: 'Fig', price: '5', inStock: 'true', tags: 'fruit', flags: [true, false] },
];
const ALL = DOCS.map((_, i) => i);

function labelsOf(bitset: Uint32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bitset.length * 32; i++) if ((bitset[i >>> 5]! >>> (i & 31)) & 1) out.push(i);
  return out;
}

function indexOf(docs: readonly (Metadata | undefined)[]): MetadataIndex {
  const index = new MetadataIndex();
  docs.forEach((doc, label) => index.add(label, doc));
  return index;
}

/** Labels matching `filter` by the index, after checking `matches` on every document agrees. */
function query(filter: unknown, docs: readonly (Metadata | undefined)[] = DOCS): number[] {
  const compiled = compileFilter(filter);
  const { bitset, count } = indexOf(docs).evaluate(compiled);
  const found = labelsOf(bitset);
  expect(count).toBe(found.length);
  expect(found).toEqual(docs.flatMap((doc, label) => (matches(compiled, doc) ? [label] : [])));
  return found;
}

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('filter operators', () => {
  it('$eq on strings, numbers and booleans is type-strict', () => {
    expect(query({ name: 'apple' })).toEqual([0]);
    expect(query({ name: { $eq: 'apple' } })).toEqual([0]);
    expect(query({ name: 'fig' })).toEqual([]);
    expect(query({ price: 3 })).toEqual([0]);
    expect(query({ price: 5 })).toEqual([]);
    expect(query({ price: '5' })).toEqual([6]);
    expect(query({ inStock: true })).toEqual([0, 2, 4]);
    expect(query({ inStock: { $eq: false } })).toEqual([1]);
    expect(query({ inStock: 'true' })).toEqual([6]);
  });

  it('$eq on an array field matches when any element equals', () => {
    expect(query({ tags: 'fruit' })).toEqual([0, 1, 6]);
    expect(query({ tags: 'red' })).toEqual([0]);
    expect(query({ scores: 7 })).toEqual([3]);
    expect(query({ flags: false })).toEqual([6]);
    expect(query({ flags: true })).toEqual([6]);
  });

  it('$ne matches when no element equals, and when the field is missing', () => {
    expect(query({ inStock: { $ne: true } })).toEqual([1, 3, 5, 6]);
    expect(query({ tags: { $ne: 'fruit' } })).toEqual([2, 3, 4, 5]);
    expect(query({ price: { $ne: 3 } })).toEqual([1, 2, 3, 4, 5, 6]);
    expect(query({ flags: { $ne: true } })).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('$in and $nin', () => {
    expect(query({ name: { $in: ['apple', 'carrot', 'zzz'] } })).toEqual([0, 2]);
    expect(query({ tags: { $in: ['red', 'vegetable'] } })).toEqual([0, 2]);
    expect(query({ price: { $in: [3, '5', true] } })).toEqual([0, 6]);
    expect(query({ inStock: { $in: [false, 'true'] } })).toEqual([1, 6]);
    expect(query({ name: { $in: [] } })).toEqual([]);
    expect(query({ tags: { $nin: ['fruit'] } })).toEqual([2, 3, 4, 5]);
    expect(query({ tags: { $nin: ['red', 'yellow', 'vegetable'] } })).toEqual([3, 4, 5, 6]);
    expect(query({ name: { $nin: [] } })).toEqual(ALL);
  });

  it('numeric ranges ignore strings, booleans and null', () => {
    expect(query({ price: { $gt: 1.5 } })).toEqual([0, 3]);
    expect(query({ price: { $gte: 1.5 } })).toEqual([0, 1, 3]);
    expect(query({ price: { $lt: 1.5 } })).toEqual([2]);
    expect(query({ price: { $lte: 1.5 } })).toEqual([1, 2]);
    expect(query({ price: { $gte: 1, $lt: 5 } })).toEqual([0, 1]);
    expect(query({ price: { $gt: 100 } })).toEqual([]);
    expect(query({ price: { $gt: -1e9 } })).toEqual([0, 1, 2, 3]);
    expect(query({ inStock: { $gte: 0 } })).toEqual([]);
  });

  it('ranges on arrays: any element, and each operator may be met by a different element', () => {
    expect(query({ scores: { $gt: 5 } })).toEqual([3]);
    expect(query({ scores: { $lte: 3 } })).toEqual([3, 4]);
    // doc 3 has [1, 7]: 7 > 2 and 1 < 4, so it matches although no element lies in (2, 4).
    expect(query({ scores: { $gt: 2, $lt: 4 } })).toEqual([3, 4]);
  });

  it('string ranges compare by UTF-16 code units', () => {
    expect(query({ name: { $gt: 'c' } })).toEqual([2, 3, 4]);
    expect(query({ name: { $lt: 'b' } })).toEqual([0, 6]); // 'F' < 'b'
    expect(query({ name: { $gte: 'date' } })).toEqual([3, 4]);
    expect(query({ name: { $lte: 'banana' } })).toEqual([0, 1, 6]);
    expect(query({ name: { $gt: 'banana', $lt: 'date' } })).toEqual([2]);
    expect(query({ price: { $gte: '' } })).toEqual([6]);
    expect(query({ tags: { $gt: 'v' } })).toEqual([1, 2]);
  });

  it('dates: ISO strings and epoch milliseconds compare as time', () => {
    expect(query({ added: { $gte: '2024-01-01' } })).toEqual([0, 1, 3]);
    expect(query({ added: { $lt: '2024-01-01' } })).toEqual([2]);
    expect(query({ added: { $lt: '2024-03-01' } })).toEqual([0, 1, 2, 3]); // doc 3 is 2024-02-29T23:00Z
    expect(query({ added: { $lte: '2024-02-29T23:00:00Z' } })).toEqual([0, 1, 2, 3]);
    expect(query({ added: { $lt: '2024-02-29T23:00:00Z' } })).toEqual([0, 1, 2]);
    expect(query({ added: { $gt: JAN_1 } })).toEqual([0, 1, 3]);
    expect(query({ added: { $gt: 0 } })).toEqual([0, 1, 2, 3]);
    expect(query({ added: { $gte: new Date('2024-02-01') } })).toEqual([3]);
    expect(query({ added: { $gte: '2024-01-15T11:00:00+01:00', $lte: '2024-01-15T10:00:00.000Z' } })).toEqual([0, 1]);
  });

  it('dates: equality is equality in time', () => {
    expect(query({ added: '2024-01-15T10:00:00.000Z' })).toEqual([0, 1]);
    expect(query({ added: '2024-01-15T12:00+02:00' })).toEqual([0, 1]);
    expect(query({ added: JAN_15_10H })).toEqual([0, 1]);
    expect(query({ added: new Date(JAN_15_10H) })).toEqual([0, 1]);
    expect(query({ added: '2023-12-31T00:00:00Z' })).toEqual([2]);
    expect(query({ added: { $ne: JAN_15_10H } })).toEqual([2, 3, 4, 5, 6]);
    expect(query({ added: { $in: ['2023-12-31', '2024-02-29T23:00Z'] } })).toEqual([2, 3]);
  });

  it('dates: a plain string operand compares strings only, lexicographically', () => {
    expect(query({ added: 'yesterday' })).toEqual([4]);
    expect(query({ added: { $gt: 'x' } })).toEqual([4]);
    expect(query({ added: { $lt: 'x' } })).toEqual([0, 2, 3]); // the stored date strings, as strings
    expect(query({ added: { $gte: '2024-02' } })).toEqual([3, 4]); // not a full date: lexicographic
  });

  it('$exists counts null, empty arrays and objects as present', () => {
    expect(query({ price: { $exists: true } })).toEqual([0, 1, 2, 3, 4, 6]);
    expect(query({ price: { $exists: false } })).toEqual([5]);
    expect(query({ tags: { $exists: true } })).toEqual([0, 1, 2, 3, 6]);
    expect(query({ dims: { $exists: true } })).toEqual([0, 1, 2]);
    expect(query({ 'dims.h': { $exists: true } })).toEqual([0, 1]);
    expect(query({ 'variants.size': { $exists: true } })).toEqual([4]);
    expect(query({ nope: { $exists: true } })).toEqual([]);
  });

  it('dotted paths reach into objects and into arrays of objects', () => {
    expect(query({ 'dims.w': { $gte: 2 } })).toEqual([0, 1]);
    expect(query({ 'dims.h': 10 })).toEqual([0]);
    expect(query({ 'variants.color': 'white' })).toEqual([4]);
    expect(query({ 'variants.size': { $gt: 1 } })).toEqual([4]);
    expect(query({ 'variants.color': 'purple', 'variants.size': 1 })).toEqual([4]);
    expect(query({ 'dims.d': { $exists: false } })).toEqual(ALL);
    expect(query({ 'name.first': 'apple' })).toEqual([]);
    expect(query({ 'tags.0': 'fruit' })).toEqual([]); // segments are keys, not positions
  });

  it('deeper paths, arrays along the path, and unaddressable keys', () => {
    const docs: Metadata[] = [
      { a: { b: { c: 1 } } },
      { a: [{ b: [{ c: 2 }, { c: [3, 4] }] }, { b: { c: 5 } }] },
      { a: [[{ b: { c: 1 } }]] }, // arrays inside arrays are not entered
      { 'a.b': { c: 1 }, a: { 'b.c': 1 } }, // keys with dots cannot be addressed
      { a: { '': { c: 1 } } },
    ];
    expect(query({ 'a.b.c': 1 }, docs)).toEqual([0]);
    expect(query({ 'a.b.c': { $gte: 4 } }, docs)).toEqual([1]);
    expect(query({ 'a.b.c': { $in: [2, 3] } }, docs)).toEqual([1]);
    expect(query({ 'a.b': { $exists: true } }, docs)).toEqual([0, 1]);
    expect(query({ 'a.b.c': { $exists: false } }, docs)).toEqual([2, 3, 4]);
    expect(query({ a: { $exists: true } }, docs)).toEqual([0, 1, 2, 3, 4]);
  });

  it('only own keys count: Object.prototype names are ordinary fields', () => {
    const docs: Metadata[] = [{ constructor: 'x', n: { toString: 1 } }, {}, JSON.parse('{"__proto__": {"a": 1}}') as Metadata];
    expect(query({ constructor: 'x' }, docs)).toEqual([0]);
    expect(query({ constructor: { $exists: true } }, docs)).toEqual([0]);
    expect(query({ toString: { $exists: true } }, docs)).toEqual([]);
    expect(query({ 'n.toString': { $gte: 1 } }, docs)).toEqual([0]);
    expect(query({ 'n.hasOwnProperty': { $exists: false } }, docs)).toEqual([0, 1, 2]);
    expect(query({ '__proto__.a': 1 }, docs)).toEqual([2]);
  });

  it('missing fields: only negations match', () => {
    expect(query({ nope: 1 })).toEqual([]);
    expect(query({ nope: { $lt: 5 } })).toEqual([]);
    expect(query({ nope: { $in: [1, 'a'] } })).toEqual([]);
    expect(query({ nope: { $ne: 1 } })).toEqual(ALL);
    expect(query({ nope: { $nin: [1] } })).toEqual(ALL);
    expect(query({ nope: { $not: { $gt: 1 } } })).toEqual(ALL);
  });

  it('$and, $or, $not and their nesting', () => {
    expect(query({})).toEqual(ALL);
    expect(query({ inStock: true, tags: 'fruit' })).toEqual([0]);
    expect(query({ $and: [{ tags: 'fruit' }, { inStock: true }] })).toEqual([0]);
    expect(query({ $or: [{ price: { $lt: 1 } }, { name: 'date' }] })).toEqual([2, 3]);
    expect(query({ $not: { tags: 'fruit' } })).toEqual([2, 3, 4, 5]);
    expect(query({ $not: { $not: { name: 'apple' } } })).toEqual([0]);
    expect(query({ $not: { $or: [{ inStock: true }, { inStock: false }] } })).toEqual([3, 5, 6]);
    expect(query({ $or: [{ $and: [{ inStock: true }, { price: { $gt: 1 } }] }, { $not: { price: { $exists: true } } }] })).toEqual([0, 5]);
    expect(query({ $and: [{ $not: { tags: 'fruit' } }, { $not: { inStock: true } }] })).toEqual([3, 5]);
    expect(query({ $and: [{}] })).toEqual(ALL);
    expect(query({ $or: [{}, { name: 'apple' }] })).toEqual(ALL);
    expect(query({ $not: {} })).toEqual([]);
    expect(query({ inStock: true, $or: [{ tags: 'red' }, { tags: 'vegetable' }], $not: { name: 'carrot' } })).toEqual([0]);
  });

  it('field-level $not', () => {
    expect(query({ price: { $not: { $gt: 1 } } })).toEqual([2, 4, 5, 6]);
    expect(query({ tags: { $not: { $in: ['red', 'yellow'] } } })).toEqual([2, 3, 4, 5, 6]);
    expect(query({ price: { $gte: 1, $not: { $gte: 5 } } })).toEqual([0, 1]);
    expect(query({ price: { $not: { $not: { $eq: 3 } } } })).toEqual([0]);
  });
});

describe('parseIsoTime', () => {
  it('reads dates, times, fractions and zones; no zone means UTC', () => {
    expect(parseIsoTime('2024-01-01')).toBe(JAN_1);
    expect(parseIsoTime('2024-01-15T10:00:00Z')).toBe(JAN_15_10H);
    expect(parseIsoTime('2024-01-15T10:00:00.000Z')).toBe(JAN_15_10H);
    expect(parseIsoTime('2024-01-15T10:00Z')).toBe(JAN_15_10H);
    expect(parseIsoTime('2024-01-15T10:00')).toBe(JAN_15_10H);
    expect(parseIsoTime('2024-01-15T11:30:00+01:30')).toBe(JAN_15_10H);
    expect(parseIsoTime('2024-01-15T11:30:00+0130')).toBe(JAN_15_10H);
    expect(parseIsoTime('2024-01-15T09:00:00-01')).toBe(JAN_15_10H);
    expect(parseIsoTime('2024-01-15T10:00:00.1234567Z')).toBe(JAN_15_10H + 123);
    expect(parseIsoTime('2024-01-15T10:00:00.5Z')).toBe(JAN_15_10H + 500);
    expect(parseIsoTime('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseIsoTime('1969-12-31T23:59:59.999Z')).toBe(-1);
    expect(parseIsoTime('0099-03-01')).toBe(Date.parse('0099-03-01T00:00:00Z'));
    expect(parseIsoTime('0000-01-01')).toBe(Date.parse('0000-01-01T00:00:00Z'));
    expect(parseIsoTime(new Date(1_700_000_000_123).toISOString())).toBe(1_700_000_000_123);
  });

  it('agrees with Date.parse on random valid timestamps', () => {
    const next = rng(11);
    for (let i = 0; i < 1000; i++) {
      const ms = Math.floor((next() - 0.5) * 2 * 8e12);
      const iso = new Date(ms).toISOString();
      expect(parseIsoTime(iso)).toBe(ms);
      expect(parseIsoTime(iso.slice(0, 10))).toBe(Date.parse(iso.slice(0, 10)));
    }
  });

  it.each([
    '2024', '2024-01', '2024-1-1', '24-01-01', '2024-13-01', '2024-00-10', '2024-02-30', '2023-02-29', '2024-04-31',
    '2024-01-01T24:00', '2024-01-01T10:60', '2024-01-01T10:00:60', '2024-01-01T10', '2024-01-01 10:00',
    '2024-01-01T10:00:00+24:00', '2024-01-01T10:00:00+01:60', '2024-01-01T10:00:00.Z', ' 2024-01-01', '2024-01-01Z',
    'yesterday', '',
  ])('rejects %j', (text) => {
    expect(parseIsoTime(text)).toBeUndefined();
  });
});

describe('MetadataIndex', () => {
  function found(index: MetadataIndex, filter: unknown): number[] {
    const { bitset, count } = index.evaluate(compileFilter(filter));
    expect(bitset.length).toBe(Math.ceil(index.labelBound / 32));
    expect(count).toBe(labelsOf(bitset).length);
    return labelsOf(bitset);
  }

  it('is empty before any add', () => {
    const index = new MetadataIndex();
    expect(index.evaluate(compileFilter({}))).toEqual({ bitset: new Uint32Array(0), count: 0 });
    expect(index.size).toBe(0);
    expect(index.labelBound).toBe(0);
  });

  it('add on a live label replaces its values', () => {
    const index = new MetadataIndex();
    index.add(0, { a: 1, tags: ['x', 'y'], d: '2024-01-01' });
    index.add(0, { a: 2, tags: ['y'] });
    expect(index.size).toBe(1);
    expect(found(index, { a: 1 })).toEqual([]);
    expect(found(index, { a: 2 })).toEqual([0]);
    expect(found(index, { tags: 'x' })).toEqual([]);
    expect(found(index, { tags: 'y' })).toEqual([0]);
    expect(found(index, { d: { $exists: true } })).toEqual([]);
    expect(found(index, { d: { $lt: '2025-01-01' } })).toEqual([]);
    index.add(0, undefined);
    expect(found(index, { a: { $exists: false } })).toEqual([0]);
  });

  it('remove drops a label from every result, negations included', () => {
    const index = indexOf(DOCS);
    index.remove(1);
    expect(index.size).toBe(6);
    expect(index.has(1)).toBe(false);
    expect(found(index, { tags: 'fruit' })).toEqual([0, 6]);
    expect(found(index, { inStock: { $ne: true } })).toEqual([3, 5, 6]);
    expect(found(index, { added: JAN_15_10H })).toEqual([0]);
    expect(found(index, { price: { $lt: 2 } })).toEqual([2]);
    expect(found(index, {})).toEqual([0, 2, 3, 4, 5, 6]);
    index.remove(1); // twice: ignored
    index.remove(99); // never added: ignored
    expect(index.size).toBe(6);
    expect(index.labelBound).toBe(7);
  });

  it('labelBound keeps the highest label ever added', () => {
    const index = new MetadataIndex();
    index.add(100, { a: 1 });
    expect(index.labelBound).toBe(101);
    expect(found(index, { a: 1 })).toEqual([100]);
    index.remove(100);
    expect(index.labelBound).toBe(101);
    expect(found(index, {})).toEqual([]);
    index.add(3, { a: 1 });
    expect(found(index, { a: { $gte: 1 } })).toEqual([3]);
  });

  it('a reused label carries only its new document', () => {
    const index = indexOf([{ k: 'a', n: 1 }, { k: 'b', n: 2 }, { k: 'c', n: 3 }]);
    index.remove(1);
    index.add(1, { k: 'z', n: 30, extra: true });
    expect(found(index, { k: 'b' })).toEqual([]);
    expect(found(index, { k: 'z' })).toEqual([1]);
    expect(found(index, { n: { $gt: 2 } })).toEqual([1, 2]);
    expect(found(index, { n: 2 })).toEqual([]);
    expect(found(index, { extra: { $exists: true } })).toEqual([1]);
    expect(found(index, { k: { $ne: 'a' } })).toEqual([1, 2]);
  });

  it('ranges see values removed and re-added between queries', () => {
    const index = indexOf([{ n: 1, s: 'a' }, { n: 2, s: 'b' }]);
    expect(found(index, { n: { $gte: 1 } })).toEqual([0, 1]);
    expect(found(index, { s: { $gt: '' } })).toEqual([0, 1]);
    index.remove(1); // the keys 2 and 'b' empty out but stay in the sorted lists
    expect(found(index, { n: { $gte: 2 } })).toEqual([]);
    expect(found(index, { s: { $gte: 'b' } })).toEqual([]);
    index.add(2, { n: 2, s: 'b' }); // ...and come back with new postings
    expect(found(index, { n: { $gte: 2 } })).toEqual([2]);
    expect(found(index, { s: { $gte: 'b' } })).toEqual([2]);
    expect(found(index, { n: { $gt: 0, $lte: 2 } })).toEqual([0, 2]);
    for (let label = 3; label < 200; label++) index.add(label, { n: label, s: `k${label}` });
    for (let label = 3; label < 200; label++) if (label % 4 !== 0) index.remove(label); // most keys now empty
    expect(found(index, { n: { $gt: 100 } })).toEqual([104, 108, 112, 116, 120, 124, 128, 132, 136, 140, 144, 148, 152, 156, 160, 164, 168, 172, 176, 180, 184, 188, 192, 196]);
    expect(found(index, { n: { $lt: 10 } })).toEqual([0, 2, 4, 8]);
  });

  it('ranges on multi-valued fields keep any-element semantics', () => {
    const index = indexOf([{ v: [1, 9] }, { v: 5 }, { v: [2, 3] }, { v: [] }]);
    expect(found(index, { v: { $gt: 4, $lt: 6 } })).toEqual([0, 1]);
    expect(found(index, { v: { $gt: 1.5 } })).toEqual([0, 1, 2]);
    index.remove(0);
    index.remove(2); // single-valued again: intervals intersect, large ones complement
    expect(found(index, { v: { $gt: 4, $lt: 6 } })).toEqual([1]);
    expect(found(index, { v: { $gt: 0 } })).toEqual([1]);
  });

  it('stays exact through many adds, removes and reuses (bitset postings)', () => {
    const index = new MetadataIndex();
    const docs: (Metadata | undefined)[] = [];
    const next = rng(3);
    const put = (label: number) => {
      const doc = { g: label % 3, h: Math.floor(next() * 50), s: `s${label % 7}`, on: label % 2 === 0 };
      docs[label] = doc;
      index.add(label, doc);
    };
    for (let label = 0; label < 3000; label++) put(label);
    for (let label = 0; label < 3000; label += 5) {
      index.remove(label);
      docs[label] = undefined;
    }
    for (let label = 0; label < 3000; label += 10) put(label);
    const filters = [
      { g: 1 }, { g: { $ne: 1 } }, { h: { $gte: 10, $lt: 40 } }, { s: { $in: ['s1', 's6'] } }, { on: false },
      { $or: [{ g: 0 }, { h: { $lt: 5 } }] }, { $not: { on: true } }, { s: { $gt: 's3' } }, {},
    ];
    for (const filter of filters) {
      const compiled = compileFilter(filter);
      const expected = docs.flatMap((doc, label) => (doc !== undefined && matches(compiled, doc) ? [label] : []));
      expect(found(index, filter)).toEqual(expected);
    }
    expect(index.size).toBe(docs.filter((doc) => doc !== undefined).length);
  });

  it('rejects labels that are not non-negative integers', () => {
    const index = new MetadataIndex();
    for (const label of [-1, 1.5, Number.NaN, 2 ** 31]) {
      const error = errorOf(() => index.add(label, {}));
      expect(isQuiverError(error) && error.code).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('MetadataIndex.serialize', () => {
  it('reads back an index that answers every filter alike, and refuses bytes it cannot read', () => {
    const copy = MetadataIndex.deserialize(indexOf(DOCS).serialize());
    for (const filter of [{ name: 'apple' }, { 'dims.w': { $gte: 2 } }, { tags: 'fruit' }, { added: { $lt: '2024-01-15T10:00:01Z' } }, { inStock: { $exists: false } }, { flags: false }]) {
      expect(labelsOf(copy.evaluate(compileFilter(filter)).bitset)).toEqual(query(filter));
    }
    expect([copy.size, copy.labelBound]).toEqual([DOCS.length, DOCS.length]);
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(() => MetadataIndex.deserialize(bytes('{"format":2,"labelBound":0}'))).toThrow('metadata index format 2');
    expect(() => MetadataIndex.deserialize(bytes('{"format":1,"labelBound":1}\n[["a",0]]'))).toThrow('label 0 is malformed');
    expect(() => MetadataIndex.deserialize(bytes('{"format":1,'))).toThrow();
  });
});

describe('malformed filters', () => {
  const deep = (levels: number): unknown => {
    let filter: unknown = { a: 1 };
    for (let i = 0; i < levels; i++) filter = { $not: filter };
    return filter;
  };

  it.each<[string, unknown, string]>([
    ['null', null, 'filter'],
    ['undefined', undefined, 'filter'],
    ['a number', 5, 'filter'],
    ['a string', 'a = 1', 'filter'],
    ['an array', [{ a: 1 }], 'filter'],
    ['a Date', new Date(0), 'filter'],
    ['a Map', new Map([['a', 1]]), 'filter'],
    ['a class instance', new (class Filter { a = 1; })(), 'filter'],
    ['an unknown top-level operator', { $nor: [{ a: 1 }] }, 'filter.$nor'],
    ['an unknown top-level operator beside fields', { a: 1, $where: 'x' }, 'filter.$where'],
    ['an unknown field operator', { a: { $regex: 'x' } }, 'filter.a.$regex'],
    ['$elemMatch', { a: { $elemMatch: { b: 1 } } }, 'filter.a.$elemMatch'],
    ['$and at field level', { a: { $and: [{ $gt: 1 }] } }, 'filter.a.$and'],
    ['$or at field level', { a: { $or: [1, 2] } }, 'filter.a.$or'],
    ['$in not an array', { a: { $in: 'x' } }, 'filter.a.$in'],
    ['$in an object', { a: { $in: { x: 1 } } }, 'filter.a.$in'],
    ['$nin not an array', { a: { $nin: 5 } }, 'filter.a.$nin'],
    ['$in with an object element', { a: { $in: [1, {}] } }, 'filter.a.$in[1]'],
    ['$in with a null element', { a: { $in: [null] } }, 'filter.a.$in[0]'],
    ['$nin with an array element', { a: { $nin: ['x', [1]] } }, 'filter.a.$nin[1]'],
    ['$in with NaN', { a: { $in: [Number.NaN] } }, 'filter.a.$in[0]'],
    ['$gt with a boolean', { a: { $gt: true } }, 'filter.a.$gt'],
    ['$gte with an object', { a: { $gte: {} } }, 'filter.a.$gte'],
    ['$lt with an array', { a: { $lt: [1] } }, 'filter.a.$lt'],
    ['$lte with null', { a: { $lte: null } }, 'filter.a.$lte'],
    ['$gt with NaN', { a: { $gt: Number.NaN } }, 'filter.a.$gt'],
    ['$lt with Infinity', { a: { $lt: Infinity } }, 'filter.a.$lt'],
    ['$gt with an invalid Date', { a: { $gt: new Date('nope') } }, 'filter.a.$gt'],
    ['$exists with a number', { a: { $exists: 1 } }, 'filter.a.$exists'],
    ['$exists with a string', { a: { $exists: 'true' } }, 'filter.a.$exists'],
    ['$exists with null', { a: { $exists: null } }, 'filter.a.$exists'],
    ['$and not an array', { $and: { a: 1 } }, 'filter.$and'],
    ['$and empty', { $and: [] }, 'filter.$and'],
    ['$or empty', { $or: [] }, 'filter.$or'],
    ['$or a string', { $or: 'a' }, 'filter.$or'],
    ['$or with a number', { $or: [1] }, 'filter.$or[0]'],
    ['$and with null', { $and: [{ a: 1 }, null] }, 'filter.$and[1]'],
    ['$or with an array', { $or: [{ a: 1 }, [{ b: 1 }]] }, 'filter.$or[1]'],
    ['$not an array', { $not: [{ a: 1 }] }, 'filter.$not'],
    ['$not a number', { $not: 1 }, 'filter.$not'],
    ['$not null', { $not: null }, 'filter.$not'],
    ['field $not a value', { a: { $not: 5 } }, 'filter.a.$not'],
    ['field $not empty', { a: { $not: {} } }, 'filter.a.$not'],
    ['field $not without operators', { a: { $not: { b: 1 } } }, 'filter.a.$not'],
    ['$eq with an object', { a: { $eq: {} } }, 'filter.a.$eq'],
    ['$eq with an array', { a: { $eq: [1] } }, 'filter.a.$eq'],
    ['$ne with an object', { a: { $ne: { x: 1 } } }, 'filter.a.$ne'],
    ['$eq with null', { a: { $eq: null } }, 'filter.a.$eq'],
    ['$eq with a bigint', { a: { $eq: 1n } }, 'filter.a.$eq'],
    ['an array shorthand', { tags: ['a', 'b'] }, 'filter.tags'],
    ['an object shorthand', { a: { b: 1 } }, 'filter.a'],
    ['an empty object shorthand', { a: {} }, 'filter.a'],
    ['a null shorthand', { a: null }, 'filter.a'],
    ['an undefined shorthand', { a: undefined }, 'filter.a'],
    ['a function shorthand', { a: () => 1 }, 'filter.a'],
    ['a symbol shorthand', { a: Symbol('x') }, 'filter.a'],
    ['a NaN shorthand', { a: Number.NaN }, 'filter.a'],
    ['operators mixed with keys', { a: { $gt: 1, b: 2 } }, 'filter.a.b'],
    ['an Object.prototype name among operators', { a: { $gt: 1, constructor: 2 } }, 'filter.a.constructor'],
    ['toString among operators', { a: { toString: 2, $lt: 1 } }, 'filter.a.toString'],
    ['an own __proto__ key among operators', JSON.parse('{"a": {"$gt": 1, "__proto__": 2}}'), 'filter.a.__proto__'],
    ['an own __proto__ operator object', JSON.parse('{"a": {"__proto__": {"$gt": 1}}}'), 'filter.a'],
    ['an empty path', { '': 1 }, 'filter.'],
    ['an empty segment', { 'a..b': 1 }, 'filter.a..b'],
    ['a leading dot', { '.a': 1 }, 'filter..a'],
    ['a trailing dot', { 'a.': 1 }, 'filter.a.'],
    ['nesting beyond the limit', deep(MAX_FILTER_DEPTH + 5), 'filter.$not.$not'],
    ['a deep error inside $or', { $or: [{ a: 1 }, { tags: { $in: 'x' } }] }, 'filter.$or[1].tags.$in'],
    ['a deep error inside $and/$not', { $and: [{ a: 1 }, { $not: { b: { $gt: false } } }] }, 'filter.$and[1].$not.b.$gt'],
    ['a deep error inside field $not', { price: { $not: { $in: [1, null] } } }, 'filter.price.$not.$in[1]'],
  ])('%s', (_name, filter, path) => {
    const error = errorOf(() => compileFilter(filter));
    expect(isQuiverError(error) && error.code).toBe('INVALID_FILTER');
    expect((error as Error).message).toContain(path);
  });

  it('accepts nesting up to the limit', () => {
    expect(() => compileFilter(deep(MAX_FILTER_DEPTH - 1))).not.toThrow();
  });

  it('accepts Date operands and null-prototype objects', () => {
    const filter = Object.assign(Object.create(null) as Record<string, unknown>, { added: { $lt: new Date(JAN_1) } });
    expect(query(filter)).toEqual([2]);
  });

  it('anything else either compiles or throws INVALID_FILTER', () => {
    const key = fc.constantFrom('$and', '$or', '$not', '$eq', '$in', '$nin', '$gt', '$exists', '$foo', 'a', 'a.b', '.x', 'tags');
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 1 }),
        fc.dictionary(key, tie('tree'), { maxKeys: 3 }),
        fc.array(tie('tree'), { maxLength: 3 }),
      ),
    }));
    fc.assert(
      fc.property(tree, (filter) => {
        const error = errorOf(() => compileFilter(filter));
        return error === undefined || (isQuiverError(error) && error.code === 'INVALID_FILTER');
      }),
      { seed: 5, numRuns: 2000 },
    );
  });
});

describe('MetadataIndex.evaluate agrees with matches (property)', () => {
  const dates = ['2024-01-01', '2024-01-01T00:00:00Z', '2023-12-31T23:00:00-01:00', '2024-01-02T00:00:00+01:00', '2024-01-01T12:00'];
  const strings = fc.constantFrom('a', 'b', 'B', '', 'ab', 'z', ...dates);
  const numbers = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(0.5, -0, JAN_1, JAN_1 + 3_600_000, 1e15));
  const scalar = fc.oneof(numbers, strings, fc.boolean());
  const stored = fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: fc.constant(null) });
  const value = fc.oneof(
    { weight: 4, arbitrary: stored },
    { weight: 2, arbitrary: fc.array(stored, { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.record({ x: stored, y: fc.array(stored, { maxLength: 2 }) }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.array(fc.record({ x: stored, y: stored }, { requiredKeys: [] }), { maxLength: 3 }) },
  );
  const document = fc.option(
    fc.record({ a: value, b: value, c: value, n: value, o: value }, { requiredKeys: [] }),
    { nil: undefined, freq: 8 },
  );
  const path = fc.constantFrom('a', 'b', 'c', 'n', 'n.x', 'n.y', 'o.x', 'o.y', 'missing', 'a.x');
  const operand = fc.oneof(scalar, fc.constant(new Date(JAN_1)));
  const rangeOperand = fc.oneof(numbers, strings);
  const ops = fc.oneof(
    operand,
    fc.record({ $eq: operand }),
    fc.record({ $ne: operand }),
    fc.record({ $in: fc.array(operand, { maxLength: 3 }) }),
    fc.record({ $nin: fc.array(operand, { maxLength: 3 }) }),
    fc.record({ $exists: fc.boolean() }),
    fc.record({ $gt: rangeOperand, $gte: rangeOperand, $lt: rangeOperand, $lte: rangeOperand }, { requiredKeys: [] })
      .filter((record) => Object.keys(record).length > 0),
    fc.record({ $not: fc.record({ $gte: rangeOperand, $in: fc.array(operand, { maxLength: 2 }) }, { requiredKeys: ['$gte'] }) }),
  );
  const { filter } = fc.letrec((tie) => ({
    filter: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.dictionary(path, ops, { minKeys: 0, maxKeys: 2 }),
      fc.record({ $and: fc.array(tie('filter'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ $or: fc.array(tie('filter'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ $not: tie('filter') }),
    ),
  }));
  const step = fc.oneof(
    { weight: 3, arbitrary: fc.record({ label: fc.integer({ min: 0, max: 40 }), doc: document }) },
    { weight: 1, arbitrary: fc.record({ label: fc.integer({ min: 0, max: 40 }), remove: fc.constant(true as const) }) },
    // Queries between writes exercise the lazy re-sort of range keys.
    { weight: 1, arbitrary: fc.constant({ verify: true as const }) },
    // A snapshot's copy of the index (serialize, deserialize) goes on taking writes like the original.
    { weight: 1, arbitrary: fc.constant({ roundTrip: true as const }) },
  );

  type Step = { label: number; doc: Metadata | undefined } | { label: number; remove: true } | { verify: true } | { roundTrip: true };

  /** Applies `steps` to an index and to a Map model; at each `verify` step and at the end, every filter must agree. */
  function check(steps: readonly Step[], filters: readonly unknown[]): void {
    let index = new MetadataIndex();
    const model = new Map<number, Metadata | undefined>();
    const compiled = filters.map((f) => compileFilter(f));
    let bound = 0;
    const verify = () => {
      expect(index.size).toBe(model.size);
      expect(index.labelBound).toBe(bound);
      for (const filter of compiled) {
        const { bitset, count } = index.evaluate(filter);
        const expected: number[] = [];
        for (let label = 0; label < bound; label++) {
          if (model.has(label) && matches(filter, model.get(label))) expected.push(label);
        }
        expect(bitset.length).toBe(Math.ceil(bound / 32));
        expect(labelsOf(bitset)).toEqual(expected);
        expect(count).toBe(expected.length);
      }
    };
    for (const s of steps) {
      if ('verify' in s) {
        verify();
      } else if ('roundTrip' in s) {
        index = MetadataIndex.deserialize(index.serialize());
      } else if ('remove' in s) {
        index.remove(s.label);
        model.delete(s.label);
      } else {
        index.add(s.label, s.doc);
        model.set(s.label, s.doc);
        bound = Math.max(bound, s.label + 1);
      }
    }
    verify();
  }

  it('on random documents, writes and filters', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), fc.array(filter, { minLength: 1, maxLength: 8 }), (steps, filters) => {
        check(steps, filters);
      }),
      { seed: 20240101, numRuns: 300 },
    );
  });

  it('at a few thousand labels, where postings become bitsets', () => {
    const docs = fc.sample(document, { seed: 7, numRuns: 3000 });
    const filters = fc.sample(filter, { seed: 8, numRuns: 150 });
    const next = rng(9);
    const steps: Step[] = [];
    docs.forEach((doc, label) => steps.push({ label, doc }));
    steps.push({ verify: true });
    for (let i = 1; i <= 1500; i++) {
      if (i % 500 === 0) steps.push({ verify: true });
      const label = Math.floor(next() * docs.length);
      steps.push(next() < 0.5 ? { label, remove: true } : { label, doc: docs[Math.floor(next() * docs.length)] });
    }
    check(steps, filters);
  });
});
