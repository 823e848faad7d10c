/**
 * A collection's metadata index, read from the store in the background
 * after open, a page of labels at a time (at most BUDGET_MS of work per turn
 * of the event loop), so that no filter waits for the whole index to be
 * built at its first use (735 ms at 100,000 documents).
 *
 * Labels below `next` are in the index; writes to them update it at once
 * (the collection asks `covers(label)`). Writes to labels at or above `next`
 * are left alone: they are committed to the store, so the page that reaches
 * them reads their latest state. A search with a filter that arrives before
 * the end waits for `whenDone()`, which makes the reading go faster
 * (URGENT_BUDGET_MS a turn) but still between other work, so other requests
 * are answered meanwhile; other callers may `finish()`, which reads the
 * remaining pages at once.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MetadataIndex } from './metadata-index.js';
import type { Metadata } from './validate.js';

/** One page of the store: rows with label >= `from`, in label order, at most `limit`. */
export type MetadataPageReader = (from: number, limit: number) => { label: number; metadata: string | null }[];

const PAGE_ROWS = 512;
const BUDGET_MS = 4;
/** Reading per turn while a search waits for the index: long enough to finish soon, short enough to answer others. */
const URGENT_BUDGET_MS = 20;

export class MetadataLoader {
  readonly index = new MetadataIndex();
  readonly #read: MetadataPageReader;
  #next = 0;
  #done = false;
  #stopped = false;
  #urgent = false;
  /** Resolved when `run` ends: the index is complete, or the reading stopped or failed. */
  #ended: Promise<void> | undefined;

  constructor(read: MetadataPageReader) {
    this.#read = read;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Whether the index already holds `label`'s state: a write to it must update the index. */
  covers(label: number): boolean {
    return this.#done || label < this.#next;
  }

  /** Reads pages between other work until the end of the store (or `stop`). */
  run(): Promise<void> {
    this.#ended ??= this.#run();
    return this.#ended;
  }

  async #run(): Promise<void> {
    while (!this.#done && !this.#stopped) {
      const started = performance.now();
      const budget = this.#urgent ? URGENT_BUDGET_MS : BUDGET_MS;
      while (!this.#done && performance.now() - started < budget) this.#page();
      if (!this.#done) await nextTurn();
    }
  }

  /**
   * Resolves once the reading ends (check `done`: it may have stopped), at
   * the faster pace from now on. Rejects if reading a page failed.
   */
  whenDone(): Promise<void> {
    this.#urgent = true;
    return this.run();
  }

  /** Reads every page left, now; returns the complete index. */
  finish(): MetadataIndex {
    while (!this.#done) this.#page();
    return this.index;
  }

  /** Stops the background reading (the collection closed or was reset). */
  stop(): void {
    this.#stopped = true;
  }

  #page(): void {
    const rows = this.#read(this.#next, PAGE_ROWS);
    for (const { label, metadata } of rows) {
      this.index.add(label, metadata === null ? undefined : (JSON.parse(metadata) as Metadata));
    }
    if (rows.length < PAGE_ROWS) this.#done = true;
    else this.#next = rows[rows.length - 1]!.label + 1;
  }
}
