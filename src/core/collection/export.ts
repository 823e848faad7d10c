/**
 * A collection's documents one at a time, for an export: read from the
 * store (the record, so a degraded collection exports too) a page of labels
 * at a time, in label order, with the event loop free between pages. Memory
 * stays one page whatever the collection's size, and no reply budget
 * applies (the caller writes each document out before asking for the next).
 *
 * Not a point-in-time view: each document is exported as it stood when its
 * page was read. Documents written meanwhile may or may not appear, and one
 * given a label below the page under way is missed. For one version of the
 * whole collection, back the database up and export the copy.
 */
import { createError } from '../errors.js';
import { READ_SLICE } from '../options.js';
import { checkSignal } from '../query/read-budget.js';
import { isPlainObject } from '../validate.js';
import type { Document, ExportOptions, SearchField } from '../api.js';
import { ALL_FIELDS, checkInclude } from './checks.js';
import { documentWith, nextReadSlice } from './read.js';
import type { CollectionState } from './state.js';

const EXPORT_KEYS = new Set(['include', 'signal']);

/** `Collection.export`, documented there. Checks its options before the first document is asked for. */
export function exportDocuments(s: CollectionState, options: ExportOptions = {}): AsyncGenerator<Document, void, undefined> {
  s.checkUsable();
  if (!isPlainObject(options)) throw createError('INVALID_ARGUMENT', 'export options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!EXPORT_KEYS.has(key)) throw createError('INVALID_ARGUMENT', `export option '${key}'`, [...EXPORT_KEYS].join(', '), key);
  }
  const include = options.include === undefined ? ALL_FIELDS : checkInclude(options.include);
  const signal = checkSignal(options.signal);
  return pages(s, include, signal);
}

async function* pages(s: CollectionState, include: readonly SearchField[], signal: AbortSignal | undefined): AsyncGenerator<Document, void, undefined> {
  for (let from = 0; ; ) {
    // A turn between pages (and a check that the collection is still there and the caller still wants it).
    if (from > 0) await nextReadSlice(s, signal);
    else s.checkUsable();
    const rows = s.table.rowsPage(from, READ_SLICE);
    if (rows.length === 0) return;
    for (const row of rows) yield documentWith(row, include);
    from = rows[rows.length - 1]!.label + 1;
  }
}
