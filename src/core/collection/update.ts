/**
 * Partial updates: a document's metadata and text changed without its
 * vector, by id or by filter. The graph and the vector index are not
 * touched; the store row keeps its vector and takes the new fields and the
 * write's version, so a snapshot's replay (which replays rows by version)
 * sees it as any other write. All or nothing, through the same commit as
 * upsert (write.ts).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { labelsOf } from '../bitset.js';
import { createError } from '../errors.js';
import type { FieldsWrite } from '../storage/store.js';
import { checkId, checkMetadata, checkText, isPlainObject, type Metadata } from '../validate.js';
import type { DocumentUpdate, FieldChange, WhereOptions } from '../api.js';
import { checkBatchSize, compileWhere } from './checks.js';
import { applyFields } from './indexing.js';
import { afterWrite } from './maintenance.js';
import { commit, queueWrite } from './write.js';
import type { CollectionState } from './state.js';

export const CHANGE_KEYS = new Set(['set', 'unset', 'metadata', 'text']);
const UPDATE_KEYS = new Set([...CHANGE_KEYS, 'id']);

/** A FieldChange checked once, ready to apply to any document's fields. */
export interface CheckedChange {
  set: Metadata | undefined;
  unset: readonly string[];
  /** Undefined: keep the metadata; null: remove it. */
  metadata: Metadata | null | undefined;
  /** Undefined: keep the text; null: remove it. */
  text: string | null | undefined;
}

/** `Collection.update`, documented there. */
export async function update(s: CollectionState, updates: readonly DocumentUpdate[]): Promise<{ updated: number; version: number }> {
  s.checkIndexed();
  const changes = checkUpdates(updates);
  return queueWrite(s, async () => {
    await nextTurn();
    s.checkIndexed();
    const labels = changes.map(({ id }) => {
      const label = s.labelOf.get(id);
      if (label === undefined) throw createError('DOCUMENT_NOT_FOUND', s.name, id);
      return label;
    });
    return writeFields(s, labels, (i) => changes[i]!.change);
  });
}

/** An `update` call's batch, checked whole: each entry's id (no id twice) and change. */
export function checkUpdates(updates: readonly DocumentUpdate[]): { id: string; change: CheckedChange }[] {
  if (!Array.isArray(updates)) throw createError('INVALID_ARGUMENT', 'updates', 'an array of updates', updates);
  checkBatchSize(updates.length);
  const positions = new Map<string, number>();
  return updates.map((entry, i) => {
    const where = `updates[${i}]`;
    if (!isPlainObject(entry)) throw createError('INVALID_DOCUMENT', where, 'expected an object');
    const id = checkId(entry.id, `${where}.id`);
    const first = positions.get(id);
    if (first !== undefined) throw createError('DUPLICATE_ID', id, first, i);
    positions.set(id, i);
    return { id, change: checkChange(entry, where, UPDATE_KEYS) };
  });
}

/** `Collection.updateWhere`, documented there. */
export async function updateWhere(
  s: CollectionState, filter: Record<string, unknown>, change: FieldChange, options: WhereOptions = {},
): Promise<{ updated: number; version: number }> {
  s.checkIndexed();
  const compiled = compileWhere(filter, options, 'update');
  const checked = checkChange(change, 'change', CHANGE_KEYS);
  return queueWrite(s, async () => {
    await nextTurn();
    s.checkIndexed();
    const { bitset, count } = s.metadataIndex().evaluate(compiled);
    return writeFields(s, Array.from(labelsOf(bitset, count)), () => checked);
  });
}

