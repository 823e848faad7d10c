/**
 * The main postings segment, and the block layout both segments share.
 *
 * Main holds every doc up to the last merge as compressed sparse rows:
 * `start[t]..start[t + 1]` index `docs` (Int32Array, increasing doc order)
 * and `tfs` (Uint16Array; a term repeated more than MAX_TF times in one
 * document counts MAX_TF), in blocks of BLOCK postings, each block with its
 * largest saturated tf g(A0) in `blockMax` from `blockStart[t]`, A0 being
 * `avgdl` (see max-score.ts for the bound this gives). The buffer
 * (buffer.ts) keeps the same block maxima; merge.ts rewrites main.
 */
import { lowerBound } from '../../sorted.js';
import type { ResolvedBm25Options } from './options.js';

export const BLOCK_SHIFT = 7;
/** Postings per block of block-max metadata: smaller blocks give tighter bounds and more windows. */
export const BLOCK = 1 << BLOCK_SHIFT;
export const MAX_TF = 0xffff;

export class MainSegment {
  /** Docs below this are main's; the buffer's start here. */
  docCount = 0;
  /** Terms below this have a row here. */
  termCount = 0;
  start: Int32Array = new Int32Array(1);
  docs: Int32Array = new Int32Array(0);
  tfs: Uint16Array = new Uint16Array(0);
  blockStart: Int32Array = new Int32Array(1);
  blockMax: Float64Array = new Float64Array(0);
  /** avgdl when the block maxima were computed (A0). */
  avgdl = 1;

  /** tf of term `t` in `doc` (a main doc), 0 when absent: binary search in the term's row. */
  tf(t: number, doc: number): number {
    if (t >= this.termCount) return 0;
    const end = this.start[t + 1]!;
    const at = lowerBound(this.docs, doc, this.start[t]!, end);
    return at < end && this.docs[at] === doc ? this.tfs[at]! : 0;
  }

  /** Block starts and maxima of every row, at A0 = `avgdl`; `docLen` is per doc. */
  buildBlocks(docLen: Int32Array, bm25: ResolvedBm25Options, avgdl: number): void {
    const terms = this.termCount;
    const start = this.start;
    const blockStart = new Int32Array(terms + 1);
    for (let t = 0; t < terms; t++) blockStart[t + 1] = blockStart[t]! + ((start[t + 1]! - start[t]! + BLOCK - 1) >>> BLOCK_SHIFT);
    this.blockStart = blockStart;
    this.blockMax = new Float64Array(blockStart[terms]!);
    this.avgdl = avgdl;
    for (let t = 0; t < terms; t++) this.fillBlocks(start[t]!, start[t + 1]!, blockStart[t]!, docLen, bm25);
  }

  /** Computes the block maxima of the postings `from..to`, whose first block is `blockBase`, at A0 = `avgdl`. */
  fillBlocks(from: number, to: number, blockBase: number, docLen: Int32Array, bm25: ResolvedBm25Options): void {
    const docs = this.docs;
    const tfs = this.tfs;
    const blockMax = this.blockMax;
    const { k1, b } = bm25;
    const k1mb = k1 * (1 - b);
    const k1bOverAvg = (k1 * b) / this.avgdl;
    for (let p = from, block = blockBase; p < to; p += BLOCK, block++) {
      const end = Math.min(p + BLOCK, to);
      let max = 0;
      for (let q = p; q < end; q++) {
        const tf = tfs[q]!;
        const g = tf / (tf + k1mb + k1bOverAvg * docLen[docs[q]!]!);
        if (g > max) max = g;
      }
      blockMax[block] = max;
    }
  }

  get bytes(): number {
    return this.start.byteLength + this.docs.byteLength + this.tfs.byteLength + this.blockStart.byteLength + this.blockMax.byteLength;
  }
}
