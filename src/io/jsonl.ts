/**
 * JSON Lines: one JSON object per line, read a line at a time. A line that
 * is not a JSON object, or lacks an id or a vector, is rejected with its
 * line number and the reader goes on. Vectors are arrays of numbers or
 * base64 of little-endian float32 (the OpenAI `encoding_format: "base64"`).
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { isPlainObject } from '../core/validate.js';
import { decodeFloat32Base64 } from '../core/vector/float32-base64.js';
import { kindOf, recordToItem, SourceError, type FieldNames, type SourceItem, type VectorParse } from './fields.js';

export interface TextReadOptions {
  fields: FieldNames;
  rowIds: boolean;
  /** Documents without vectors: the vector field is not read (a record that has one is rejected). */
  keywordOnly: boolean;
  /**
   * Told the bytes of the file consumed so far: up to the end of the line
   * just read (not what the stream read ahead), so a stop at line 2 is not
   * reported as the whole file; in compressed bytes read for `.gz`.
   */
  progress: (bytes: number) => void;
}

export async function* readJsonl(path: string, options: TextReadOptions): AsyncGenerator<SourceItem> {
  const { input, position, close } = openText(path);
  const consumed = { bytes: 0 };
  try {
    let line = 0;
    let records = 0;
    for await (const raw of readLines(input, consumed)) {
      line++;
      options.progress(position(consumed.bytes));
      const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        yield { kind: 'rejected', at: { line }, problem: `invalid JSON: ${(error as Error).message}` };
        continue;
      }
      if (!isPlainObject(value)) {
        yield { kind: 'rejected', at: { line }, problem: `expected a JSON object, got ${kindOf(value)}` };
        continue;
      }
      // A first record without the vector field at all names a file of another shape, not one bad line: stop
      // there, once, rather than reject every line alike (SciFact's corpus gave 5,183 rejections).
      if (records++ === 0 && !options.keywordOnly && !Object.hasOwn(value, options.fields.vector)) {
        throw new SourceError(
          `the first record (line ${line}) has no field '${options.fields.vector}' (its fields: ${Object.keys(value).slice(0, 12).join(', ') || 'none'}); ` +
            'name the vector field with --vector-field, or import text and metadata only with --keyword-only',
        );
      }
      yield recordToItem(value, line, {
        fields: options.fields,
        rowId: options.rowIds ? String(line - 1) : undefined,
        parseVector: jsonVector,
        metadataValue: (x) => x,
        keepEmpty: true,
        keywordOnly: options.keywordOnly,
      });
    }
  } finally {
    close();
  }
}

/**
 * Lines of a UTF-8 stream without their `\n` or `\r\n`; backpressure comes
 * from pulling chunks. `consumed.bytes` counts the bytes up to the end of
 * the line last yielded, newline included.
 */
export async function* readLines(input: Readable, consumed: { bytes: number } = { bytes: 0 }): AsyncGenerator<string> {
  const pending: Buffer[] = [];
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let start = 0;
    let newline = chunk.indexOf(10);
    while (newline !== -1) {
      // A newline byte never occurs inside a multi-byte UTF-8 sequence, so splitting bytes is safe.
      let line: Buffer = chunk.subarray(start, newline);
      if (pending.length > 0) {
        line = Buffer.concat([...pending, line]);
        pending.length = 0;
      }
      consumed.bytes += line.length + 1;
      yield line.toString('utf8', 0, line.length > 0 && line[line.length - 1] === 13 ? line.length - 1 : line.length);
      start = newline + 1;
      newline = chunk.indexOf(10, start);
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length > 0) {
    const line = Buffer.concat(pending);
    consumed.bytes += line.length;
    yield line.toString('utf8', 0, line[line.length - 1] === 13 ? line.length - 1 : line.length);
  }
}

/**
 * The file as a text stream (gunzipped for `.gz`), with the file position of
 * a count of text bytes consumed: the count itself for a plain file; for a
 * compressed one, the compressed bytes read (the stream's read-ahead, up to
 * a megabyte, included), since compressed and text bytes do not map.
 */
export function openText(path: string): { input: Readable; position: (consumed: number) => number; close: () => void } {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  if (!path.toLowerCase().endsWith('.gz')) return { input: file, position: (consumed) => consumed, close: () => file.destroy() };
  const gunzip = createGunzip();
  file.on('error', (error) => gunzip.destroy(error));
  file.pipe(gunzip);
  return {
    input: gunzip,
    position: () => file.bytesRead,
    close: () => {
      file.destroy();
      gunzip.destroy();
    },
  };
}

function jsonVector(value: unknown): VectorParse {
  if (Array.isArray(value)) return { vector: value };
  if (typeof value === 'string') return decodeFloat32Base64(value);
  return { problem: `expected an array of numbers or base64 float32, got ${kindOf(value)}` };
}

