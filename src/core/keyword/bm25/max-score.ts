/**
 * Top-k by block-max MaxScore over windows (as Lucene 9's
 * MaxScoreBulkScorer; Turtle & Flood 1995, Ding & Suel 2011). A window is
 * the doc range up to the nearest end of the query terms' current blocks,
 * so every term's block maximum bounds its score there. A term's score in
 * a doc is weight * g(A), weight = qtf * idf * (k1 + 1), with the
 * saturated tf g(A) = tf / (tf + k1 * (1 - b) + k1 * b * dl / A) at
 * A = avgdl. Each block stores the largest g(A0) of its postings, A0 being
 * the segment's avgdl when the block was written; since g(A) <= g(A0) for
 * A <= A0 and g(A) <= g(A0) * A / A0 for A > A0,
 *   bound(block) = weight * blockMax * max(1, avgdl / A0)
 * holds however avgdl has moved since. (Maxima of tf and minima of dl
 * taken separately are far looser: BM25 saturates, so on a term in most
 * documents they bound nearly every block above the k-th score.)
 * Terms are sorted by bound; the smallest whose bounds sum
 * below the current k-th score are non-essential: only documents of the
 * others are candidates, and a candidate stops being scored as soon as its
 * score so far plus the bounds left cannot reach the k-th score. A window
 * where all bounds together cannot reach it is skipped whole. A common
 * term's blocks are therefore mostly skipped once the heap is full.
 */
import type { BufferSegment } from './buffer.js';
import { Cursor, advance } from './cursor.js';
import type { Documents } from './documents.js';
import type { KeywordHeap } from './heap.js';
import { BLOCK, BLOCK_SHIFT, type MainSegment } from './segment.js';

const NO_DOC = 0x7fffffff;

/**
 * Feeds `heap` the best docs for the query `terms` (term ids, in query
 * order) with `weights` (qtf * idf * (k1 + 1) each), main's docs first and
 * then the buffer's: buffer docs come after main docs, so one heap serves
 * both in doc order. `allowed`: the labels a filter lets through.
 */
export function maxScore(
  main: MainSegment, buffer: BufferSegment, documents: Documents, terms: Int32Array, weights: Float64Array,
  avgdl: number, k1mb: number, k1bOverAvg: number, allowed: Uint32Array | undefined, heap: KeywordHeap,
): void {
  const contributions = new Float64Array(terms.length);
  const mainDrift = Math.max(1, avgdl / main.avgdl);
  const bufferDrift = Math.max(1, avgdl / buffer.avgdl);
  const mained: Cursor[] = [];
  const buffered: Cursor[] = [];
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i]!;
    const weight = weights[i]!;
    if (t < main.termCount && main.start[t + 1]! > main.start[t]!) {
      mained.push(new Cursor(main.docs, main.tfs, main.start[t]!, main.start[t + 1]!, main.blockMax, main.blockStart[t]!, weight, weight * mainDrift, i));
    }
    const slot = buffer.slot(t);
    if (slot >= 0) {
      const blockMax = buffer.blocks[slot] ?? Float64Array.of(buffer.max[slot]!);
      const from = buffer.offset[slot]!;
      buffered.push(new Cursor(buffer.docs, buffer.tfs, from, from + buffer.length[slot]!, blockMax, 0, weight, weight * bufferDrift, i));
    }
  }
  searchSegment(mained, heap, contributions, documents, k1mb, k1bOverAvg, allowed);
  searchSegment(buffered, heap, contributions, documents, k1mb, k1bOverAvg, allowed);
}

