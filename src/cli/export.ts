/**
 * `quiver export <collection>`: every document of a collection as JSON
 * Lines (io/jsonl-export.ts), to stdout or a file, which `quiver import`
 * reads back exactly. A local data directory is read with the library's
 * `export` (from the store, a page at a time); a server with --url through
 * `list` pages, whose size halves when a page is over the server's reply
 * bounds. Either way memory stays one page and the output is written with
 * backpressure, so a large collection streams.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { QuiverClient } from '../client/index.js';
import type { Database, Document } from '../index.js';
import { isQuiverError } from '../core/errors.js';
import { documentLine, VECTOR_NOTATIONS, type VectorNotation } from '../io/jsonl-export.js';
import { Checks, CliError, EXIT_INTERRUPTED, EXIT_OK, parseCommand, resolveTargetFlags, TARGET_OPTIONS, TARGET_USAGE } from './args.js';
import { formatCount, formatDuration } from './format.js';
import { PROGRESS_INTERVAL_MS } from './progress.js';
import { openTarget, type CliIo, type TargetDatabase } from './target.js';

export const EXPORT_USAGE = `usage: quiver export <collection> [--out FILE] [--vectors base64|json]

Writes every document of <collection> as JSON Lines (id, vector, text, metadata; one
document a line, in the order 'list' pages in) to stdout, or to FILE. 'quiver import'
reads the file back exactly: vectors are base64 of little-endian float32, every bit kept.
Writes made during the export may or may not be in it; for one version of the whole
collection, export a backup ('quiver backup', then --data on the backup).
Progress goes to stderr once an export takes a while.

  --out FILE          write to FILE (it must not exist) instead of stdout
  --vectors V         base64 (default, exact) or json (arrays of numbers; -0 reads back as 0)

${TARGET_USAGE}
Through --url, vectors come as JSON numbers: the sign of -0 is lost.`;

const EXPORT_OPTIONS = {
  ...TARGET_OPTIONS,
  out: { type: 'string' },
  vectors: { type: 'string' },
} as const;

/** Lines gathered before one write to the output. */
const WRITE_BYTES = 1 << 20;

/** The `quiver export` command. */
export async function runExport(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, EXPORT_OPTIONS, { min: 1, max: 1, names: '<collection>' });
  if (values.help) {
    io.stdout.write(`${EXPORT_USAGE}\n`);
    return EXIT_OK;
  }
  const name = positionals[0]!;
  const checks = new Checks();
  const vectors = checks.choice(values.vectors, 'vectors', VECTOR_NOTATIONS) ?? 'base64';
  const out = checks.nonEmpty(values.out, 'out');
  checks.done();
  const { db } = await openTarget(resolveTargetFlags(values, io.env), io, { create: false });
  let file: WriteStream | undefined;
  let finished = false;
  try {
    // By name or alias; a missing or unavailable collection fails here, before any output.
    const { count } = db instanceof QuiverClient ? await db.collection(name).describe() : (db as Database).collection(name).info;
    if (out !== undefined) file = await openOutput(out);
    const exported = await writeDocuments(documentsOf(db, name, io.signal), file ?? io.stdout, vectors, progressReporter(io, name, count));
    if (file !== undefined) {
      file.end();
      await once(file, 'finish');
    }
    finished = true;
    if (out !== undefined) io.stderr.write(`quiver export: ${formatCount(exported)} documents of '${name}' written to ${out}\n`);
    return EXIT_OK;
  } catch (error) {
    if (isQuiverError(error) && error.code === 'REQUEST_ABORTED') {
      io.stderr.write(`quiver export: interrupted${out === undefined ? '' : `; removed the partial ${out}`}\n`);
      return EXIT_INTERRUPTED;
    }
    throw error;
  } finally {
    if (out !== undefined && file !== undefined && !finished) {
      file.destroy();
      // A cut-short export must not pass for a whole one.
      await rm(out, { force: true });
    }
    await db.close();
  }
}

/** A new file for the export; an existing one is an error, never overwritten. */
async function openOutput(path: string): Promise<WriteStream> {
  const stream = createWriteStream(path, { flags: 'wx' });
  try {
    await once(stream, 'open');
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') throw new CliError(`${path} exists: choose another --out, or remove it first`);
    throw error;
  }
  return stream;
}

/** The collection's documents: the library's export for a data directory, the client's (`list` pages) for a server. */
function documentsOf(db: TargetDatabase, name: string, signal: AbortSignal | undefined): AsyncIterable<Document> {
  const collection = db instanceof QuiverClient ? db.collection(name) : (db as Database).collection(name);
  return collection.export(signal === undefined ? {} : { signal });
}

/** Writes each document as a line, a megabyte at a time, waiting whenever the output asks to; resolves to the count. */
async function writeDocuments(documents: AsyncIterable<Document>, output: NodeJS.WritableStream, vectors: VectorNotation, progress: (exported: number) => void): Promise<number> {
  let chunk = '';
  let exported = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    const full = !output.write(chunk);
    chunk = '';
    if (full) await once(output, 'drain');
  };
  for await (const document of documents) {
    chunk += `${documentLine(document, vectors)}\n`;
    exported++;
    if (chunk.length >= WRITE_BYTES) {
      await flush();
      progress(exported);
    }
  }
  await flush();
  return exported;
}

/** Plain progress lines on stderr, the first once the export has run PROGRESS_INTERVAL_MS, then as often. */
function progressReporter(io: CliIo, name: string, total: number): (exported: number) => void {
  const started = Date.now();
  let last = started;
  return (exported) => {
    const now = Date.now();
    if (now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    const seconds = (now - started) / 1000;
    const share = total > 0 ? ` (${Math.min(100, (100 * exported) / total).toFixed(1)}%)` : '';
    io.stderr.write(`quiver export: '${name}' ${formatCount(exported)} of ${formatCount(total)} documents${share}, ${formatCount(exported / seconds)} docs/s, ${formatDuration(seconds)}\n`);
  };
}
