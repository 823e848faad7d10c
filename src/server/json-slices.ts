/**
 * JSON of a long list written a slice at a time, with a turn of the event
 * loop between slices, so one large reply (thousands of hits, vectors
 * included) never holds the server for the whole of its serialisation.
 */
import { nextSlice } from '../core/query/read-budget.js';

/** Values per slice (a hit's fields, or each component of its vector): about a millisecond of JSON.stringify. */
const SLICE_VALUES = 16_384;

/** What one hit or document weighs as JSON, in values: its fields, and its vector's components when it carries one. */
const FIELD_VALUES = 64;

/**
 * `JSON.stringify(items.map(toJson))`, a slice at a time, sized by the
 * first item's weight (all items of one reply carry the same fields). Stops
 * with REQUEST_ABORTED once `signal` is aborted.
 */
export async function jsonArray<T extends { vector?: ArrayLike<number> }>(items: readonly T[], toJson: (item: T) => unknown, signal?: AbortSignal): Promise<string> {
  const slice = Math.max(1, Math.floor(SLICE_VALUES / (FIELD_VALUES + (items[0]?.vector?.length ?? 0))));
  if (items.length <= slice) return JSON.stringify(items.map(toJson));
  const parts: string[] = [];
  for (let from = 0; from < items.length; from += slice) {
    if (from > 0) await nextSlice(signal, 'request');
    const json = JSON.stringify(items.slice(from, from + slice).map(toJson));
    parts.push(json.slice(1, -1));
  }
  return `[${parts.join(',')}]`;
}
