/**
 * A posting of the metadata index (metadata-index.ts): the labels holding
 * one value of one field, stored as small as the count allows.
 */
import { grow } from '../bitset.js';

/** A posting stays an array up to this many labels even when a bitset would be smaller. */
const MIN_BITSET_SIZE = 32;

/**
 * The labels holding one value: one inline label, an unsorted array while
 * small, a bitset once it holds more labels than the bitset has words.
 */
export class Posting {
  size = 0;
  /** The label while `size` is 1 and neither array exists. */
  #one = 0;
  #labels: Uint32Array | undefined;
  #words: Uint32Array | undefined;

  /** Adds a label not already present; `bound` is the index's labelBound. */
  add(label: number, bound: number): void {
    const size = ++this.size;
    if (this.#words !== undefined) {
      const word = label >>> 5;
      if (word >= this.#words.length) this.#words = grow(this.#words, Math.max(word + 1, Math.ceil(bound / 32)));
      this.#words[word]! |= 1 << (label & 31);
      return;
    }
    let labels = this.#labels;
    if (labels === undefined) {
      if (size === 1) {
        this.#one = label;
        return;
      }
      labels = this.#labels = new Uint32Array(4);
      labels[0] = this.#one;
    }
    const words = Math.ceil(bound / 32);
    if (size > MIN_BITSET_SIZE && size > words) {
      const bits = new Uint32Array(words);
      for (let i = 0; i < size - 1; i++) {
        const l = labels[i]!;
        bits[l >>> 5]! |= 1 << (l & 31);
      }
      bits[label >>> 5]! |= 1 << (label & 31);
      this.#words = bits;
      this.#labels = undefined;
      return;
    }
    if (size > labels.length) labels = this.#labels = grow(labels, size);
    labels[size - 1] = label;
  }

  /** Removes a label that is present. */
  remove(label: number): void {
    if (this.#words !== undefined) {
      this.#words[label >>> 5]! &= ~(1 << (label & 31));
      this.size--;
      return;
    }
    const labels = this.#labels;
    if (labels === undefined) {
      this.size = 0;
      return;
    }
    const last = this.size - 1;
    const at = labels.subarray(0, this.size).indexOf(label);
    if (at < 0) return;
    labels[at] = labels[last]!;
    this.size = last;
  }

  orInto(result: Uint32Array): void {
    const words = this.#words;
    if (words !== undefined) {
      const n = Math.min(words.length, result.length);
      for (let i = 0; i < n; i++) result[i]! |= words[i]!;
      return;
    }
    const labels = this.#labels;
    if (labels === undefined) {
      if (this.size === 1) result[this.#one >>> 5]! |= 1 << (this.#one & 31);
      return;
    }
    for (let i = 0; i < this.size; i++) {
      const label = labels[i]!;
      result[label >>> 5]! |= 1 << (label & 31);
    }
  }
}
