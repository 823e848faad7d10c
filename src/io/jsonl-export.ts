/**
 * Documents as JSON Lines, the form `quiver export` writes and the JSONL
 * reader (jsonl.ts) reads back exactly: one object a line with the keys in
 * a fixed order, id, vector, text, metadata. Vectors are base64 of
 * little-endian float32 by default, so every stored bit comes back (a JSON
 * number drops the sign of -0); `json` writes arrays of numbers instead, for
 * people and tools that want them. Metadata is nested under `metadata`,
 * which the reader merges back, so no metadata key can collide with id,
 * vector or text.
 */
import type { Document } from '../core/api.js';
import { encodeFloat32Base64 } from '../core/vector/float32-base64.js';

export const VECTOR_NOTATIONS = ['base64', 'json'] as const;
export type VectorNotation = (typeof VECTOR_NOTATIONS)[number];

/** One document as a JSONL line, without its newline. */
export function documentLine(document: Document, vectors: VectorNotation = 'base64'): string {
  const line: Record<string, unknown> = { id: document.id };
  if (document.vector !== undefined) line.vector = vectors === 'base64' ? encodeFloat32Base64(document.vector) : Array.from(document.vector);
  if (document.text !== undefined) line.text = document.text;
  if (document.metadata !== undefined) line.metadata = document.metadata;
  return JSON.stringify(line);
}
