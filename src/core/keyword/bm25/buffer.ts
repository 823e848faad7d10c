/**
 * The buffer segment: per term, its postings among the docs added since the
 * last merge, each term in one region of a shared pool (no typed array per
 * term: allocating those dominated adds). A full region moves to the end of
 * the pool with twice the room (the old one is garbage until the merge);
 * the pool doubles when it is full, so it holds at most about four times
 * the buffer's postings, and starts small again after every merge. Block
 * maxima as in main (segment.ts), at the A0 of the buffer's first doc.
 */
import { grow } from './arrays.js';
import { lowerBound } from '../../sorted.js';
import { BLOCK, BLOCK_SHIFT } from './segment.js';

export class BufferSegment {
  /** term id -> slot + 1 (0: the term has no buffer postings). */
  slotOf: Int32Array = new Int32Array(16);
  slots = 0;
  offset: Int32Array = new Int32Array(16);
  length: Int32Array = new Int32Array(16);
  capacity: Int32Array = new Int32Array(16);
  /** Largest saturated tf of each slot: its block maximum while it has one block. */
  max: Float64Array = new Float64Array(16);
  /** Block maxima of slots with more than one block. */
  blocks: (Float64Array | undefined)[] = [];
  docs: Int32Array = new Int32Array(1 << 12);
  tfs: Uint16Array = new Uint16Array(1 << 12);
  end = 0;
  postings = 0;
  /** A0 of the block maxima: avgdl when the first doc after a merge came. */
  avgdl = 1;

  /** The slot of term `t`, or -1. */
  slot(t: number): number {
    return t < this.slotOf.length ? this.slotOf[t]! - 1 : -1;
  }

  /** Appends (doc, tf) to term `t`'s postings; `g` is its saturated tf at A0. */
  push(t: number, doc: number, tf: number, g: number): void {
    if (t >= this.slotOf.length) this.slotOf = grow(this.slotOf, Math.max(t + 1, this.slotOf.length * 2));
    let slot = this.slotOf[t]! - 1;
    if (slot < 0) slot = this.#newSlot(t);
    const n = this.length[slot]!;
    if (n === this.capacity[slot]!) this.#move(slot, n * 2);
    const at = this.offset[slot]! + n;
    this.docs[at] = doc;
    this.tfs[at] = tf;
    this.length[slot] = n + 1;
    this.postings++;
    if (n >= BLOCK) {
      const block = n >>> BLOCK_SHIFT;
      let blocks = this.blocks[slot];
      if (blocks === undefined) {
        blocks = this.blocks[slot] = new Float64Array(4);
        blocks[0] = this.max[slot]!;
      } else if (block >= blocks.length) {
        blocks = this.blocks[slot] = grow(blocks, block * 2);
      }
      if ((n & (BLOCK - 1)) === 0 || g > blocks[block]!) blocks[block] = g;
    }
    if (g > this.max[slot]!) this.max[slot] = g;
  }

  /** tf of term `t` in `doc`, 0 when absent. */
  tf(t: number, doc: number): number {
    const slot = this.slot(t);
    if (slot < 0) return 0;
    const at = lowerBound(this.docs, doc, this.offset[slot]!, this.offset[slot]! + this.length[slot]!);
    return at < this.offset[slot]! + this.length[slot]! && this.docs[at] === doc ? this.tfs[at]! : 0;
  }

  /** Forgets every posting and sizes the term map for `terms`. The pool starts small again: kept, it would hold up to a few times the largest buffer for good. */
  clear(terms: number): void {
    this.slotOf = new Int32Array(Math.max(16, terms));
    this.slots = 0;
    this.offset = new Int32Array(16);
    this.length = new Int32Array(16);
    this.capacity = new Int32Array(16);
    this.max = new Float64Array(16);
    this.blocks = [];
    this.docs = new Int32Array(1 << 12);
    this.tfs = new Uint16Array(1 << 12);
    this.end = 0;
    this.postings = 0;
  }

  get bytes(): number {
    let bytes = this.slotOf.byteLength + this.offset.byteLength + this.length.byteLength + this.capacity.byteLength +
      this.max.byteLength + this.docs.byteLength + this.tfs.byteLength;
    for (const blocks of this.blocks) bytes += blocks?.byteLength ?? 0;
    return bytes;
  }

  #newSlot(t: number): number {
    const slot = this.slots++;
    if (slot >= this.offset.length) {
      const size = this.offset.length * 2;
      this.offset = grow(this.offset, size);
      this.length = grow(this.length, size);
      this.capacity = grow(this.capacity, size);
      this.max = grow(this.max, size);
    }
    this.slotOf[t] = slot + 1;
    this.offset[slot] = this.#allocate(4);
    this.length[slot] = 0;
    this.capacity[slot] = 4;
    this.max[slot] = 0;
    this.blocks[slot] = undefined;
    return slot;
  }

  /** Moves a full slot to a fresh region of `capacity`. */
  #move(slot: number, capacity: number): void {
    const from = this.offset[slot]!;
    const n = this.length[slot]!;
    const to = this.#allocate(capacity);
    this.docs.copyWithin(to, from, from + n);
    this.tfs.copyWithin(to, from, from + n);
    this.offset[slot] = to;
    this.capacity[slot] = capacity;
  }

  #allocate(size: number): number {
    const at = this.end;
    this.end += size;
    if (this.end > this.docs.length) {
      const grown = Math.max(this.end, this.docs.length * 2);
      this.docs = grow(this.docs, grown);
      this.tfs = grow(this.tfs, grown);
    }
    return at;
  }
}
