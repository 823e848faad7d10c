/**
 * The metadata filter language: validation, compilation to a small tree, and
 * a direct evaluator (`matches`). `MetadataIndex` (metadata-index.ts) answers
 * the same tree from inverted and sorted indexes; both follow these rules exactly.
 *
 * # Filters
 *
 * A filter is a plain object. Each key is either a field path or one of the
 * logical operators `$and`, `$or`, `$not`; all keys of one object must hold
 * (AND). `{}` matches every document.
 *
 * ```
 * { category: 'book' }                          shorthand for { category: { $eq: 'book' } }
 * { price: { $gte: 10, $lt: 20 } }              operators on one field are ANDed
 * { 'author.country': 'NO', year: { $gt: 2000 } }
 * { $or: [{ tags: 'sale' }, { price: { $lt: 5 } }] }
 * { $not: { status: { $in: ['draft', 'deleted'] } } }
 * { publishedAt: { $gte: '2024-01-01' } }       dates compare as time
 * ```
 *
 * Field operators (value: a string, a finite number, a boolean, or a Date,
 * which is taken as its ISO string):
 * - `$eq: value`, `$ne: value`: equal / not equal.
 * - `$in: [values]`, `$nin: [values]`: equal to one of / to none of (an empty
 *   `$in` matches nothing, an empty `$nin` everything).
 * - `$gt`, `$gte`, `$lt`, `$lte: value`: ranges; the value is a number or a
 *   string (booleans have no order).
 * - `$exists: boolean`: the field is present (with any value, `null`, an
 *   empty array or an object included) / absent.
 * - `$not: { operators }`: the field does not satisfy these operators
 *   (documents without the field match).
 *
 * Logical operators: `$and: [filters]` and `$or: [filters]` take a non-empty
 * array of filter objects; `$not: filter` takes one filter object.
 *
 * # Values
 *
 * - Equality is type-strict: `1` does not equal `'1'` or `true`.
 * - Strings order by UTF-16 code units (plain `<`), not by locale.
 * - **Dates.** A string of the form `YYYY-MM-DD`, optionally followed by
 *   `THH:MM`, `:SS`, `.fraction` and a zone (`Z`, `+HH:MM`, `+HHMM`, `+HH`;
 *   no zone means UTC), with valid calendar fields, is a date; anything else
 *   is a plain string. A date and a number are both points in time on one
 *   axis (numbers read as epoch milliseconds): a number or a date operand
 *   compares against stored numbers and stored date strings as time, for
 *   equality and ranges alike, so `{ t: { $gte: '2024-01-01' } }` matches
 *   `t: 1704067200000` and `t: '2024-06-01T12:00:00+02:00'`, and
 *   `{ n: { $gt: 0 } }` matches `n: '2024-01-01'`. A plain string operand
 *   compares with stored strings only (date strings included,
 *   lexicographically for ranges).
 * - **Arrays.** A field holding an array matches when ANY element matches
 *   the operator; each operator of `{ $gte: 1, $lt: 5 }` may be met by a
 *   different element. `$ne` / `$nin` / `$not` mean no element matches, and
 *   a missing field matches them, as in MongoDB. Arrays and objects are not
 *   values themselves: `{ tags: ['a', 'b'] }` is an error (use `$in`).
 * - **Nested fields.** `a.b` reaches into the object at `a`; when `a` is an
 *   array of objects, into each of them. Keys that are empty or contain a
 *   `.` cannot be addressed; numeric segments are key names, not positions.
 * - `null` is stored (it counts for `$exists`) but is not a filter value;
 *   neither is `undefined`, so `{ tenant: undefined }` is an error rather
 *   than a condition silently dropped.
 *
 * A malformed filter throws `INVALID_FILTER` naming the offending part, such
 * as `filter.price.$gt` or `filter.$or[1].tags.$in`.
 */
import { createError } from '../errors.js';
import { isPlainObject } from '../validate.js';

/** Deepest nesting of `$and` / `$or` / `$not` / field objects in one filter. */
export const MAX_FILTER_DEPTH = 32;

/**
 * A comparable operand after compilation. `number` is the time/number axis:
 * numbers as given, date strings and Dates as epoch milliseconds. `string`
 * is a string that is not a date.
 */
