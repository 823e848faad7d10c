/**
 * Segment merge and renumbering. The buffer merges into main once it holds
 * a quarter as many postings as main (at least MIN_BUFFER_POSTINGS): each
 * posting is copied a bounded number of times, amortised O(1) per add, and
 * a merge is two block copies per term plus a pass computing block maxima.
 * When dead docs pass `compactAt` of all docs (and MIN_COMPACT_TOMBSTONES),
 * a purge rewrites both segments into a new main without them, renumbering
 * docs and dropping terms no live document holds. Both run synchronously
 * inside the add or remove that triggers them (Bm25Index's #maintain).
 */
import type { BufferSegment } from './buffer.js';
import type { Dictionary } from './dictionary.js';
import type { Documents } from './documents.js';
import type { ResolvedBm25Options } from './options.js';
import { BLOCK, BLOCK_SHIFT, type MainSegment } from './segment.js';

/** The buffer merges into main at max(this, main postings / 4) postings. */
export const MIN_BUFFER_POSTINGS = 1 << 18;
/** Fewer tombstones than this are not worth a purge. */
export const MIN_COMPACT_TOMBSTONES = 1_000;

/**
 * Main + buffer -> new main. Without `purge`, term ids and docs keep
 * their numbers and each term's postings are two block copies. With it,
 * dead docs and terms without live docs go, and both are renumbered.
 */
export function merge(dict: Dictionary, documents: Documents, main: MainSegment, buffer: BufferSegment, bm25: ResolvedBm25Options, purge: boolean): void {
  const oldTerms = dict.terms.length;
  const oldDocs = documents.count;
  let docMap: Int32Array | undefined;
  let termMap: Int32Array | undefined;
  let docs = oldDocs;
  let terms = oldTerms;
  if (purge) {
    docMap = new Int32Array(oldDocs);
    docs = 0;
    for (let d = 0; d < oldDocs; d++) docMap[d] = documents.dead[d] ? -1 : docs++;
    termMap = new Int32Array(oldTerms);
    terms = 0;
    for (let t = 0; t < oldTerms; t++) termMap[t] = dict.df[t]! > 0 ? terms++ : -1;
    renumberDocs(documents, docMap, termMap, docs);
  }
  const oldStart = main.start;
  const oldPostingDocs = main.docs;
  const oldTfs = main.tfs;
  const oldMainTerms = main.termCount;
  const mainLength = (t: number) => (t < oldMainTerms ? oldStart[t + 1]! - oldStart[t]! : 0);

  const start = new Int32Array(terms + 1);
  const blockStart = new Int32Array(terms + 1);
  for (let t = 0; t < oldTerms; t++) {
    const nt = termMap === undefined ? t : termMap[t]!;
    if (nt < 0) continue;
    const slot = buffer.slot(t);
    const size = purge ? dict.df[t]! : mainLength(t) + (slot < 0 ? 0 : buffer.length[slot]!);
    start[nt + 1] = size;
    blockStart[nt + 1] = (size + BLOCK - 1) >>> BLOCK_SHIFT;
  }
  for (let t = 0; t < terms; t++) {
    start[t + 1]! += start[t]!;
    blockStart[t + 1]! += blockStart[t]!;
  }
  const postingDocs = new Int32Array(start[terms]!);
  const tfs = new Uint16Array(start[terms]!);
  main.blockMax = new Float64Array(blockStart[terms]!);
  main.avgdl = documents.blockAvgdl;
  main.docs = postingDocs;
  main.tfs = tfs;
  const docLen = documents.docLen;
  for (let t = 0; t < oldTerms; t++) {
    const nt = termMap === undefined ? t : termMap[t]!;
    if (nt < 0) continue;
    const at = start[nt]!;
    const from = t < oldMainTerms ? oldStart[t]! : 0;
    const to = from + mainLength(t);
    const slot = buffer.slot(t);
    const bufferFrom = slot < 0 ? 0 : buffer.offset[slot]!;
    const bufferTo = slot < 0 ? 0 : bufferFrom + buffer.length[slot]!;
    if (docMap === undefined) {
      postingDocs.set(oldPostingDocs.subarray(from, to), at);
      tfs.set(oldTfs.subarray(from, to), at);
      postingDocs.set(buffer.docs.subarray(bufferFrom, bufferTo), at + to - from);
      tfs.set(buffer.tfs.subarray(bufferFrom, bufferTo), at + to - from);
      main.fillBlocks(at, start[nt + 1]!, blockStart[nt]!, docLen, bm25);
    } else {
      let w = at;
      for (let p = from; p < to; p++) {
        const d = docMap[oldPostingDocs[p]!]!;
        if (d < 0) continue;
        postingDocs[w] = d;
        tfs[w++] = oldTfs[p]!;
      }
      for (let p = bufferFrom; p < bufferTo; p++) {
        const d = docMap[buffer.docs[p]!]!;
        if (d < 0) continue;
        postingDocs[w] = d;
        tfs[w++] = buffer.tfs[p]!;
      }
      main.fillBlocks(at, w, blockStart[nt]!, docLen, bm25);
    }
  }
  main.start = start;
  main.blockStart = blockStart;
  main.docCount = docs;
  main.termCount = terms;
  buffer.clear(terms);
  if (termMap !== undefined) renumberTerms(dict, termMap, terms);
}

/** The per-doc arrays and the forward index without dead docs, in the new numbering. */
function renumberDocs(documents: Documents, docMap: Int32Array, termMap: Int32Array, docs: number): void {
  const oldDocs = documents.count;
  const oldForwardStart = documents.forwardStart;
  const oldForward = documents.forward;
  const oldDocLabel = documents.docLabel;
  const oldDocLen = documents.docLen;
  const labelDoc = documents.labelDoc;
  const docLabel = new Int32Array(Math.max(16, docs));
  const docLen = new Int32Array(Math.max(16, docs));
  const forwardStart = new Int32Array(Math.max(16, docs) + 1);
  let entries = 0;
  for (let d = 0; d < oldDocs; d++) if (docMap[d]! >= 0) entries += oldForwardStart[d + 1]! - oldForwardStart[d]!;
  const forward = new Int32Array(Math.max(64, entries));
  let w = 0;
  for (let d = 0; d < oldDocs; d++) {
    const nd = docMap[d]!;
    if (nd < 0) continue;
    const label = oldDocLabel[d]!;
    docLabel[nd] = label;
    docLen[nd] = oldDocLen[d]!;
    labelDoc[label] = nd;
    for (let i = oldForwardStart[d]!; i < oldForwardStart[d + 1]!; i++) forward[w++] = termMap[oldForward[i]!]!;
    forwardStart[nd + 1] = w;
  }
  documents.docLabel = docLabel;
  documents.docLen = docLen;
  documents.dead = new Uint8Array(Math.max(16, docs));
  documents.forwardStart = forwardStart;
  documents.forward = forward;
  documents.count = docs;
  documents.tombstones = 0;
}

/** The dictionary without the terms `termMap` drops (-1), in the new numbering. */
function renumberTerms(dict: Dictionary, termMap: Int32Array, terms: number): void {
  const oldTerms = termMap.length;
  const df = new Int32Array(Math.max(16, terms));
  const kept: string[] = [];
  for (let t = 0; t < oldTerms; t++) {
    if (termMap[t]! < 0) continue;
    df[termMap[t]!] = dict.df[t]!;
    kept.push(dict.terms[t]!);
  }
  dict.df = df;
  dict.terms = kept;
  dict.ids = new Map(kept.map((term, t) => [term, t]));
  dict.scratch = new Int32Array(Math.max(16, terms));
}
