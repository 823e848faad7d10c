/**
 * Reads by id and by filter (get, getMany, list, countWhere), and the hits'
 * fields: from the field cache where it has them, else from the store.
 */
import { lowerBound } from '../sorted.js';
import { labelsOf } from '../bitset.js';
import { createError } from '../errors.js';
import type { StoredFields } from '../storage/field-cache.js';
import { compileFilter } from '../filter/filter.js';
import { DEFAULT_LIST_LIMIT, MAX_GET_IDS, MAX_LIST_LIMIT, READ_SLICE, isIntegerIn } from '../options.js';
import { FieldBudget, checkSignal, checkVectorValues, nextSlice } from '../query/read-budget.js';
import { CurrentLabels } from '../query/current-labels.js';
import type { DocumentRow } from '../storage/store.js';
import { checkId, isPlainObject, type Metadata } from '../validate.js';
import type { Document, GetOptions, ListPage, ListRequest, SearchField, SearchHit } from '../api.js';
import { ALL_FIELDS, GET_KEYS, LIST_KEYS, checkInclude } from './checks.js';
import type { CollectionState } from './state.js';

/** A stored row as a document; a keyword-only collection's rows hold an empty vector, which is no vector. */
export function toDocument(row: DocumentRow): Document {
  const document: Document = row.vector.length > 0 ? { id: row.id, vector: row.vector } : { id: row.id };
  if (row.text !== undefined) document.text = row.text;
  if (row.metadata !== undefined) document.metadata = JSON.parse(row.metadata) as Metadata;
  return document;
}

/** `Collection.get`, documented there. */
export async function getDocument(s: CollectionState, id: string): Promise<Document | null> {
  s.checkUsable();
  checkId(id, 'id');
  const row = s.table.byId(id);
  return row ? toDocument(row) : null;
}

/** `Collection.getMany`, documented there. */
export async function getMany(s: CollectionState, ids: readonly string[], options: GetOptions = {}): Promise<(Document | null)[]> {
  s.checkUsable();
  if (!Array.isArray(ids)) throw createError('INVALID_ARGUMENT', 'ids', 'an array of ids', ids);
  if (!isPlainObject(options)) throw createError('INVALID_ARGUMENT', 'getMany options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!GET_KEYS.has(key)) throw createError('INVALID_ARGUMENT', `getMany option '${key}'`, [...GET_KEYS].join(', '), key);
  }
  if (ids.length > MAX_GET_IDS) {
    throw createError('LIMIT_EXCEEDED', 'MAX_GET_IDS', 'the number of ids', ids.length, MAX_GET_IDS, 'ask in several calls, or page through list');
  }
  ids.forEach((id, i) => checkId(id, `ids[${i}]`));
  const include = options.include === undefined ? ALL_FIELDS : checkInclude(options.include);
  const signal = checkSignal(options.signal);
  if (include.includes('vector')) checkVectorValues(ids.length, s.options.dimension, 'the number of ids');
  const budget = new FieldBudget();
  const documents: (Document | null)[] = [];
  for (let from = 0; from < ids.length; from += READ_SLICE) {
    if (from > 0) await nextReadSlice(s, signal);
    for (const id of ids.slice(from, from + READ_SLICE)) {
      const row = s.table.byId(id);
      documents.push(row ? withFields(s, row, include, budget) : null);
    }
  }
  return documents;
}

/** A turn of the event loop between two slices of a read; throws if the caller aborted it or the collection went away. */
export async function nextReadSlice(s: CollectionState, signal: AbortSignal | undefined): Promise<void> {
  await nextSlice(signal, 'read');
  s.checkUsable();
}

/** `Collection.countWhere`, documented there. */
export async function countWhere(s: CollectionState, filter?: Record<string, unknown>): Promise<number> {
  s.checkUsable();
  if (filter === undefined) return s.count;
  return s.metadataIndex().evaluate(compileFilter(filter)).count;
}