export type FilterOperand =
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'boolean'; readonly value: boolean };

/** `$gt`, `$gte`, `$lt`, `$lte` without the `$`. */
export type RangeOp = 'gt' | 'gte' | 'lt' | 'lte';

/**
 * A compiled filter tree. `$eq` and `$in` become `equals`; `$ne`, `$nin`,
 * `$exists: false` and `$not` become `not`; `{}` becomes `all`.
 */
export type FilterNode =
  | { readonly kind: 'all' }
  | { readonly kind: 'and' | 'or'; readonly nodes: readonly FilterNode[] }
  | { readonly kind: 'not'; readonly node: FilterNode }
  | { readonly kind: 'exists'; readonly path: string; readonly segments: readonly string[] }
  | {
      readonly kind: 'equals';
      readonly path: string;
      readonly segments: readonly string[];
      readonly values: readonly FilterOperand[];
    }
  | {
      readonly kind: 'range';
      readonly path: string;
      readonly segments: readonly string[];
      readonly op: RangeOp;
      readonly operand: FilterOperand & { readonly type: 'number' | 'string' };
    };

/** A validated filter, compiled once by `compileFilter` and evaluated many times. */
export interface CompiledFilter {
  readonly root: FilterNode;
}

/** A value a document field can be compared on: what `scalarsOf` returns. */
export type Scalar = string | number | boolean;

// A Map, not an object literal: a key such as 'constructor' must not find Object.prototype members.
const RANGE_OPS: ReadonlyMap<string, RangeOp> = new Map([['$gt', 'gt'], ['$gte', 'gte'], ['$lt', 'lt'], ['$lte', 'lte']]);

/**
 * Validates `filter` and compiles it. Throws `INVALID_FILTER(path, problem)`
 * on the first malformed part, with `path` such as `filter.$or[1].tags.$in`.
 */
export function compileFilter(filter: unknown): CompiledFilter {
  if (!isPlainObject(filter)) throw invalid('filter', `expected a plain object, got ${kindOf(filter)}`);
  return Object.freeze({ root: compileObject(filter, 'filter', 0) });
}

/**
 * Evaluates a compiled filter against one document's metadata directly
 * (`undefined` is a document without metadata). The reference semantics for
 * `MetadataIndex.evaluate`, and the cheap path for a handful of candidates.
 */
export function matches(compiled: CompiledFilter, metadata: Readonly<Record<string, unknown>> | undefined): boolean {
  return matchNode(compiled.root, metadata ?? {});
}

/**
 * Epoch milliseconds of a date string (see the file comment for the accepted
 * forms), or undefined when `text` is not one. Fractions finer than a
 * millisecond are truncated.
 */
export function parseIsoTime(text: string): number | undefined {
  const m = ISO_DATE.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let offset = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[9]);
    const offsetMinutes = m[10] === undefined ? 0 : Number(m[10]);
    if (offsetHours > 23 || offsetMinutes > 59) return undefined;
    offset = (m[8] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  }
  const days = daysFromCivil(year, month, day);
  return days * 86_400_000 + ((hour * 60 + minute - offset) * 60 + second) * 1000 + millis;
}

/**
 * The values on the number/time axis: a number itself (NaN has no place),
 * a date string as epoch milliseconds.
 */
export function timeOrNumber(value: Scalar): number | undefined {
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : value;
  if (typeof value === 'string') return parseIsoTime(value);
  return undefined;
}

/**
 * Everything a path reaches in `metadata`: the value at each step is looked
 * up in an object, or in every object element of an array (arrays inside
 * arrays are not entered). Empty when the field is absent.
 */
export function valuesAt(metadata: unknown, segments: readonly string[]): unknown[] {
  let current: unknown[] = [metadata];
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const value of current) {
      if (Array.isArray(value)) {
        for (const element of value) {
          if (isObject(element) && Object.hasOwn(element, segment)) next.push(element[segment]);
        }
      } else if (isObject(value) && Object.hasOwn(value, segment)) {
        next.push(value[segment]);
      }
    }
    if (next.length === 0) return next;
    current = next;
  }
  return current;
}

