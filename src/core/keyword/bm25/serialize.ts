/**
 * Snapshot bytes of a BM25 index (taken after a compaction, so all in
 * main): header, dictionary, postings and per-doc labels and lengths;
 * block maxima and the forward index are rebuilt on load.
 *
 * Layout (little-endian, sections 4-byte aligned): u32 magic, u32
 * BM25_FORMAT, u32 header length, header JSON (tokenizer version, ICU
 * version, text options, counts), u32 length of each term (UTF-16 units),
 * the terms' UTF-8 text, i32 term starts (terms + 1), i32 posting docs,
 * u16 posting tfs, i32 doc labels, i32 doc lengths.
 */
import { createError } from '../../errors.js';
import { TOKENIZER_VERSION, sameTextOptions, type ResolvedTextOptions } from '../tokenizer.js';
import { ensureLabel } from './arrays.js';
import type { Dictionary } from './dictionary.js';
import type { Documents } from './documents.js';
import type { ResolvedBm25Options } from './options.js';
import type { MainSegment } from './segment.js';

/** Format of `serialize()`; bumped on any change to the byte layout. */
export const BM25_FORMAT = 1;
const MAGIC = 0x4d423251; // 'Q2BM' read as a little-endian u32
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface SnapshotHeader {
  tokenizer: number;
  icu: string | null;
  text: ResolvedTextOptions;
  terms: number;
  termBytes: number;
  docs: number;
  postings: number;
}

/** The snapshot of a compacted index (empty buffer, no tombstones). */
export function snapshotBytes(text: ResolvedTextOptions, dict: Dictionary, documents: Documents, main: MainSegment): Uint8Array {
  const terms = dict.terms;
  const termText = new TextEncoder().encode(terms.join(''));
  const termLengths = Uint32Array.from(terms, (term) => term.length);
  const docs = documents.count;
  const postings = main.docs.length;
  const header = new TextEncoder().encode(JSON.stringify({
    tokenizer: TOKENIZER_VERSION,
    icu: process.versions.icu ?? null,
    text,
    terms: terms.length,
    termBytes: termText.byteLength,
    docs,
    postings,
  } satisfies SnapshotHeader));
  const sections: ArrayBufferView[] = [
    termLengths,
    termText,
    main.start.subarray(0, terms.length + 1),
    main.docs,
    main.tfs,
    documents.docLabel.subarray(0, docs),
    documents.docLen.subarray(0, docs),
  ];
  let total = align4(12 + header.byteLength);
  for (const section of sections) total += align4(section.byteLength);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, BM25_FORMAT, true);
  view.setUint32(8, header.byteLength, true);
  out.set(header, 12);
  let at = align4(12 + header.byteLength);
  for (const section of sections) {
    out.set(new Uint8Array(section.buffer, section.byteOffset, section.byteLength), at);
    at += align4(section.byteLength);
  }
  return out;
}

/**
 * Loads `snapshotBytes` output into a new index's empty parts. Throws
 * INVALID_ARGUMENT when the bytes are malformed or were made by another
 * tokenizer (version, ICU data or `text` options).
 */
export function loadSnapshot(
  bytes: Uint8Array, text: ResolvedTextOptions, bm25: ResolvedBm25Options, dict: Dictionary, documents: Documents, main: MainSegment,
): void {
  const fail = (problem: string): never => {
    throw createError('INVALID_ARGUMENT', 'keyword index snapshot', `format ${BM25_FORMAT} made with the same tokenizer`, problem);
  };
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < 12) fail('too short');
  if (!LITTLE_ENDIAN) fail('a big-endian host');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) fail('bad magic number');
  const format = view.getUint32(4, true);
  if (format !== BM25_FORMAT) fail(`format ${format}`);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.byteLength) fail('a truncated header');
  let header: SnapshotHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as SnapshotHeader;
  } catch {
    return fail('an unreadable header');
  }
  if (typeof header !== 'object' || header === null) fail('an unreadable header');
  if (header.tokenizer !== TOKENIZER_VERSION) fail(`tokenizer version ${String(header.tokenizer)}`);
  if (header.icu !== (process.versions.icu ?? null)) fail(`ICU ${String(header.icu)} (this runtime has ${String(process.versions.icu)})`);
  if (typeof header.text !== 'object' || header.text === null || !sameTextOptions(header.text, text)) fail(`text options ${JSON.stringify(header.text)}`);
  const { terms, termBytes, docs, postings } = header;
  for (const count of [terms, termBytes, docs, postings]) {
    if (!Number.isInteger(count) || count < 0 || count > 2 ** 31 - 1) fail('bad counts');
  }
  let at = align4(12 + headerLength);
  const take = (byteLength: number): Uint8Array => {
    if (at + byteLength > bytes.byteLength) fail('truncated sections');
    const copy = bytes.slice(at, at + byteLength);
    at += align4(byteLength);
    return copy;
  };
  const termLengths = new Uint32Array(take(terms * 4).buffer);
  const termText = new TextDecoder().decode(take(termBytes));
  const start = new Int32Array(take((terms + 1) * 4).buffer);
  const postingDocs = new Int32Array(take(postings * 4).buffer);
  const postingTfs = new Uint16Array(take(postings * 2).buffer, 0, postings);
  const docLabel = new Int32Array(take(docs * 4).buffer);
  const docLen = new Int32Array(take(docs * 4).buffer);
  if (at !== bytes.byteLength) fail('trailing bytes');
  load(termLengths, termText, start, postingDocs, postingTfs, docLabel, docLen, fail, bm25, dict, documents, main);
}

