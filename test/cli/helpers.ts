/**
 * Shared fixtures of the CLI tests: commands run in-process with captured
 * output, temporary directories, writers for every input format, and the
 * documents of a data directory read back through the library.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach } from 'vitest';
import { openDatabase, type Document, type Logger } from '../../src/index.js';
import { isDataCommand, runDataCommand } from '../../src/cli/run.js';

export const silent: Logger = { info: () => {}, warn: () => {}, error: () => {} };

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

class Capture extends Writable {
  text = '';
  isTTY = false;

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** Runs `quiver <argv>` in this process, as src/cli.ts would, with an empty environment unless given. */
export async function quiver(argv: readonly string[], options: { env?: Record<string, string>; signal?: AbortSignal } = {}): Promise<CommandResult> {
  const [command, ...rest] = argv;
  if (!isDataCommand(command)) throw new Error(`not a data command: ${command}`);
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runDataCommand(command, rest, { stdout, stderr, env: options.env ?? {}, ...(options.signal ? { signal: options.signal } : {}) });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const perTest: string[] = [];
const perFile: string[] = [];
afterEach(() => {
  for (const dir of perTest.splice(0)) rmSync(dir, { recursive: true, force: true });
});
afterAll(() => {
  for (const dir of perFile.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory, removed after the test (or, made in beforeAll with `untilEnd`, after the file's tests). */
export function tempDir(prefix = 'quiver-cli-', { untilEnd = false } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  (untilEnd ? perFile : perTest).push(dir);
  return dir;
}

/** Every document of `collection` in the data directory, by id (opens and closes the database). */
export async function storedDocuments(data: string, collection: string): Promise<Map<string, Document>> {
  const db = await openDatabase({ path: data, logger: silent });
  try {
    const out = new Map<string, Document>();
    let after: string | undefined;
    do {
      const page = await db.collection(collection).list({ limit: 1000, include: ['vector', 'text', 'metadata'], ...(after === undefined ? {} : { after }) });
      for (const document of page.documents) out.set(document.id, document);
      after = page.next ?? undefined;
    } while (after !== undefined);
    return out;
  } finally {
    await db.close();
  }
}

/** Deterministic small vectors: row i of dimension d, exact in float32. */
export function vectorOf(i: number, dimension: number): number[] {
  return Array.from({ length: dimension }, (_, d) => ((i * 7 + d * 3) % 17) - 8 + 0.25 * ((i + d) % 4) + (d === 0 ? 0.5 : 0));
}

export function writeLines(path: string, lines: readonly string[], { gzip = false } = {}): string {
  const text = `${lines.join('\n')}\n`;
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}

/** TEXMEX vecs: per record an int32 dimension, then the components (float32, int32 or uint8). */
export function writeVecs(path: string, rows: readonly (readonly number[])[], kind: 'fvecs' | 'ivecs' | 'bvecs' = 'fvecs'): string {
  const componentBytes = kind === 'bvecs' ? 1 : 4;
  const parts = rows.map((row) => {
    const buffer = Buffer.alloc(4 + row.length * componentBytes);
    buffer.writeInt32LE(row.length, 0);
    row.forEach((x, d) => {
      if (kind === 'fvecs') buffer.writeFloatLE(x, 4 + d * 4);
      else if (kind === 'ivecs') buffer.writeInt32LE(x, 4 + d * 4);
      else buffer.writeUInt8(x, 4 + d);
    });
    return buffer;
  });
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

/** A .npy file as numpy writes it: header dict padded so the data starts on a 64-byte boundary. */
export function npyBytes(
  rows: readonly (readonly number[])[],
  { descr = '<f4', fortran = false, shape, version = 1 }: { descr?: string; fortran?: boolean; shape?: string; version?: 1 | 2 } = {},
): Buffer {
  const dimension = rows[0]?.length ?? 0;
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape ?? `(${rows.length}, ${dimension})`}, }`;
  const lengthBytes = version === 1 ? 2 : 4;
  const unpadded = 8 + lengthBytes + dict.length + 1;
  const header = `${dict}${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
  const prefix = Buffer.alloc(8 + lengthBytes);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(prefix);
  if (version === 1) prefix.writeUInt16LE(header.length, 8);
  else prefix.writeUInt32LE(header.length, 8);
  const itemBytes = descr.endsWith('8') ? 8 : 4;
  const data = Buffer.alloc(rows.length * dimension * itemBytes);
  rows.forEach((row, i) =>
    row.forEach((x, d) => {
      const offset = (i * dimension + d) * itemBytes;
      if (descr === '<f8') data.writeDoubleLE(x, offset);
      else if (descr === '>f4') data.writeFloatBE(x, offset);
      else if (descr === '<i4') data.writeInt32LE(x, offset);
      else data.writeFloatLE(x, offset);
    }),
  );
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}

export function writeNpy(path: string, rows: readonly (readonly number[])[], options?: Parameters<typeof npyBytes>[1]): string {
  writeFileSync(path, npyBytes(rows, options));
  return path;
}

/** Parsed JSON lines of a command's stdout. */
export function jsonLines(stdout: string): unknown[] {
  return stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as unknown);
}