/** The comparable values among `reached`: scalars, and scalar elements of arrays. */
export function scalarsOf(reached: readonly unknown[]): Scalar[] {
  const out: Scalar[] = [];
  for (const value of reached) {
    if (Array.isArray(value)) {
      for (const element of value) if (isScalar(element)) out.push(element);
    } else if (isScalar(value)) {
      out.push(value);
    }
  }
  return out;
}

/** True for a key that a dotted path can address: non-empty, without `.`. */
export function isAddressableKey(key: string): boolean {
  return key.length > 0 && !key.includes('.');
}

/** An object a path can step into: any non-null, non-array object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------- compile

function compileObject(filter: Record<string, unknown>, path: string, depth: number): FilterNode {
  if (depth > MAX_FILTER_DEPTH) throw invalid(path, `nested deeper than ${MAX_FILTER_DEPTH} levels`);
  const nodes: FilterNode[] = [];
  for (const [key, value] of Object.entries(filter)) {
    const here = `${path}.${key}`;
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0) {
        throw invalid(here, `expected a non-empty array of filter objects, got ${kindOf(value)}`);
      }
      const children = value.map((child: unknown, i) => {
        const at = `${here}[${i}]`;
        if (!isPlainObject(child)) throw invalid(at, `expected a filter object, got ${kindOf(child)}`);
        return compileObject(child, at, depth + 1);
      });
      nodes.push(combine(key === '$and' ? 'and' : 'or', children));
    } else if (key === '$not') {
      if (!isPlainObject(value)) throw invalid(here, `expected a filter object, got ${kindOf(value)}`);
      nodes.push({ kind: 'not', node: compileObject(value, here, depth + 1) });
    } else if (key.startsWith('$')) {
      throw invalid(here, `unknown operator '${key}'; logical operators are $and, $or, $not`);
    } else {
      const segments = key.split('.');
      if (!segments.every(isAddressableKey)) throw invalid(here, `field path '${key}' has an empty segment`);
      nodes.push(compileField(key, segments, value, here, depth + 1));
    }
  }
  return combine('and', nodes);
}

function compileField(field: string, segments: readonly string[], value: unknown, path: string, depth: number): FilterNode {
  if (depth > MAX_FILTER_DEPTH) throw invalid(path, `nested deeper than ${MAX_FILTER_DEPTH} levels`);
  if (!isPlainObject(value)) {
    return { kind: 'equals', path: field, segments, values: [operand(value, path, 'equality')] };
  }
  const keys = Object.keys(value);
  if (keys.length === 0 || !keys.some((key) => key.startsWith('$'))) {
    throw invalid(path, `expected a value or an operator object such as { $eq: value }, got an object (use a dotted path such as '${field}.key' for nested fields)`);
  }
  const nodes: FilterNode[] = [];
  for (const key of keys) {
    const operandValue = value[key];
    const at = `${path}.${key}`;
    const rangeOp = RANGE_OPS.get(key);
    if (rangeOp !== undefined) {
      const compiled = operand(operandValue, at, 'range');
      if (compiled.type === 'boolean') throw invalid(at, 'expected a number, a string or a Date, got a boolean (booleans have no order)');
      nodes.push({ kind: 'range', path: field, segments, op: rangeOp, operand: compiled });
      continue;
    }
    switch (key) {
      case '$eq':
      case '$ne': {
        const node: FilterNode = { kind: 'equals', path: field, segments, values: [operand(operandValue, at, 'equality')] };
        nodes.push(key === '$eq' ? node : { kind: 'not', node });
        break;
      }
      case '$in':
      case '$nin': {
        if (!Array.isArray(operandValue)) throw invalid(at, `expected an array of values, got ${kindOf(operandValue)}`);
        const values = operandValue.map((item: unknown, i) => operand(item, `${at}[${i}]`, 'equality'));
        const node: FilterNode = { kind: 'equals', path: field, segments, values };
        nodes.push(key === '$in' ? node : { kind: 'not', node });
        break;
      }
      case '$exists': {
        if (typeof operandValue !== 'boolean') throw invalid(at, `expected true or false, got ${kindOf(operandValue)}`);
        const node: FilterNode = { kind: 'exists', path: field, segments };
        nodes.push(operandValue ? node : { kind: 'not', node });
        break;
      }
      case '$not': {
        if (!isPlainObject(operandValue)) throw invalid(at, `expected an operator object such as { $gt: 5 }, got ${kindOf(operandValue)}`);
        nodes.push({ kind: 'not', node: compileField(field, segments, operandValue, at, depth + 1) });
        break;
      }
      case '$and':
      case '$or':
        throw invalid(at, `${key} is a logical operator: use it at the level of fields, e.g. { ${key}: [{ ${field}: ... }] }`);
      default:
        throw invalid(at, key.startsWith('$') ? `unknown operator '${key}'` : `expected an operator, got the key '${key}' (operators and nested keys cannot be mixed)`);
    }
  }
  return combine('and', nodes);
}

function operand(value: unknown, path: string, use: 'equality' | 'range'): FilterOperand {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(path, `expected a finite number, got ${value}`);
    return { type: 'number', value };
  }
  if (typeof value === 'string') {
    const time = parseIsoTime(value);
    return time === undefined ? { type: 'string', value } : { type: 'number', value: time };
  }
  if (typeof value === 'boolean') return { type: 'boolean', value };
  if (value instanceof Date) {
    const time = value.getTime();
    if (Number.isNaN(time)) throw invalid(path, 'expected a valid Date, got an invalid Date');
    return { type: 'number', value: time };
  }
  const expected = use === 'range' ? 'a number, a string or a Date' : 'a string, a number, a boolean or a Date';
  const hint = value === null ? ' (use $exists for absent fields)' : Array.isArray(value) && use === 'equality' ? ' (use $in)' : '';
  throw invalid(path, `expected ${expected}, got ${kindOf(value)}${hint}`);
}

function combine(kind: 'and' | 'or', nodes: FilterNode[]): FilterNode {
  if (nodes.length === 1) return nodes[0]!;
  if (nodes.length === 0) return { kind: 'all' }; // only `{}`: $and / $or lists are never empty
  return { kind, nodes };
}

function invalid(path: string, problem: string) {
  return createError('INVALID_FILTER', path, problem);
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (value instanceof Date) return 'a Date';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  return `${typeof value} ${String(value)}`;
}

// ---------------------------------------------------------------- match

function matchNode(node: FilterNode, metadata: Readonly<Record<string, unknown>>): boolean {
  switch (node.kind) {
    case 'all':
      return true;
    case 'and':
      return node.nodes.every((child) => matchNode(child, metadata));
    case 'or':
      return node.nodes.some((child) => matchNode(child, metadata));
    case 'not':
      return !matchNode(node.node, metadata);
    case 'exists':
      return valuesAt(metadata, node.segments).length > 0;
    case 'equals': {
      const scalars = scalarsOf(valuesAt(metadata, node.segments));
      return scalars.some((scalar) => node.values.some((value) => equalsOperand(scalar, value)));
    }
    case 'range': {
      const scalars = scalarsOf(valuesAt(metadata, node.segments));
      return scalars.some((scalar) => inRange(scalar, node.op, node.operand));
    }
  }
}

function equalsOperand(scalar: Scalar, operand: FilterOperand): boolean {
  if (operand.type === 'number') return timeOrNumber(scalar) === operand.value;
  return scalar === operand.value;
}

function inRange(scalar: Scalar, op: RangeOp, operand: FilterOperand & { type: 'number' | 'string' }): boolean {
  let key: number | string;
  if (operand.type === 'number') {
    const time = timeOrNumber(scalar);
    if (time === undefined) return false;
    key = time;
  } else {
    if (typeof scalar !== 'string') return false;
    key = scalar;
  }
  const bound = operand.value;
  switch (op) {
    case 'gt':
      return key > bound;
    case 'gte':
      return key >= bound;
    case 'lt':
      return key < bound;
    case 'lte':
      return key <= bound;
  }
}

// ---------------------------------------------------------------- dates

/** YYYY-MM-DD[THH:MM[:SS[.fff]][Z|±HH[:]MM|±HH]] */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:Z|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Days since 1970-01-01 in the proleptic Gregorian calendar. Date.UTC would
 * read years 0-99 as 1900-1999, so the count is computed directly
 * (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms", days_from_civil).
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
