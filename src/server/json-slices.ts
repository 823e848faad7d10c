/**
 * JSON of a long list written a slice at a time, with a turn of the event
 * loop between slices, so one large reply (thousands of hits, vectors
 * included) never holds the server for the whole of its serialisation.
 */
import { nextSlice } from '../core/read-budget.js';

/** Items per slice: a few milliseconds of JSON.stringify for hits with metadata and text. */
const JSON_SLICE = 256;

/** `JSON.stringify(items.map(toJson))`, slice by slice; stops with REQUEST_ABORTED once `signal` is aborted. */
export async function jsonArray<T>(items: readonly T[], toJson: (item: T) => unknown, signal?: AbortSignal): Promise<string> {
  if (items.length <= JSON_SLICE) return JSON.stringify(items.map(toJson));
  const parts: string[] = [];
  for (let from = 0; from < items.length; from += JSON_SLICE) {
    if (from > 0) await nextSlice(signal, 'request');
    const json = JSON.stringify(items.slice(from, from + JSON_SLICE).map(toJson));
    parts.push(json.slice(1, -1));
  }
  return `[${parts.join(',')}]`;
}
