/**
 * The bounds of one read (a search, a list page, a getMany), so that no
 * request, however large, holds the calling thread or its memory for long:
 *
 * - before the work, the vectors it would return (hits times the
 *   dimension) are checked against MAX_RESULT_VECTOR_VALUES;
 * - while the documents' text and metadata are read, their size is added
 *   up against MAX_RESULT_FIELD_BYTES, and the read stops once over;
 * - a large read goes a slice (READ_SLICE) at a time and gives the event
 *   loop a turn between slices (`nextSlice`), where it also stops if its
 *   caller aborted it (an AbortSignal: the HTTP server aborts a request's
 *   work when its client goes away).
 *
 * Each bound fails with LIMIT_EXCEEDED, which names the limit and says what
 * to ask for instead.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createError } from '../errors.js';
import { MAX_RESULT_FIELD_BYTES, MAX_RESULT_VECTOR_VALUES } from '../options.js';

/** Throws LIMIT_EXCEEDED when `count` vectors of `dimension` components are more than one read may return. */
export function checkVectorValues(count: number, dimension: number, what: string): void {
  const values = count * dimension;
  if (values <= MAX_RESULT_VECTOR_VALUES) return;
  throw createError(
    'LIMIT_EXCEEDED',
    'MAX_RESULT_VECTOR_VALUES',
    `${what} times the dimension (${count} x ${dimension}), the vector components the reply would carry,`,
    values,
    MAX_RESULT_VECTOR_VALUES,
    `ask for at most ${Math.max(1, Math.floor(MAX_RESULT_VECTOR_VALUES / dimension))} at a time, or leave 'vector' out of include`,
  );
}

/** The text and metadata one read has returned so far. */
export class FieldBudget {
  #used = 0;

  /** Counts one document's fields; throws LIMIT_EXCEEDED once the read is over its budget. */
  add(text: string | null | undefined, metadata: string | null | undefined): void {
    this.#used += (text?.length ?? 0) + (metadata?.length ?? 0);
    if (this.#used <= MAX_RESULT_FIELD_BYTES) return;
    throw createError(
      'LIMIT_EXCEEDED',
      'MAX_RESULT_FIELD_BYTES',
      'the text and metadata of the documents read so far',
      this.#used,
      MAX_RESULT_FIELD_BYTES,
      "ask for fewer hits or documents, or leave 'text' or 'metadata' out of include",
    );
  }
}

/** Throws INVALID_ARGUMENT unless `signal` is undefined or an AbortSignal. */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw createError('INVALID_ARGUMENT', 'signal', 'an AbortSignal', signal);
}

/** Throws REQUEST_ABORTED when the caller aborted the read. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw createError('REQUEST_ABORTED', what);
}

/** Gives the event loop a turn between two slices of a read, then stops it if its caller aborted it. */
export async function nextSlice(signal: AbortSignal | undefined, what: string): Promise<void> {
  await nextTurn();
  throwIfAborted(signal, what);
}