/** Checks the sections and builds the dictionary, the documents (with the forward index) and main from them. */
function load(
  termLengths: Uint32Array, termText: string, start: Int32Array, postingDocs: Int32Array, postingTfs: Uint16Array,
  docLabel: Int32Array, docLen: Int32Array, fail: (problem: string) => never,
  bm25: ResolvedBm25Options, dict: Dictionary, documents: Documents, main: MainSegment,
): void {
  const terms = termLengths.length;
  const docs = docLabel.length;
  const postings = postingDocs.length;
  // Dictionary.
  let offset = 0;
  for (let t = 0; t < terms; t++) {
    const term = termText.slice(offset, (offset += termLengths[t]!));
    if (dict.ids.has(term)) fail(`a repeated term ${JSON.stringify(term)}`);
    dict.ids.set(term, t);
    dict.terms.push(term);
  }
  if (offset !== termText.length) fail('term lengths that do not match the term text');
  // Documents.
  documents.count = docs;
  documents.reserve(docs, 0);
  documents.docLabel.set(docLabel);
  documents.docLen.set(docLen);
  for (let d = 0; d < docs; d++) {
    const label = docLabel[d]!;
    const length = docLen[d]!;
    if (label < 0 || length < 1) fail(`doc ${d} with label ${label} and length ${length}`);
    documents.labelDoc = ensureLabel(documents.labelDoc, label);
    if (documents.labelDoc[label]! >= 0) fail(`label ${label} on two docs`);
    documents.labelDoc[label] = d;
    documents.totalLength += length;
  }
  documents.live = docs;
  // Postings: checked, counted per doc for the forward index.
  if (start[0] !== 0 || start[terms] !== postings) fail('term starts that do not span the postings');
  dict.df = new Int32Array(Math.max(16, terms));
  dict.scratch = new Int32Array(Math.max(16, terms));
  const perDoc = new Int32Array(docs + 1);
  for (let t = 0; t < terms; t++) {
    const from = start[t]!;
    const to = start[t + 1]!;
    if (to <= from || to > postings) fail(`term ${t} with postings ${from}..${to}`);
    dict.df[t] = to - from;
    let previous = -1;
    for (let p = from; p < to; p++) {
      const d = postingDocs[p]!;
      if (d <= previous || d >= docs || postingTfs[p] === 0) fail(`term ${t} with a bad posting at ${p}`);
      previous = d;
      perDoc[d + 1]!++;
    }
  }
  for (let d = 0; d < docs; d++) {
    if (perDoc[d + 1] === 0) fail(`doc ${d} without terms`);
    perDoc[d + 1]! += perDoc[d]!;
  }
  documents.forwardStart = perDoc;
  const forward = (documents.forward = new Int32Array(Math.max(64, postings)));
  const fill = perDoc.slice(0, docs);
  for (let t = 0; t < terms; t++) {
    for (let p = start[t]!; p < start[t + 1]!; p++) forward[fill[postingDocs[p]!]!++] = t;
  }
  // Main segment with fresh block maxima.
  main.docCount = docs;
  main.termCount = terms;
  main.start = start;
  main.docs = postingDocs;
  main.tfs = postingTfs;
  main.buildBlocks(documents.docLen, bm25, documents.blockAvgdl);
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
