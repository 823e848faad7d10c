/**
 * What a BM25 index is built with: the scoring parameters (k1, b), the
 * tombstone share that triggers a purge, and the label range; each
 * resolved and checked before an index exists.
 */
import { createError } from '../../errors.js';
import { DEFAULT_BM25_B, DEFAULT_BM25_K1, DEFAULT_COMPACT_AT, MAX_BM25_K1 } from '../../options.js';
import type { TextOptions } from '../tokenizer.js';

/** Largest label the index accepts. */
export const MAX_LABEL = 2 ** 31 - 1;

export interface Bm25Options {
  /** Term-frequency saturation, 0 to MAX_BM25_K1. Default DEFAULT_BM25_K1 (1.2). */
  k1?: number;
  /** Length normalisation, 0 to 1. Default DEFAULT_BM25_B (0.75). */
  b?: number;
}

export interface ResolvedBm25Options {
  readonly k1: number;
  readonly b: number;
}

export interface Bm25IndexOptions {
  /** How text becomes terms (see tokenizer.ts); raw or resolved. Part of a snapshot: loading needs the same. */
  text?: TextOptions;
  /** Scoring parameters, raw or resolved. Not part of a snapshot: an index may load one made with others. */
  bm25?: Bm25Options;
  /** Purge tombstones once they pass this fraction of the indexed docs (and MIN_COMPACT_TOMBSTONES, merge.ts). Default DEFAULT_COMPACT_AT. */
  compactAt?: number;
}

/** Merges defaults, checks ranges and throws one INVALID_OPTIONS listing all problems. */
export function resolveBm25Options(input: unknown = {}): ResolvedBm25Options {
  if (input === undefined) input = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw createError('INVALID_OPTIONS', ['bm25 options must be an object']);
  }
  const options = input as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(options)) {
    if (key !== 'k1' && key !== 'b') problems.push(`unknown option 'bm25.${key}'`);
  }
  const { k1 = DEFAULT_BM25_K1, b = DEFAULT_BM25_B } = options;
  if (typeof k1 !== 'number' || !(k1 >= 0 && k1 <= MAX_BM25_K1)) problems.push(`bm25.k1 must be a number from 0 to ${MAX_BM25_K1}, got ${String(k1)}`);
  if (typeof b !== 'number' || !(b >= 0 && b <= 1)) problems.push(`bm25.b must be a number from 0 to 1, got ${String(b)}`);
  if (problems.length > 0) throw createError('INVALID_OPTIONS', problems);
  return Object.freeze({ k1: k1 as number, b: b as number });
}

/** `compactAt` with its default, checked: above 0 and at most 1. */
export function resolveCompactAt(input: number | undefined): number {
  const compactAt = input ?? DEFAULT_COMPACT_AT;
  if (typeof compactAt !== 'number' || !(compactAt > 0 && compactAt <= 1)) {
    throw createError('INVALID_OPTIONS', [`compactAt must be a number above 0 and at most 1, got ${String(compactAt)}`]);
  }
  return compactAt;
}

export function checkLabel(label: number): void {
  if (!Number.isInteger(label) || label < 0 || label > MAX_LABEL) {
    throw createError('INVALID_ARGUMENT', 'label', `an integer from 0 to ${MAX_LABEL}`, label);
  }
}