/** Writes the changed fields of `labels` (change(i) for labels[i]) in one transaction, and applies them in memory. */
function writeFields(s: CollectionState, labels: readonly number[], change: (i: number) => CheckedChange): { updated: number; version: number } {
  if (labels.length === 0) return { updated: 0, version: s.version };
  const stored = s.table.fieldsOf(labels);
  const rows: FieldsWrite[] = [];
  const values: (Metadata | undefined)[] = [];
  labels.forEach((label, i) => {
    const before = stored.get(label)!;
    const { text, metadata } = changed(before, change(i), `document '${s.ids[label]}'`);
    rows.push({ label, text, metadata: metadata?.json });
    values.push(metadata?.value);
  });
  const version = s.version + 1;
  commit(s, labels, (apply) => s.table.patch(rows, version, apply), () => {
    rows.forEach((row, i) => applyFields(s, row.label, row.text, values[i]));
  });
  s.version = version;
  s.changedSinceSnapshot += labels.length;
  afterWrite(s);
  return { updated: labels.length, version };
}

/** A document's fields after `change`: the text, and the metadata as a value and as the JSON stored. */
export function changed(
  before: { text: string | null; metadata: string | null }, change: CheckedChange, where: string,
): { text: string | undefined; metadata: { value: Metadata; json: string } | undefined } {
  const text = change.text === undefined ? (before.text ?? undefined) : (change.text ?? undefined);
  let metadata: Metadata | undefined;
  if (change.metadata !== undefined) metadata = change.metadata ?? undefined;
  else metadata = before.metadata === null ? undefined : (JSON.parse(before.metadata) as Metadata);
  if (change.set !== undefined || change.unset.length > 0) {
    const next: Record<string, unknown> = { ...metadata, ...change.set };
    for (const key of change.unset) delete next[key];
    metadata = Object.keys(next).length === 0 ? undefined : (next as Metadata);
  }
  // Checked again as a whole: set keys can take a document's metadata past its size limit.
  return { text, metadata: checkMetadata(metadata, where) };
}

/** Checks a FieldChange (or a DocumentUpdate's fields) once, for every document it applies to. */
export function checkChange(change: unknown, where: string, keys: ReadonlySet<string>): CheckedChange {
  if (!isPlainObject(change)) throw createError('INVALID_DOCUMENT', where, 'expected an object');
  for (const key of Object.keys(change)) {
    if (!keys.has(key)) throw createError('INVALID_DOCUMENT', where, `unknown field '${key}' (a change has ${[...CHANGE_KEYS].join(', ')})`);
  }
  const { set, unset, metadata, text } = change as FieldChange;
  if (set === undefined && unset === undefined && metadata === undefined && text === undefined) {
    throw createError('INVALID_DOCUMENT', where, 'nothing to change: give set, unset, metadata or text');
  }
  if (metadata !== undefined && (set !== undefined || unset !== undefined)) {
    throw createError('INVALID_DOCUMENT', where, 'metadata replaces the whole metadata: give it without set and unset');
  }
  const checkedSet = set === undefined ? undefined : checkMetadata(set, `${where}.set`)?.value;
  if (set !== undefined && checkedSet === undefined) throw createError('INVALID_DOCUMENT', `${where}.set`, 'expected an object of metadata keys');
  if (unset !== undefined && (!Array.isArray(unset) || !unset.every((key) => typeof key === 'string' && key.length > 0))) {
    throw createError('INVALID_DOCUMENT', `${where}.unset`, 'expected an array of metadata keys');
  }
  for (const key of unset ?? []) {
    if (checkedSet !== undefined && Object.hasOwn(checkedSet, key)) {
      throw createError('INVALID_DOCUMENT', where, `'${key}' is both set and unset`);
    }
  }
  if (metadata !== undefined && metadata !== null && !isPlainObject(metadata)) {
    throw createError('INVALID_DOCUMENT', `${where}.metadata`, 'metadata must be a plain object or null');
  }
  const checkedMetadata = metadata === undefined || metadata === null ? metadata : checkMetadata(metadata, where)!.value;
  if (text !== undefined && text !== null) checkText(text, where);
  return { set: checkedSet, unset: unset ?? [], metadata: checkedMetadata, text };
}
