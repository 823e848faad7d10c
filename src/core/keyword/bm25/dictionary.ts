/**
 * The term dictionary: term id <-> string, each term's live document
 * frequency (df), and the per-term tf scratch an add counts in.
 */
import { grow } from './arrays.js';

export class Dictionary {
  ids = new Map<string, number>();
  terms: string[] = [];
  df: Int32Array = new Int32Array(16);
  /** Per term id, tf while one document is being added (zero otherwise). */
  scratch: Int32Array = new Int32Array(16);

  /** Gives `term` the next id, growing the per-term arrays; returns the id. */
  add(term: string): number {
    const t = this.terms.length;
    this.ids.set(term, t);
    this.terms.push(term);
    if (t >= this.df.length) this.df = grow(this.df, t * 2);
    if (t >= this.scratch.length) this.scratch = grow(this.scratch, t * 2);
    return t;
  }

  get bytes(): number {
    return this.df.byteLength + this.scratch.byteLength;
  }
}
