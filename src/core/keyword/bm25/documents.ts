/**
 * The documents, by internal doc number: label, length and tombstone of
 * each, the forward index (each doc's distinct terms, which remove walks to
 * take the doc out of df), label -> doc, and the live statistics (N and
 * the length total behind avgdl). Every add gets a fresh doc number, so
 * each term's postings are in increasing doc order however labels are
 * reused; merge.ts renumbers them when it purges tombstones.
 */
import { grow } from './arrays.js';

export class Documents {
  count = 0;
  docLabel: Int32Array = new Int32Array(16);
  docLen: Int32Array = new Int32Array(16);
  dead: Uint8Array = new Uint8Array(16);
  /** Forward index: the distinct terms of doc d are forward[forwardStart[d] .. forwardStart[d + 1]]. */
  forwardStart: Int32Array = new Int32Array(17);
  forward: Int32Array = new Int32Array(64);
  /** label -> doc, -1 when the label is not indexed. */
  labelDoc: Int32Array = new Int32Array(16).fill(-1);
  live = 0;
  totalLength = 0;
  tombstones = 0;

  /** avgdl for block maxima computed now (A0): 1 while no doc is live. */
  get blockAvgdl(): number {
    return this.live === 0 ? 1 : this.totalLength / this.live;
  }

  get bytes(): number {
    return this.docLabel.byteLength + this.docLen.byteLength + this.dead.byteLength + this.forwardStart.byteLength +
      this.forward.byteLength + this.labelDoc.byteLength;
  }

  /** Marks the label's doc dead and takes it out of the statistics and of `df`. */
  remove(label: number, df: Int32Array): boolean {
    if (label >= this.labelDoc.length) return false;
    const doc = this.labelDoc[label]!;
    if (doc < 0) return false;
    this.labelDoc[label] = -1;
    this.dead[doc] = 1;
    for (let i = this.forwardStart[doc]!; i < this.forwardStart[doc + 1]!; i++) df[this.forward[i]!]!--;
    this.live--;
    this.totalLength -= this.docLen[doc]!;
    this.tombstones++;
    return true;
  }

  /** Room for `docs` docs and `terms` more forward entries. */
  reserve(docs: number, terms: number): void {
    if (docs === 0) return;
    if (docs > this.docLabel.length) {
      const size = Math.max(docs, this.docLabel.length * 2);
      this.docLabel = grow(this.docLabel, size);
      this.docLen = grow(this.docLen, size);
      this.dead = grow(this.dead, size);
    }
    if (docs + 1 > this.forwardStart.length) this.forwardStart = grow(this.forwardStart, Math.max(docs + 1, this.forwardStart.length * 2));
    const need = this.forwardStart[docs - 1]! + terms;
    // The forward index is the largest per-doc array: it grows by half, not double.
    if (need > this.forward.length) this.forward = grow(this.forward, Math.max(need, Math.ceil(this.forward.length * 1.5)));
  }

  /** Returns the spare room growth left in the per-doc arrays and the forward index. */
  trim(): void {
    const docs = Math.max(16, this.count);
    if (this.docLabel.length > docs) {
      this.docLabel = this.docLabel.slice(0, docs);
      this.docLen = this.docLen.slice(0, docs);
      this.dead = this.dead.slice(0, docs);
      this.forwardStart = this.forwardStart.slice(0, docs + 1);
    }
    const entries = Math.max(64, this.forwardStart[this.count]!);
    if (this.forward.length > entries) this.forward = this.forward.slice(0, entries);
  }
}
