/**
 * Answers compiled filters (filter.ts) from indexes instead of scanning
 * documents. Over 600 lines, and one job: the sorted key lists, the
 * per-label records, the bottom-up evaluation and the snapshot
 * serialisation all read and rebuild the same private per-field maps (see
 * the last paragraph); the posting itself is in ../keyword/posting.ts. Per
 * field path:
 * - `exists`: the labels where the path reaches anything;
 * - `numbers`: value -> labels on the number/time axis (numbers, and date
 *   strings as epoch ms), with a sorted key list for ranges;
 * - `strings`: value -> labels for every string (date strings included),
 *   with a sorted key list for lexicographic ranges;
 * - `trues` / `falses`: labels holding each boolean.
 * A filter is evaluated bottom-up into bitsets over labels combined word by
 * word; negations complement against the live set. Results are identical to
 * `matches` (filter.ts) applied to each live document; the property test in
 * test/core/filter.test.ts checks exactly that.
 *
 * A posting (the labels of one value) is one inline label, then a small
 * unsorted array while that is cheaper than a bitset, then a bitset once it
 * holds more labels than the bitset has words: memory and the cost of OR-ing
 * it stay within min(labels, words). Removal is O(1) from a bitset and a
 * scan of at most `words` entries from an array.
 *
 * Ranges binary-search the sorted distinct keys and OR the postings between
 * the bounds. While no document holds two keys of one field on one axis
 * (the usual case: `price: 3`, not `prices: [3, 9]`), two bounds on that
 * field in one `$and` are intersected into one interval, and an interval
 * covering more than half the keys is answered as its complement (labels
 * with any key, minus those outside), so a range costs at most half the
 * field's postings. Sorted key lists are rebuilt lazily, when a range query
 * finds new distinct values (or many removed ones), by merging the old list
 * with the sorted new keys: O(distinct + new log new), not O(n log n).
 *
 * It stays in one file because serialisation for snapshots (`serialize`,
 * `deserializer`) rebuilds the postings and per-label records through the
 * same private methods `add` uses; moved to a file of its own it would need
 * them public.
 */
import { grow, popcount } from '../bitset.js';
import { createError } from '../errors.js';
import { isAddressableKey, isObject, parseIsoTime, type CompiledFilter, type FilterNode, type RangeOp } from './filter.js';
import { Posting } from '../keyword/posting.js';

/** Largest label `MetadataIndex` accepts (bit positions must fit in 32-bit words). */
export const MAX_LABEL = 2 ** 31 - 1;
/** Above this many values in one field of one document, duplicates are found with a Set. */
const SMALL_DEDUPE = 16;
/** Up to this many new distinct values are inserted into a sorted key list in place; more are merged. */
const FEW_NEW_KEYS = 32;

/** Labels matching a filter: bit i of `bitset` (word i >>> 5, bit i & 31) set = label i matches. */
export interface FilterResult {
  /** ceil(labelBound / 32) words; bits at and above labelBound are zero. */
  bitset: Uint32Array;
  /** Number of set bits: matching live labels. */
  count: number;
}

/**
 * Inverted and sorted indexes over document metadata, keyed by label.
 * `add` (insert or replace), `remove`, then `evaluate` any number of
 * compiled filters. Labels may be reused after `remove`.
 */
export class MetadataIndex {
  readonly #fields = new Map<string, FieldIndex>();
  /** Per label, what `add` indexed, flat (see `LabelRecord`), so `remove` can undo it. */
  #records: (LabelRecord | undefined)[] = [];
  #live: Uint32Array = new Uint32Array(4);
  #size = 0;
  #labelBound = 0;

  /** Number of live labels. */
  get size(): number {
    return this.#size;
  }

  /** 1 + the highest label ever added (0 when none): the length in bits of every result. */
  get labelBound(): number {
    return this.#labelBound;
  }

  /** Whether `label` is live (added and not removed since). */
  has(label: number): boolean {
    return label >>> 5 < this.#live.length && (this.#live[label >>> 5]! & (1 << (label & 31))) !== 0;
  }