/** `Collection.list`, documented there. */
export async function list(s: CollectionState, request: ListRequest = {}): Promise<ListPage> {
  s.checkUsable();
  if (!isPlainObject(request)) throw createError('INVALID_ARGUMENT', 'list request', 'an object', request);
  for (const key of Object.keys(request)) {
    if (!LIST_KEYS.has(key)) throw createError('INVALID_ARGUMENT', `list option '${key}'`, [...LIST_KEYS].join(', '), key);
  }
  const limit = request.limit ?? DEFAULT_LIST_LIMIT;
  if (!isIntegerIn(limit, 1, MAX_LIST_LIMIT)) {
    throw createError('INVALID_ARGUMENT', 'limit', `an integer from 1 to ${MAX_LIST_LIMIT}`, limit);
  }
  const after = request.after === undefined ? -1 : Number(request.after);
  if (!Number.isInteger(after) || after < -1) throw createError('INVALID_ARGUMENT', 'after', 'a cursor returned as next', request.after);
  const include = checkInclude(request.include);
  const signal = checkSignal(request.signal);
  if (include.includes('vector')) checkVectorValues(limit, s.options.dimension, 'limit');
  const filter = request.filter === undefined ? undefined : compileFilter(request.filter);
  const labels = filter === undefined ? s.sortedLabels() : labelsOf(s.metadataIndex().evaluate(filter).bitset);
  const start = lowerBound(labels, after + 1);
  const page = labels.subarray(start, start + limit);
  const budget = new FieldBudget();
  const documents: Document[] = [];
  // A page read in slices leaves out what writes during its turns took away (see #answerInSlices).
  const current = new CurrentLabels(s.ids, s.version, () => s.allowedBy(filter));
  current.remember(page);
  for (let from = 0; from < page.length; from += READ_SLICE) {
    if (from > 0) await nextReadSlice(s, signal);
    const keep = current.keeper(s.version);
    for (const label of page.subarray(from, from + READ_SLICE)) {
      if (keep && !keep(label)) continue;
      documents.push(withFields(s, s.table.byLabel(label)!, include, budget));
    }
  }
  const next = start + limit < labels.length ? String(page[page.length - 1]) : null;
  return { documents, next };
}

export function hitsOf(s: CollectionState, labels: ArrayLike<number>, scores: ArrayLike<number>, include: readonly SearchField[], budget: FieldBudget): SearchHit[] {
  const hits: SearchHit[] = new Array(labels.length);
  if (include.length === 0) {
    for (let i = 0; i < labels.length; i++) hits[i] = { id: s.ids[labels[i]!]!, score: scores[i]! };
    return hits;
  }
  const wantMetadata = include.includes('metadata');
  const wantText = include.includes('text');
  const wantVector = include.includes('vector');
  const fields = !wantVector && (wantMetadata || wantText) ? storedFields(s, labels) : undefined;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    const hit: SearchHit = { id: s.ids[label]!, score: scores[i]! };
    if (wantMetadata || wantText || wantVector) {
      const row = wantVector ? s.table.byLabel(label) : fields![i];
      budget.add(wantText ? row?.text : undefined, wantMetadata ? row?.metadata : undefined);
      if (wantMetadata && row?.metadata) hit.metadata = JSON.parse(row.metadata) as Metadata;
      if (wantText && row?.text) hit.text = row.text;
      if (wantVector && row && 'vector' in row && row.vector.length > 0) hit.vector = row.vector;
    }
    hits[i] = hit;
  }
  return hits;
}

/** Text and metadata of each label, from the field cache where it has them, else from the store in one statement. */
export function storedFields(s: CollectionState, labels: ArrayLike<number>): (StoredFields | undefined)[] {
  const fields = new Array<StoredFields | undefined>(labels.length);
  let missing: number[] | undefined;
  for (let i = 0; i < labels.length; i++) {
    fields[i] = s.fieldCache.get(labels[i]!);
    if (fields[i] === undefined) (missing ??= []).push(labels[i]!);
  }
  if (missing === undefined) return fields;
  const read = s.table.fieldsOf(missing);
  for (let i = 0; i < labels.length; i++) {
    if (fields[i] !== undefined) continue;
    const row = read.get(labels[i]!);
    if (row === undefined) continue;
    fields[i] = row;
    s.fieldCache.set(labels[i]!, row);
  }
  return fields;
}

/** A stored row as a document with the fields `include` names, counted against the read's `budget`. */
export function withFields(s: CollectionState, row: DocumentRow, include: readonly SearchField[], budget: FieldBudget): Document {
  budget.add(include.includes('text') ? row.text : undefined, include.includes('metadata') ? row.metadata : undefined);
  return documentWith(row, include);
}

/** A stored row as a document with the fields `include` names (a keyword-only collection's empty vector is none). */
export function documentWith(row: DocumentRow, include: readonly SearchField[]): Document {
  const document = { id: row.id } as Document;
  if (include.includes('vector') && row.vector.length > 0) document.vector = row.vector;
  if (include.includes('text') && row.text !== undefined) document.text = row.text;
  if (include.includes('metadata') && row.metadata !== undefined) document.metadata = JSON.parse(row.metadata) as Metadata;
  return document;
}