/** Block-max MaxScore over one segment's cursors (see the file comment), feeding `heap`. */
function searchSegment(cursors: Cursor[], heap: KeywordHeap, contributions: Float64Array, documents: Documents, k1mb: number, k1bOverAvg: number, allowed: Uint32Array | undefined): void {
  const m0 = cursors.length;
  if (m0 === 0) return;
  const dead = documents.dead;
  const docLabel = documents.docLabel;
  const docLen = documents.docLen;
  const prefix = new Float64Array(m0 + 1);
  const active = cursors.slice();
  const allowedWords = allowed === undefined ? 0 : allowed.length;
  let windowStart = 0;
  for (;;) {
    // Move every cursor to the block holding windowStart; the window ends where the first of those blocks ends.
    let windowEnd = NO_DOC;
    let m = 0;
    for (let i = 0; i < active.length; i++) {
      const c = active[i]!;
      const docs = c.docs;
      let blockFirst = c.start + (c.block << BLOCK_SHIFT);
      let last = docs[Math.min(blockFirst + BLOCK, c.end) - 1]!;
      while (last < windowStart) {
        c.block++;
        blockFirst += BLOCK;
        if (blockFirst >= c.end) break;
        last = docs[Math.min(blockFirst + BLOCK, c.end) - 1]!;
      }
      if (blockFirst >= c.end) continue;
      if (c.pos < blockFirst) c.pos = blockFirst;
      if (last < windowEnd) windowEnd = last;
      c.bound = c.boundWeight * c.blockMax[c.blockBase + c.block]!;
      // Insertion sort by bound, ascending.
      let j = m++;
      while (j > 0 && active[j - 1]!.bound > c.bound) {
        active[j] = active[j - 1]!;
        j--;
      }
      active[j] = c;
    }
    active.length = m;
    if (m === 0) return;
    for (let i = 0; i < m; i++) prefix[i + 1] = prefix[i]! + active[i]!.bound;
    let limit = heap.limit;
    if (prefix[m]! < limit) {
      windowStart = windowEnd + 1;
      continue;
    }
    // active[0..e) are non-essential: together they cannot reach the limit.
    let e = 0;
    while (e < m && prefix[e + 1]! < limit) e++;
    // The essential cursors' blocks may start before the window: skip what lies before it.
    for (let i = e; i < m; i++) advance(active[i]!, windowStart);
    for (;;) {
      let d = NO_DOC;
      for (let i = e; i < m; i++) {
        const c = active[i]!;
        if (c.pos < c.end) {
          const x = c.docs[c.pos]!;
          if (x < d) d = x;
        }
      }
      if (d > windowEnd) break;
      let ok = dead[d] === 0;
      const label = docLabel[d]!;
      if (ok && allowed !== undefined) ok = label >>> 5 < allowedWords && ((allowed[label >>> 5]! >>> (label & 31)) & 1) === 1;
      const norm = k1mb + k1bOverAvg * docLen[d]!;
      let partial = 0;
      for (let i = e; i < m; i++) {
        const c = active[i]!;
        if (c.pos < c.end && c.docs[c.pos] === d) {
          if (ok) {
            const tf = c.tfs[c.pos]!;
            const s = (c.weight * tf) / (tf + norm);
            contributions[c.term] = s;
            partial += s;
          }
          c.pos++;
        }
      }
      if (!ok) continue;
      let i = e - 1;
      for (; i >= 0; i--) {
        if (partial + prefix[i + 1]! < limit) break;
        const c = active[i]!;
        advance(c, d);
        if (c.pos < c.end && c.docs[c.pos] === d) {
          const tf = c.tfs[c.pos]!;
          const s = (c.weight * tf) / (tf + norm);
          contributions[c.term] = s;
          partial += s;
        }
      }
      if (i >= 0) {
        for (let j = 0; j < m; j++) contributions[active[j]!.term] = 0;
        continue;
      }
      let score = 0;
      for (let j = 0; j < contributions.length; j++) {
        score += contributions[j]!;
        contributions[j] = 0;
      }
      if (heap.offer(score, label)) {
        limit = heap.limit;
        while (e < m && prefix[e + 1]! < limit) e++;
      }
    }
    windowStart = windowEnd + 1;
  }
}
