/**
 * One document in or out of memory: the vector, graph and keyword indexes,
 * the metadata index and the id maps, kept in step.
 */
import { normalize, normalizesAtInsert } from '../vector/metric.js';
import type { Metadata } from '../validate.js';
import type { CollectionState } from './state.js';

/** `keepsVector`: the document replaces one with this very vector, so the vector index and graph keep theirs. */
export function apply(
  s: CollectionState, label: number, id: string, vector: Float32Array, text: string | undefined, metadata: Metadata | undefined, keepsVector = false,
): void {
  s.fieldCache.forget(label);
  const previous = s.ids[label];
  if (previous !== undefined && previous !== id) s.labelOf.delete(previous);
  // Without an index (a degraded collection: only a failed write's undo gets here) the id maps are all there is.
  if (s.unavailable !== undefined) s.map(label, id);
  else if (keepsVector) indexText(s, label, id, text);
  else index(s, label, id, vector, text);
  s.touchedDuringCompaction?.add(label);
  s.metadataOf(label)?.add(label, metadata);
}

/**
 * A document's new text and metadata in memory, its vector and graph node
 * left as they are: the keyword index (when built) and the metadata index.
 */
export function applyFields(s: CollectionState, label: number, text: string | undefined, metadata: Metadata | undefined): void {
  s.fieldCache.forget(label);
  if (s.unavailable === undefined) {
    if (text === undefined) s.bm25.remove(label);
    else s.bm25.add(label, text);
  }
  s.metadataOf(label)?.add(label, metadata);
}

/** Takes a document out of memory: the indexes (when built), the metadata index, the id maps. */
export function unindex(s: CollectionState, label: number): void {
  if (s.unavailable === undefined) {
    if (s.options.vectors) {
      s.vectors.remove(label);
      s.hnsw.remove(label);
    }
    s.bm25.remove(label);
  }
  s.touchedDuringCompaction?.add(label);
  s.fieldCache.forget(label);
  s.metadataOf(label)?.remove(label);
  s.unmap(label);
}

/** Puts a document in the vector and keyword indexes and maps its id (no metadata: see #metadataIndex). */
export function index(s: CollectionState, label: number, id: string, vector: Float32Array, text: string | undefined): void {
  if (s.options.vectors) {
    // `vector` is this collection's own copy (validated, or read from the store), already written to
    // the store: it is normalised in place and handed to the graph, which keeps it.
    const stored = normalizesAtInsert(s.options.metric) ? normalize(vector) : vector;
    s.vectors.add(label, stored);
    s.hnsw.add(label, stored);
  }
  indexText(s, label, id, text);
}

/** Puts a document's text in the keyword index and maps its id, its vector left as indexed. */
function indexText(s: CollectionState, label: number, id: string, text: string | undefined): void {
  if (text === undefined) s.bm25.remove(label);
  else s.bm25.add(label, text);
  s.labelOf.set(id, label);
  s.ids[label] = id;
}
