/**
 * The write path: writes queue one at a time in call order; a batch is
 * validated whole, admitted by memory, then written to the store and
 * applied in memory in one transaction that commits only once the apply
 * succeeded (commit); a rejected batch changes nothing. Every write bumps
 * the version.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { labelsOf } from '../bitset.js';
import { createError, isQuiverError } from '../errors.js';
import { GRAPH_FIXED_BYTES } from '../graph/hnsw-index.js';
import type { RowWrite } from '../storage/store.js';
import { checkId, type Metadata } from '../validate.js';
import type { DocumentInput, WhereOptions } from '../api.js';
import { checkBatchSize, checkDocuments, compileWhere } from './checks.js';
import { messageOf, rebuildAfterFailure } from './restore.js';
import { apply, unindex } from './indexing.js';
import { afterWrite } from './maintenance.js';
import type { CollectionState } from './state.js';

/**
 * Writers wait while more labels than this await their graph insert on the
 * workers: a bulk load runs at the pace of the graph builders, and the exact
 * scan of pending labels each search adds stays small. During an ingest that
 * scan was the main thread's largest cost per search at 1,024 (about 40 µs
 * at dim 128); at 512, search p99 during a 128-document-batch ingest fell
 * from 1.6-1.9 ms to 1.4-1.5 ms in scratch runs (not in the full
 * bench:scale runs) and the build speed held. At 256 a
 * 1,000-document batch can leave the workers without work while the main
 * thread commits it (2 workers built 7% slower).
 */
export const MAX_GRAPH_BACKLOG = 512;

/** `Collection.upsert`, documented there. */
export async function upsert(s: CollectionState, documents: readonly DocumentInput[]): Promise<{ upserted: number; version: number }> {
  s.checkIndexed();
  return queueWrite(s, async () => {
    // A loop of awaited upserts would otherwise run back to back in one turn of the event
    // loop, holding back I/O and search replies: each write gives them a turn first.
    await nextTurn();
    if (s.hnsw.backlog > MAX_GRAPH_BACKLOG) await s.hnsw.backlogBelow(MAX_GRAPH_BACKLOG / 2);
    s.checkIndexed();
    const { rows, metadata, freeLeft } = prepareWrites(s, documents);
    // Memory first, the store after: a batch that does not fit is rejected with nothing stored.
    makeRoom(s, rows);
    const version = s.version + 1;
    commit(s, rows.map((row) => row.label), (apply) => s.table.put(rows, version, apply), () => {
      rows.forEach((row, i) => apply(s, row.label, row.id, row.vector, row.text, metadata[i], row.keepsVector));
    });
    s.freeLabels.length = freeLeft;
    s.version = version;
    s.changedSinceSnapshot += rows.length;
    afterWrite(s);
    return { upserted: rows.length, version };
  });
}

/**
 * Admits a validated batch by memory (memory-budget.ts) and makes room
 * for its labels in the vector index, before anything is stored. Throws
 * OUT_OF_MEMORY, saying what ran out and how much the batch needs.
 */
export function makeRoom(s: CollectionState, rows: readonly RowWrite[]): void {
  let added = 0;
  let bound = 0;
  for (const row of rows) {
    if (!row.replaces) added++;
    if (row.label >= bound) bound = row.label + 1;
  }
  // The first document makes the graph's segments, each with hnswlib's fixed cost (SegmentedGraph.fixedBytes).
  const segments = added > 0 && s.options.vectors && s.hnsw.fixedBytes === 0 ? s.options.hnsw.segments * GRAPH_FIXED_BYTES : 0;
  s.memory.budget.admit(s.name, added, s.cost, 'write', segments);
  if (!s.options.vectors) return;
  try {
    s.vectors.prepare(bound, rows.map((row) => row.vector));
  } catch (error) {
    if (!isQuiverError(error) || error.code !== 'OUT_OF_MEMORY') throw error;
    const why = error.message.replace(/^Out of memory: /, '').replace(/\.$/, '');
    throw createError('OUT_OF_MEMORY', `collection '${s.name}' could not make room for ${added} new documents: ${why}; the batch was not stored`);
  }
}

/**
 * Runs `write` once every write queued before it has finished, so writes
 * apply in the order they were called: an upsert waits a turn (and for
 * the graph backlog) before it applies, and a delete called after it
 * must not overtake it.
 */
export function queueWrite<T>(s: CollectionState, write: () => Promise<T>): Promise<T> {
  // Writes change the vector rows, so they also wait for rows still streaming in from a snapshot.
  const result = s.writes.then(async () => {
    if (s.rowsLoading !== undefined) await s.rowsLoading;
    return write();
  });
  s.writes = result.catch(() => undefined);
  return result;
}

/** `Collection.delete`, documented there. */
export async function deleteIds(s: CollectionState, ids: readonly string[]): Promise<{ deleted: number; version: number }> {
  s.checkUsable();
  if (!Array.isArray(ids)) throw createError('INVALID_ARGUMENT', 'ids', 'an array of ids', ids);
  checkBatchSize(ids.length);
  ids.forEach((id, i) => checkId(id, `ids[${i}]`));
  return queueWrite(s, async () => {
    s.checkUsable();
    const labels: number[] = [];
    for (const id of new Set(ids)) {
      const label = s.labelOf.get(id);
      if (label !== undefined) labels.push(label);
    }
    return removeLabels(s, labels);
  });
}