  /**
   * Indexes `metadata` under `label`, replacing whatever the label held.
   * A label added with `undefined` metadata is live and has no fields: it
   * matches `$ne`, `$nin`, `$exists: false` and `$not` of anything.
   */
  add(label: number, metadata: Readonly<Record<string, unknown>> | undefined): void {
    if (!Number.isInteger(label) || label < 0 || label > MAX_LABEL) {
      throw createError('INVALID_ARGUMENT', 'label', `an integer from 0 to ${MAX_LABEL}`, label);
    }
    if (metadata === undefined || metadata === null) {
      this.#addValues(label, []);
      return;
    }
    const paths = new Map<string, unknown[]>();
    collectPaths([metadata], '', paths);
    const entries: FieldValues[] = [];
    for (const [path, reached] of paths) entries.push({ path, ...valuesOf(reached) });
    this.#addValues(label, entries);
  }

  /** `add` with the values already sorted out per path. */
  #addValues(label: number, entries: readonly FieldValues[]): void {
    if (this.has(label)) this.remove(label);
    this.#markLive(label);
    if (entries.length === 0) return;
    const record: LabelRecord = [];
    for (const { path, strings, numbers, booleans } of entries) {
      const field = this.#indexValues(path, label, strings, numbers, booleans);
      record.push(field, booleans, strings.length, ...strings, numbers.length, ...numbers);
    }
    this.#records[label] = record.slice(); // exact length: push reserves spare slots
  }

  /** Sets `label` live and counts it (the caller removed any earlier state). */
  #markLive(label: number): void {
    if (label >= this.#labelBound) this.#labelBound = label + 1;
    const word = label >>> 5;
    if (word >= this.#live.length) this.#live = grow(this.#live, word + 1);
    this.#live[word]! |= 1 << (label & 31);
    this.#size++;
  }

  /** Puts `label` in the postings of `path`'s values; returns the path's field. */
  #indexValues(path: string, label: number, strings: readonly string[], numbers: readonly number[], booleans: number): FieldIndex {
    let field = this.#fields.get(path);
    if (field === undefined) {
      field = new FieldIndex(path);
      this.#fields.set(path, field);
    }
    const bound = this.#labelBound;
    field.exists.add(label, bound);
    field.strings.add(strings, label, bound);
    field.numbers.add(numbers, label, bound);
    if (booleans & TRUE) field.trues.add(label, bound);
    if (booleans & FALSE) field.falses.add(label, bound);
    return field;
  }

  /**
   * The index as bytes, for snapshots: what each live label indexed (its
   * record, with its fields' paths), as JSON lines of SERIALIZED_CHUNK
   * labels each after a header line, so that reading it back
   * (`deserializer`) can go a chunk at a time between other work. Reading
   * it back skips the store and parsing every document's metadata.
   */
  serialize(): Uint8Array {
    const lines = [JSON.stringify({ format: SERIALIZED_FORMAT, labelBound: this.#labelBound })];
    for (let from = 0; from < this.#labelBound; from += SERIALIZED_CHUNK) {
      const labels: SerializedLabel[] = [];
      for (let label = from; label < Math.min(this.#labelBound, from + SERIALIZED_CHUNK); label++) {
        if (!this.has(label)) labels.push(0);
        else {
          const record = this.#records[label];
          labels.push(record === undefined ? 1 : record.map((item) => (item instanceof FieldIndex ? item.path : item)));
        }
      }
      lines.push(JSON.stringify(labels));
    }
    return Buffer.from(lines.join('\n'));
  }

  /**
   * Reads `serialize`'s bytes back into a new index, a chunk of labels per
   * `step` (true once all are in). Throws, at once or from a step, on bytes
   * it cannot read.
   */
  static deserializer(bytes: Uint8Array): { index: MetadataIndex; step(): boolean } {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    const lines = text.split('\n');
    const header = JSON.parse(lines[0]!) as { format?: unknown; labelBound?: unknown };
    if (header.format !== SERIALIZED_FORMAT || typeof header.labelBound !== 'number') throw new Error(`metadata index format ${String(header.format)}, expected ${SERIALIZED_FORMAT}`);
    const labelBound = header.labelBound;
    const index = new MetadataIndex();
    let line = 1;
    const step = (): boolean => {
      if (line < lines.length) {
        const labels = JSON.parse(lines[line]!) as SerializedLabel[];
        const from = (line - 1) * SERIALIZED_CHUNK;
        if (!Array.isArray(labels)) throw new Error(`metadata index chunk ${line} is malformed`);
        for (let i = 0; i < labels.length; i++) {
          const entry = labels[i];
          if (entry === 0) continue;
          if (entry === 1) index.#addValues(from + i, []);
          else if (!Array.isArray(entry) || !index.#addRecord(from + i, entry)) throw new Error(`metadata index entry of label ${from + i} is malformed`);
        }
        line++;
      }
      if (line < lines.length) return false;
      // labelBound never shrinks: labels past the last live one still count.
      index.#labelBound = Math.max(index.#labelBound, labelBound);
      return true;
    };
    return { index, step };
  }

  /** `deserializer` read to the end at once. */
  static deserialize(bytes: Uint8Array): MetadataIndex {
    const reader = MetadataIndex.deserializer(bytes);
    while (!reader.step());
    return reader.index;
  }

  /** Adds a serialised record (paths in place of fields) for a label not yet here; false when it is malformed. */
  #addRecord(label: number, entry: (string | number)[]): boolean {
    this.#markLive(label);
    const record: LabelRecord = new Array(entry.length);
    let i = 0;
    while (i < entry.length) {
      const path = entry[i];
      const booleans = entry[i + 1];
      const stringCount = entry[i + 2];
      if (typeof path !== 'string' || typeof booleans !== 'number' || typeof stringCount !== 'number') return false;
      record[i + 1] = booleans;
      record[i + 2] = stringCount;
      const strings = entry.slice(i + 3, i + 3 + stringCount) as string[];
      const numberAt = i + 3 + stringCount;
      const numberCount = entry[numberAt];
      if (typeof numberCount !== 'number' || numberAt + 1 + numberCount > entry.length) return false;
      const numbers = entry.slice(numberAt + 1, numberAt + 1 + numberCount) as number[];
      for (let j = i + 3; j <= numberAt + numberCount; j++) record[j] = entry[j]!;
      record[i] = this.#indexValues(path, label, strings, numbers, booleans);
      i = numberAt + 1 + numberCount;
    }
    this.#records[label] = record;
    return true;
  }

  /** Drops `label` and its values; a label that is not live is ignored. `labelBound` does not shrink. */
  remove(label: number): void {
    if (!this.has(label)) return;
    this.#live[label >>> 5]! &= ~(1 << (label & 31));
    this.#size--;
    const record = this.#records[label];
    if (record === undefined) return;
    this.#records[label] = undefined;
    let i = 0;
    while (i < record.length) {
      const field = record[i++] as FieldIndex;
      const booleans = record[i++] as number;
      const stringCount = record[i++] as number;
      field.strings.remove(record.slice(i, (i += stringCount)) as string[], label);
      const numberCount = record[i++] as number;
      field.numbers.remove(record.slice(i, (i += numberCount)) as number[], label);
      field.exists.remove(label);
      if (booleans & TRUE) field.trues.remove(label);
      if (booleans & FALSE) field.falses.remove(label);
      // Every value implies `exists`, so an empty `exists` means an empty field.
      if (field.exists.size === 0) this.#fields.delete(field.path);
    }
  }

  /**
   * The live labels matching `filter`, as a bitset over 0..labelBound-1 and
   * a count. Cost is proportional to the postings touched plus a few passes
   * over ceil(labelBound / 32) words per operator, never to the documents.
   */
  evaluate(filter: CompiledFilter): FilterResult {
    const words = Math.ceil(this.#labelBound / 32);
    const bitset = this.#evaluate(filter.root, words);
    return { bitset, count: popcount(bitset) };
  }

  #evaluate(node: FilterNode, words: number): Uint32Array {
    switch (node.kind) {
      case 'all':
        return this.#live.slice(0, words);
      case 'not': {
        const result = this.#live.slice(0, words);
        andNot(result, this.#evaluate(node.node, words));
        return result;
      }
      case 'and':
        return this.#evaluateAnd(node.nodes, words);
      case 'or': {
        const result = new Uint32Array(words);
        for (const child of node.nodes) {
          if (isLeaf(child)) this.#orLeaf(child, result);
          else or(result, this.#evaluate(child, words));
        }
        return result;
      }
      default: {
        const result = new Uint32Array(words);
        this.#orLeaf(node, result);
        return result;
      }
    }
  }

  /**
   * Positive children intersect; negated ones are subtracted afterwards,
   * which saves complementing them against the live set. Bounds on one
   * single-valued field and axis become one interval (see the file comment).
   */
  #evaluateAnd(nodes: readonly FilterNode[], words: number): Uint32Array {
    let result: Uint32Array | undefined;
    const intersect = (bits: Uint32Array) => {
      if (result === undefined) result = bits;
      else and(result, bits);
    };
    const negated: FilterNode[] = [];
    let intervals: Map<ValueIndex<number> | ValueIndex<string>, [from: number, to: number]> | undefined;
    for (const child of nodes) {
      if (child.kind === 'not') {
        negated.push(child.node);
      } else if (child.kind === 'range') {
        const range = this.#interval(child);
        if (range === undefined) return new Uint32Array(words);
        const { values, from, to } = range;
        if (!values.singleValued) {
          const bits = new Uint32Array(words);
          values.orInterval(from, to, bits);
          intersect(bits);
          continue;
        }
        intervals ??= new Map();
        const seen = intervals.get(values);
        intervals.set(values, seen === undefined ? [from, to] : [Math.max(seen[0], from), Math.min(seen[1], to)]);
      } else if (child.kind !== 'all') {
        intersect(this.#evaluate(child, words));
      }
    }
    if (intervals !== undefined) {
      for (const [values, [from, to]] of intervals) {
        const bits = new Uint32Array(words);
        values.orInterval(from, to, bits);
        intersect(bits);
      }
    }
    result ??= this.#live.slice(0, words);
    for (const child of negated) andNot(result, this.#evaluate(child, words));
    return result;
  }

  /** The index a range node reads and its interval there; undefined when no document has the field. */
  #interval(node: FilterNode & { kind: 'range' }): { values: ValueIndex<number> | ValueIndex<string>; from: number; to: number } | undefined {
    const field = this.#fields.get(node.path);
    if (field === undefined) return undefined;
    const { operand, op } = node;
    const values = operand.type === 'number' ? field.numbers : field.strings;
    const [from, to] = operand.type === 'number' ? field.numbers.interval(op, operand.value) : field.strings.interval(op, operand.value);
    return { values, from, to };
  }

  #orLeaf(node: FilterNode & { kind: 'exists' | 'equals' | 'range' }, result: Uint32Array): void {
    const field = this.#fields.get(node.path);
    if (field === undefined) return;
    switch (node.kind) {
      case 'exists':
        field.exists.orInto(result);
        return;
      case 'equals':
        for (const operand of node.values) {
          if (operand.type === 'number') field.numbers.get(operand.value)?.orInto(result);
          else if (operand.type === 'string') field.strings.get(operand.value)?.orInto(result);
          else (operand.value ? field.trues : field.falses).orInto(result);
        }
        return;
      case 'range': {
        const range = this.#interval(node);
        range?.values.orInterval(range.from, range.to, result);
        return;
      }
    }
  }
}

const FALSE = 1;
const TRUE = 2;
const NO_STRINGS: readonly string[] = [];
const NO_NUMBERS: readonly number[] = [];

/**
 * What `add` indexed for one label, flat to spare an object per field:
 * for each path, `field, booleans (FALSE | TRUE bits), s, ...s distinct
 * strings, m, ...m distinct number/time keys`.
 */
type LabelRecord = (FieldIndex | number | string)[];

/** One path's values in a document, sorted into the indexes they go to. */
interface FieldValues {
  path: string;
  strings: readonly string[];
  numbers: readonly number[];
  booleans: number;
}

/** `serialize`'s layout version. */
const SERIALIZED_FORMAT = 1;
/** Labels per line of `serialize`'s output: one line is parsed and indexed at a time, about 6 ms at 8,192 labels. */
const SERIALIZED_CHUNK = 8_192;

/** A label in `serialize`'s output: 0 not live, 1 live with no fields, else its LabelRecord with paths for fields. */
type SerializedLabel = 0 | 1 | (string | number)[];

/**
 * The distinct values `reached` holds (scalars and scalar elements of arrays,
 * as `scalarsOf` in filter.ts), sorted into the indexes they go to.
 */
function valuesOf(reached: readonly unknown[]): { strings: readonly string[]; numbers: readonly number[]; booleans: number } {
  const values = new Values();
  for (const value of reached) {
    if (Array.isArray(value)) for (const element of value) values.add(element);
    else values.add(value);
  }
  return {
    strings: values.strings === undefined ? NO_STRINGS : distinct(values.strings),
    numbers: values.numbers === undefined ? NO_NUMBERS : distinct(values.numbers),
    booleans: values.booleans,
  };
}

class Values {
  strings: string[] | undefined;
  numbers: number[] | undefined;
  booleans = 0;

  add(value: unknown): void {
    if (typeof value === 'number') {
      if (!Number.isNaN(value)) (this.numbers ??= []).push(value);
    } else if (typeof value === 'string') {
      (this.strings ??= []).push(value);
      const time = parseIsoTime(value);
      if (time !== undefined) (this.numbers ??= []).push(time);
    } else if (typeof value === 'boolean') {
      this.booleans |= value ? TRUE : FALSE;
    }
  }
}

/** `values` without repeats. */
function distinct<T>(values: T[]): T[] {
  if (values.length === 1) return values;
  if (values.length > SMALL_DEDUPE) return [...new Set(values)];
  const out: T[] = [];
  for (const value of values) if (!out.includes(value)) out.push(value);
  return out;
}

class FieldIndex {
  readonly path: string;
  readonly exists = new Posting();
  readonly numbers = new ValueIndex<number>(sortNumbers);
  readonly strings = new ValueIndex<string>(sortStrings);
  readonly trues = new Posting();
  readonly falses = new Posting();

  constructor(path: string) {
    this.path = path;
  }
}

/** value -> posting, plus the distinct values in order for ranges. */
class ValueIndex<K extends number | string> {
  readonly #postings = new Map<K, Posting>();
  /** Labels holding at least one key here. */
  readonly #any = new Posting();
  /** Labels holding more than one key here. */
  #multi = 0;
  readonly #sort: (keys: K[]) => K[];
  #sortedKeys: K[] = [];
  #sortedPostings: Posting[] = [];
  /** Keys created since the last sort (some may be gone again). */
  #added: K[] = [];
  /** Keys deleted since the last sort; their (empty) postings stay in the sorted list until the next re-sort. */
  #removedKeys = 0;

  constructor(sort: (keys: K[]) => K[]) {
    this.#sort = sort;
  }

  /** True while no label holds two keys: a label is then in a range exactly when it is not outside it. */
  get singleValued(): boolean {
    return this.#multi === 0;
  }

  get(key: K): Posting | undefined {
    return this.#postings.get(key);
  }

  /** Adds `label` under each of `keys` (distinct). */
  add(keys: readonly K[], label: number, bound: number): void {
    if (keys.length === 0) return;
    this.#any.add(label, bound);
    if (keys.length > 1) this.#multi++;
    for (const key of keys) {
      let posting = this.#postings.get(key);
      if (posting === undefined) {
        posting = new Posting();
        this.#postings.set(key, posting);
        this.#added.push(key);
      }
      posting.add(label, bound);
    }
  }

  /** Undoes `add(keys, label)`. */
  remove(keys: readonly K[], label: number): void {
    if (keys.length === 0) return;
    this.#any.remove(label);
    if (keys.length > 1) this.#multi--;
    for (const key of keys) {
      const posting = this.#postings.get(key)!;
      posting.remove(label);
      if (posting.size === 0) {
        this.#postings.delete(key);
        this.#removedKeys++;
      }
    }
  }

  /** Positions [from, to) in the sorted keys of the keys `op bound` (gt: key > bound, ...). */
  interval(op: RangeOp, bound: K): [from: number, to: number] {
    this.#ensureSorted();
    const keys = this.#sortedKeys;
    switch (op) {
      case 'gt':
        return [firstAbove(keys, bound), keys.length];
      case 'gte':
        return [firstAtLeast(keys, bound), keys.length];
      case 'lt':
        return [0, firstAtLeast(keys, bound)];
      case 'lte':
        return [0, firstAbove(keys, bound)];
    }
  }

  /** ORs into `result` the labels of the keys at sorted positions [from, to), from `interval`. */
  orInterval(from: number, to: number, result: Uint32Array): void {
    if (to <= from) return;
    const postings = this.#sortedPostings;
    if (this.#multi === 0 && (to - from) * 2 > postings.length) {
      const outside = new Uint32Array(result.length);
      for (let i = 0; i < from; i++) postings[i]!.orInto(outside);
      for (let i = to; i < postings.length; i++) postings[i]!.orInto(outside);
      const inside = new Uint32Array(result.length);
      this.#any.orInto(inside);
      andNot(inside, outside);
      or(result, inside);
      return;
    }
    for (let i = from; i < to; i++) postings[i]!.orInto(result);
  }

  /**
   * Merges the sorted keys with the sorted new ones. A key's posting is
   * replaced by a new object only after the old one emptied and left the
   * map, so old entries with empty postings are dropped and new keys are
   * looked up; a key added twice since the last sort appears twice, once kept.
   */
  #ensureSorted(): void {
    const tidy = this.#removedKeys * 2 <= this.#sortedKeys.length;
    if (this.#added.length === 0 && tidy) return;
    const map = this.#postings;
    if (tidy && this.#added.length <= FEW_NEW_KEYS) {
      // A few new keys: insert each in place (one memmove each) rather than copy the list.
      const keys = this.#sortedKeys;
      const postings = this.#sortedPostings;
      for (const key of this.#added) {
        const posting = map.get(key);
        if (posting === undefined) continue;
        const at = firstAtLeast(keys, key);
        if (at < keys.length && keys[at] === key) {
          postings[at] = posting; // an emptied entry for the same key, or a key added twice
        } else {
          keys.splice(at, 0, key);
          postings.splice(at, 0, posting);
        }
      }
      this.#added = [];
      return;
    }
    const oldKeys = this.#sortedKeys;
    const oldPostings = this.#sortedPostings;
    const added = this.#sort(this.#added);
    const keys: K[] = [];
    const postings: Posting[] = [];
    let i = 0;
    let j = 0;
    while (i < oldKeys.length || j < added.length) {
      if (j >= added.length || (i < oldKeys.length && oldKeys[i]! < added[j]!)) {
        const posting = oldPostings[i]!;
        if (posting.size > 0) {
          keys.push(oldKeys[i]!);
          postings.push(posting);
        }
        i++;
      } else {
        const key = added[j++]!;
        const posting = map.get(key);
        if (posting === undefined || (keys.length > 0 && keys[keys.length - 1] === key)) continue;
        keys.push(key);
        postings.push(posting);
      }
    }
    this.#sortedKeys = keys;
    this.#sortedPostings = postings;
    this.#added = [];
    this.#removedKeys = 0;
  }
}

/** Ascending, -0 and 0 adjacent (the merge then keeps one: they are the same Map key). */
function sortNumbers(keys: number[]): number[] {
  return Array.from(Float64Array.from(keys).sort());
}

/** Ascending by UTF-16 code units, as `<` compares strings. */
function sortStrings(keys: string[]): string[] {
  return keys.sort();
}

function firstAtLeast<K extends number | string>(keys: readonly K[], bound: K): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < bound) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function firstAbove<K extends number | string>(keys: readonly K[], bound: K): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= bound) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Adds to `out` every addressable path below `prefix` with the values it
 * reaches, in the order `valuesAt` (filter.ts) finds them: each level looks
 * up keys in the objects reached so far and in the object elements of arrays.
 */
function collectPaths(values: readonly unknown[], prefix: string, out: Map<string, unknown[]>): void {
  let children: Map<string, unknown[]> | undefined;
  for (const value of values) {
    if (Array.isArray(value)) {
      for (const element of value) if (isObject(element)) children = addChildren(element, children);
    } else if (isObject(value)) {
      children = addChildren(value, children);
    }
  }
  if (children === undefined) return;
  for (const [key, reached] of children) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    out.set(path, reached);
    collectPaths(reached, path, out);
  }
}

function addChildren(object: Record<string, unknown>, children = new Map<string, unknown[]>()): Map<string, unknown[]> {
  for (const key of Object.keys(object)) {
    if (!isAddressableKey(key)) continue;
    const reached = children.get(key);
    if (reached === undefined) children.set(key, [object[key]]);
    else reached.push(object[key]);
  }
  return children;
}

function isLeaf(node: FilterNode): node is FilterNode & { kind: 'exists' | 'equals' | 'range' } {
  return node.kind === 'exists' || node.kind === 'equals' || node.kind === 'range';
}

function and(target: Uint32Array, other: Uint32Array): void {
  for (let i = 0; i < target.length; i++) target[i]! &= other[i]!;
}

function or(target: Uint32Array, other: Uint32Array): void {
  for (let i = 0; i < target.length; i++) target[i]! |= other[i]!;
}

function andNot(target: Uint32Array, other: Uint32Array): void {
  for (let i = 0; i < target.length; i++) target[i]! &= ~other[i]!;
}
