/**
 * Which labels still hold the documents they held when a read began: a
 * read in slices (Collection's search and list, see READ_SLICE) gives the
 * event loop turns, and writes may land in them, deleting a document or
 * giving its label to another. After a turn in which the collection's
 * version moved, a label is kept only if it holds the same id and passes
 * the read's filter as it stands now.
 */
import type { Ranked, RankedLabels } from '../ranked.js';
import { hasLabel } from '../bitset.js';

export type KeepLabel = (label: number) => boolean;

export class CurrentLabels {
  readonly #ids: readonly (string | undefined)[];
  readonly #held = new Map<number, string | undefined>();
  readonly #version: number;
  readonly #allowedNow: () => { bitset: Uint32Array } | undefined;
  /** The test as of one version: the filter is evaluated once per version, not per slice. */
  #keep: { version: number; keep: KeepLabel } | undefined;

  /** `ids` is the collection's live label -> id table; `allowedNow` evaluates the read's filter (undefined: none). */
  constructor(ids: readonly (string | undefined)[], version: number, allowedNow: () => { bitset: Uint32Array } | undefined) {
    this.#ids = ids;
    this.#version = version;
    this.#allowedNow = allowedNow;
  }

  remember(labels: ArrayLike<number>): void {
    for (let i = 0; i < labels.length; i++) this.#held.set(labels[i]!, this.#ids[labels[i]!]);
  }

  /** Undefined while no write landed since the read began (every label still counts); else the test of a label. */
  keeper(version: number): KeepLabel | undefined {
    if (version === this.#version) return undefined;
    if (this.#keep?.version !== version) {
      const allowed = this.#allowedNow();
      const keep: KeepLabel = (label) => {
        const id = this.#held.get(label);
        return id !== undefined && this.#ids[label] === id && (allowed === undefined || hasLabel(allowed.bitset, label));
      };
      this.#keep = { version, keep };
    }
    return this.#keep.keep;
  }
}

/** The positions of the labels `keep` accepts. */
export function keptAt(labels: ArrayLike<number>, keep: KeepLabel): number[] {
  const at: number[] = [];
  for (let i = 0; i < labels.length; i++) if (keep(labels[i]!)) at.push(i);
  return at;
}

/** `ranked` without the labels `keep` refuses, in the same order. */
export function keptRanked(ranked: Ranked, keep: KeepLabel): RankedLabels {
  const at = keptAt(ranked.labels, keep);
  return { labels: Int32Array.from(at, (i) => ranked.labels[i]!), scores: Float32Array.from(at, (i) => ranked.scores[i]!) };
}
