/**
 * Per-label state of an HNSW graph: absent, live, or deleted (a tombstone
 * still in the graph), with the live and tombstone counts. Saved beside the
 * graph, since hnswlib's own file does not say which labels are tombstones.
 */
export const ABSENT = 0;
export const LIVE = 1;
export const DELETED = 2;

export class LabelStates {
  #states: Uint8Array;
  #live = 0;
  #tombstones = 0;

  /** Empty, or a copy of saved states (never a view of a larger file buffer). */
  constructor(saved?: Uint8Array) {
    this.#states = saved ? new Uint8Array(saved) : new Uint8Array(0);
    for (const state of this.#states) {
      if (state === LIVE) this.#live++;
      else if (state === DELETED) this.#tombstones++;
    }
  }

  /** Labels searchable now (tombstones excluded). */
  get live(): number {
    return this.#live;
  }

  /** Deleted labels still in the graph; compaction removes them. */
  get tombstones(): number {
    return this.#tombstones;
  }

  /** The states by label (0 absent, 1 live, 2 deleted), to save with the graph. */
  get bytes(): Uint8Array {
    return this.#states;
  }

  of(label: number): number {
    return label < this.#states.length ? this.#states[label]! : ABSENT;
  }

  /** Marks `label` live (added, replaced or revived); returns its state before. */
  markLive(label: number): number {
    const before = this.of(label);
    if (before !== LIVE) this.#live++;
    if (before === DELETED) this.#tombstones--;
    this.#set(label, LIVE);
    return before;
  }

  /** Marks a live `label` deleted; returns false (and changes nothing) when it was not live. */
  markDeleted(label: number): boolean {
    if (this.of(label) !== LIVE) return false;
    this.#live--;
    this.#tombstones++;
    this.#set(label, DELETED);
    return true;
  }

  /** Labels of every live node, ascending. */
  liveLabels(): number[] {
    const out: number[] = [];
    for (let label = 0; label < this.#states.length; label++) if (this.#states[label] === LIVE) out.push(label);
    return out;
  }

  #set(label: number, state: number): void {
    if (label >= this.#states.length) {
      const grown = new Uint8Array(Math.max(label + 1, this.#states.length * 2, 1024));
      grown.set(this.#states);
      this.#states = grown;
    }
    this.#states[label] = state;
  }
}