/** `Collection.deleteWhere`, documented there. */
export async function deleteWhere(s: CollectionState, filter: Record<string, unknown>, options: WhereOptions = {}): Promise<{ deleted: number; version: number }> {
  s.checkUsable();
  const compiled = compileWhere(filter, options, 'delete');
  return queueWrite(s, async () => {
    s.checkUsable();
    const { bitset } = s.metadataIndex().evaluate(compiled);
    return removeLabels(s, Array.from(labelsOf(bitset)));
  });
}

export function removeLabels(s: CollectionState, labels: readonly number[]): { deleted: number; version: number } {
  if (labels.length === 0) return { deleted: 0, version: s.version };
  const version = s.version + 1;
  commit(s, labels, (apply) => s.table.remove(labels, version, apply), () => {
    for (const label of labels) unindex(s, label);
  });
  for (const label of labels) s.freeLabels.push(label);
  s.version = version;
  s.changedSinceSnapshot += labels.length;
  afterWrite(s);
  return { deleted: labels.length, version };
}

/**
 * Commits a write all or nothing. `write` runs the store's transaction and
 * calls `apply` (this write's in-memory changes to `labels`) inside it,
 * before the commit. Should anything throw there (an index, the graph, a
 * bug) or the commit itself fail, SQLite rolls back, and every label the
 * write touched is put back as the store holds it now, read from the
 * store: what memory holds then equals the store whatever point the write
 * failed at, and the caller, which moves the version only after this
 * returns, leaves it where it was. The batch is rejected and changed
 * nothing anyone can see.
 *
 * Why not commit first and apply after, as the store of record would
 * allow: a batch answered with an error would then be stored and half
 * applied (issue 23: count 512 with 11 of 250 ids listed and an unchanged
 * version, all 250 back after a restart). Why not an undo log of the old
 * values: reading the touched labels back from the rolled-back store is
 * the same undo, exact by construction, and costs nothing on success. If
 * putting them back fails too, the collection rebuilds its indexes from the
 * store (opening degraded if even that fails), so memory never drifts from
 * the store.
 */
export function commit(s: CollectionState, labels: readonly number[], write: (apply: () => void) => void, apply: () => void): void {
  const idsLength = s.ids.length;
  let applying = false;
  try {
    write(() => {
      applying = true;
      apply();
    });
  } catch (error) {
    if (applying) restoreLabels(s, labels, idsLength, error);
    throw error;
  }
}

/** After a failed write: puts `labels` back as the store holds them (see #commit). */
export function restoreLabels(s: CollectionState, labels: readonly number[], idsLength: number, cause: unknown): void {
  try {
    for (const label of labels) {
      const row = s.table.byLabel(label);
      if (row === undefined) {
        unindex(s, label);
        continue;
      }
      const held = s.labelOf.get(row.id);
      if (held !== undefined && held !== label) s.unmap(held);
      const metadata = row.metadata === undefined ? undefined : (JSON.parse(row.metadata) as Metadata);
      apply(s, label, row.id, row.vector, row.text, metadata);
    }
    // Labels the write took past the end are unused again, and the free labels are those the ids leave.
    while (s.ids.length > idsLength && s.ids[s.ids.length - 1] === undefined) s.ids.length--;
    s.collectFreeLabels();
    // A commit that failed may still have landed (SQLite cannot always tell): the version is the store's.
    s.version = s.table.version();
    s.services.log.warn(`collection '${s.name}': a write failed (${messageOf(cause)}) and was undone`);
  } catch (error) {
    s.services.log.error(`collection '${s.name}': a write failed (${messageOf(cause)}) and could not be undone ` +
      `(${messageOf(error)}); rebuilding the collection's indexes from the store`);
    rebuildAfterFailure(s);
  }
}

/**
 * Validates the whole batch and picks labels: an existing id keeps its
 * label, a new one takes a freed label or the next unused one. Nothing is
 * changed here; `freeLeft` is how many freed labels remain once it commits.
 */
export function prepareWrites(s: CollectionState, documents: readonly DocumentInput[]): { rows: RowWrite[]; metadata: (Metadata | undefined)[]; freeLeft: number } {
  const checked = checkDocuments(documents, s.name, s.options);
  let freeLeft = s.freeLabels.length;
  let nextNew = s.ids.length;
  const rows = checked.map(({ id, vector, text, metadata }): RowWrite => {
    const held = s.labelOf.get(id);
    const label = held ?? (freeLeft > 0 ? s.freeLabels[--freeLeft]! : nextNew++);
    // A replaced document whose vector is the one stored keeps its graph node: replacing a vector in an
    // hnswlib graph repairs its neighbours' links, several times a fresh insert's work (bench:update), and
    // pipelines that re-ingest documents mostly re-send vectors that did not change.
    const keepsVector = held !== undefined && s.options.vectors && sameValues(s.table.vectorOf(held), vector);
    return { label, id, vector, text, metadata: metadata?.json, replaces: held !== undefined, keepsVector };
  });
  return { rows, metadata: checked.map((document) => document.metadata?.value), freeLeft };
}

/** Whether two vectors hold the same float32 values, bit for bit (so -0 and 0 differ, as they are stored). */
function sameValues(stored: Float32Array | undefined, vector: Float32Array): boolean {
  if (stored === undefined || stored.length !== vector.length) return false;
  const a = new Uint32Array(stored.buffer, stored.byteOffset, stored.length);
  const b = new Uint32Array(vector.buffer, vector.byteOffset, vector.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

