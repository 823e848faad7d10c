/**
 * JSON of a long list written a slice at a time, with a turn of the event
 * loop between slices, so one large reply (thousands of hits, vectors
 * included) never holds the server for the whole of its serialisation.
 */
import { nextSlice } from '../core/read-budget.js';

/** Values per slice (a hit's fields, or each component of its vector): about a millisecond of JSON.stringify. */
const SLICE_VALUES = 16_384;

/**
 * `JSON.stringify(items.map(toJson))`, a slice at a time; `valuesPerItem`
 * (e.g. 4 + the dimension, for hits with their vectors) sizes the slices.
 * Stops with REQUEST_ABORTED once `signal` is aborted.
 */
export async function jsonArray<T>(items: readonly T[], toJson: (item: T) => unknown, signal?: AbortSignal, valuesPerItem = 64): Promise<string> {
  const slice = Math.max(1, Math.floor(SLICE_VALUES / valuesPerItem));
  if (items.length <= slice) return JSON.stringify(items.map(toJson));
  const parts: string[] = [];
  for (let from = 0; from < items.length; from += slice) {
    if (from > 0) await nextSlice(signal, 'request');
    const json = JSON.stringify(items.slice(from, from + slice).map(toJson));
    parts.push(json.slice(1, -1));
  }
  return `[${parts.join(',')}]`;
}
