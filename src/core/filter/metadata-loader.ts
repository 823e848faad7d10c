/**
 * A collection's metadata index, read in the background after open, a page
 * at a time (at most BUDGET_MS of work per turn of the event loop), so that
 * no filter waits for the whole index to be built at its first use (735 ms
 * at 100,000 documents). Two sources:
 *
 * - **The store**, a page of labels at a time. Labels below `next` are in
 *   the index; writes to them update it at once (the collection asks
 *   `covers(label)`). Writes to labels at or above `next` are left alone:
 *   they are committed to the store, so the page that reaches them reads
 *   their latest state.
 * - **A snapshot's copy of the index** (MetadataIndex.serialize), a chunk
 *   of labels at a time: several times cheaper than the store, which must
 *   read every row and parse its metadata. The copy is as of the snapshot's
 *   version, so no write is applied while it is read: the collection notes
 *   the labels it writes (`touched`), with the ones replayed since the
 *   snapshot, and the last step reads each of those labels' current state
 *   from the store.
 * A search with a filter that arrives before
 * the end waits for `whenDone()`, which makes the reading go faster
 * (URGENT_BUDGET_MS a turn) but still between other work, so other requests
 * are answered meanwhile; other callers may `finish()`, which reads the
 * remaining pages at once.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MetadataIndex } from './metadata-index.js';
import type { Metadata } from '../validate.js';

/** One page of the store: rows with label >= `from`, in label order, at most `limit`. */
export type MetadataPageReader = (from: number, limit: number) => { label: number; metadata: string | null }[];

/** A snapshot's copy of the index, the labels changed since, and how to read one label's current metadata (undefined: no document). */
export interface MetadataSnapshotSource {
  bytes: Uint8Array;
  changed: Iterable<number>;
  readLabel: (label: number) => { metadata: string | null } | undefined;
}

interface SnapshotSteps {
  step: () => boolean;
  touched: Set<number>;
  readLabel: MetadataSnapshotSource['readLabel'];
}

const PAGE_ROWS = 512;
const BUDGET_MS = 4;
/** Reading per turn while a search waits for the index: long enough to finish soon, short enough to answer others. */
const URGENT_BUDGET_MS = 20;

export class MetadataLoader {
  readonly index: MetadataIndex;
  readonly #read: MetadataPageReader | undefined;
  readonly #snapshot: SnapshotSteps | undefined;
  #next = 0;
  #done = false;
  #stopped = false;
  #urgent = false;
  /** Resolved when `run` ends: the index is complete, or the reading stopped or failed. */
  #ended: Promise<void> | undefined;

  constructor(source: MetadataPageReader | MetadataSnapshotSource) {
    if (typeof source === 'function') {
      this.#read = source;
      this.index = new MetadataIndex();
      return;
    }
    const reader = MetadataIndex.deserializer(source.bytes);
    this.index = reader.index;
    this.#snapshot = { step: reader.step, touched: new Set(source.changed), readLabel: source.readLabel };
  }

  get done(): boolean {
    return this.#done;
  }

  /** Whether the index already holds `label`'s state: a write to it must update the index. */
  covers(label: number): boolean {
    return this.#done || (this.#snapshot === undefined && label < this.#next);
  }

  /** Notes a write to a label the index does not cover yet (see the file comment). */
  touched(label: number): void {
    this.#snapshot?.touched.add(label);
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
    if (this.#snapshot !== undefined) {
      this.#chunk(this.#snapshot);
      return;
    }
    const rows = this.#read!(this.#next, PAGE_ROWS);
    for (const { label, metadata } of rows) {
      this.index.add(label, metadata === null ? undefined : (JSON.parse(metadata) as Metadata));
    }
    if (rows.length < PAGE_ROWS) this.#done = true;
    else this.#next = rows[rows.length - 1]!.label + 1;
  }

  /** A chunk of the snapshot's copy; after the last, the labels written since, from the store. */
  #chunk(snapshot: SnapshotSteps): void {
    if (!snapshot.step()) return;
    for (const label of snapshot.touched) {
      const row = snapshot.readLabel(label);
      if (row === undefined) this.index.remove(label);
      else this.index.add(label, row.metadata === null ? undefined : (JSON.parse(row.metadata) as Metadata));
    }
    this.#done = true;
  }
}
