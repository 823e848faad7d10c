/**
 * Snapshots of a collection's derived state (HNSW graph, vector arena,
 * label states), written so that a crash at any moment leaves either the
 * previous snapshot or the new one, never a mix:
 *
 * 1. each data file is written to `<name>.tmp`, fsynced, renamed;
 * 2. `manifest.json` (version, sizes, CRC-32 of every file) is written the
 *    same way, last: the rename is the commit point;
 * 3. the directory is fsynced, and files the manifest no longer names are
 *    removed.
 *
 * On open, a manifest that is missing, unreadable, of another format, newer
 * than the store, or whose files fail their size or checksum, makes the
 * caller rebuild from the store; `readSnapshot` says why.
 *
 * | file                  | contents                                      |
 * |-----------------------|-----------------------------------------------|
 * | manifest.json         | format, version, dimension, encoding, files   |
 * | hnsw.<version>.<i>.bin| segment i of the graph, hnswlib's own format   |
 * | arena.<version>.bin   | vector rows (f32, or int8 codes), their norms  |
 * |                       | and int8 ranges (int8 only), live bitset, HNSW |
 * |                       | label states, ids, the BM25 index, the         |
 * |                       | metadata index (empty when it was not complete)|
 *
 * Writing never blocks the event loop for long: segment files are written
 * by the threads that host them, and the arena file a piece at a time. The
 * rows are read from WebAssembly memory piece by piece while writes go on,
 * so a row changed after `version` may hold its newer vector: harmless, as
 * every change after `version` is replayed from the store on open. The
 * small sections (live bitset, states, ids, keyword index) are copied at
 * `version`. On open, rows are read straight into WebAssembly memory, chunk
 * by chunk (vector/chunks.ts); the ids (a JSON array indexed by label, null
 * for free labels) spare the open a scan of the store.
 *
 * Format 3 (before int8 collections kept codes only) had no `encoding`,
 * `norms` or `quantizer`: it is read as f32 rows. Format 4 had no
 * `metadata`: its metadata index is read from the store after open.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { open, rename, rm } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import type { VectorSnapshot } from '../vector/flat-index.js';
import { isPlainObject } from '../validate.js';

export const SNAPSHOT_FORMAT = 5;
/** Older formats this one still reads. */
const READABLE_FORMATS = new Set([3, 4, SNAPSHOT_FORMAT]);
const MANIFEST = 'manifest.json';
/** The folder of a data directory holding one snapshot folder per collection id. */
export const SNAPSHOTS_DIR = 'snapshots';

interface FileEntry {
  name: string;
  bytes: number;
  crc32: number;
}

/** The arena file's sections, in file order. */
export const ARENA_SECTIONS = ['rows', 'norms', 'quantizer', 'live', 'states', 'ids', 'keyword', 'metadata'] as const;
export type ArenaSection = (typeof ARENA_SECTIONS)[number];
/** Format 3's sections. */
const FORMAT_3_SECTIONS: readonly ArenaSection[] = ['rows', 'live', 'states', 'ids', 'keyword'];
/** Format 4's sections. */
const FORMAT_4_SECTIONS: readonly ArenaSection[] = ARENA_SECTIONS.filter((name) => name !== 'metadata');
/** The per-row sections of each encoding, in file order. */
const ROW_SECTIONS = { f32: ['rows'], int8: ['rows', 'norms'] } as const satisfies Record<string, readonly ArenaSection[]>;

export interface SnapshotManifest {
  format: number;
  /** The collection version (store sequence number) the snapshot reflects. */
  version: number;
  dimension: number;
  /** How the rows section holds the vectors: f32 rows, or int8 codes (with norms and ranges). Absent in format 3: f32. */
  encoding?: VectorSnapshot['encoding'];
  /** Arena rows (one past the highest label) and section sizes in the arena file. */
  highWater: number;
  /** Byte size and CRC-32 of each arena section, in file order, so sections can be read and checked separately. */
  sections: Record<ArenaSection, { bytes: number; crc32: number }>;
  files: { hnsw: FileEntry[]; arena: FileEntry };
}

export interface SnapshotContents {
  version: number;
  dimension: number;
  /**
   * The vectors (vector/flat-index.ts): each per-row section's `read` gives
   * a fresh view of WebAssembly memory of at most `length` bytes from
   * `offset` (fewer where a chunk ends), valid until the next await.
   */
  vectors: VectorSnapshot;
  states: Uint8Array;
  /** Ids by label (null or undefined where free; missing past the end), a copy taken at `version`. */
  ids: readonly (string | null | undefined)[];
  /** The serialised keyword index. */
  keyword: Uint8Array;
  /** The serialised metadata index (MetadataIndex.serialize), or no bytes when it is not complete at `version`. */
  metadata: Uint8Array;
  /** Graph segments to save. */
  segments: number;
  /** Saves segment i of the graph to `files[i]` (durably); resolves to each file's size and checksum. */
  saveGraphs: (files: readonly string[]) => Promise<{ bytes: number; crc32: number }[]>;
}

/** A snapshot whose manifest and file sizes passed their checks; `verifyGraph`, `readArenaMeta` and `readArenaRows` check the contents. */
export interface CheckedSnapshot {
  manifest: SnapshotManifest;
  graphFiles: string[];
  arenaFile: string;
}

export async function writeSnapshot(dir: string, contents: SnapshotContents): Promise<SnapshotManifest> {
  mkdirSync(dir, { recursive: true });
  const { version } = contents;
  const arenaName = `arena.${version}.bin`;
  const graphNames = Array.from({ length: contents.segments }, (_, i) => `hnsw.${version}.${i}.bin`);
  const graphs = contents.saveGraphs(graphNames.map((name) => join(dir, name)));
  graphs.catch(() => {});

  const { vectors } = contents;
  const ids = await serializeIds(contents.ids, vectors.highWater);
  // Sections in ARENA_SECTIONS order: the per-row ones streamed from memory, then the small ones.
  const rows = vectors.sections[0]!;
  const norms = vectors.sections[1] ?? { bytes: 0, read: () => new Uint8Array(0) };
  const small = [vectors.quantizer, vectors.live, contents.states, ids, contents.keyword, contents.metadata];
  const { entry: arena, crcs: rowCrcs } = await writeArena(dir, arenaName, [rows, norms], small);
  const saved = await graphs;

  const crcs = [...rowCrcs, ...small.map((part) => crc32(part))];
  const sizes = [rows.bytes, norms.bytes, ...small.map((part) => part.byteLength)];
  const manifest: SnapshotManifest = {
    format: SNAPSHOT_FORMAT,
    version,
    dimension: contents.dimension,
    encoding: vectors.encoding,
    highWater: vectors.highWater,
    sections: Object.fromEntries(
      ARENA_SECTIONS.map((name, i) => [name, { bytes: sizes[i]!, crc32: crcs[i]! }]),
    ) as SnapshotManifest['sections'],
    files: {
      hnsw: saved.map((file, i) => ({ name: graphNames[i]!, bytes: file.bytes, crc32: file.crc32 })),
      arena,
    },
  };
  await writeDurablyAsync(dir, MANIFEST, Buffer.from(JSON.stringify(manifest, null, 2)));
  // Unlinking the previous snapshot's files (often hundreds of MB) can take tens of milliseconds: not on this thread.
  const keep = new Set([MANIFEST, arenaName, ...graphNames]);
  await Promise.all(readdirSync(dir).filter((name) => !keep.has(name)).map((name) => rm(join(dir, name), { force: true })));
  return manifest;
}

/** Ids serialised per step. */
const IDS_CHUNK = 16_384;

/** The ids section: a JSON array of `count` ids (null where free), built a chunk at a time between turns of the event loop. */
async function serializeIds(ids: SnapshotContents['ids'], count: number): Promise<Buffer> {
  const parts: string[] = [];
  for (let from = 0; from < count; from += IDS_CHUNK) {
    const chunk = new Array<string | null>(Math.min(IDS_CHUNK, count - from));
    for (let i = 0; i < chunk.length; i++) chunk[i] = ids[from + i] ?? null;
    parts.push(JSON.stringify(chunk).slice(1, -1));
    await nextTurn();
  }
  return Buffer.from(`[${parts.join(',')}]`);
}

/** writeDurably for one small file, without blocking: temp file, fsync, rename, then the directory's fsync. */
async function writeDurablyAsync(dir: string, name: string, data: Uint8Array): Promise<void> {
  const temp = join(dir, `${name}.tmp`);
  const file = await open(temp, 'w');
  try {
    await file.write(data);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, join(dir, name));
  const directory = await open(dir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/**
 * Bytes of rows copied, checksummed and written per step: the event loop
 * waits at most one such step, 0.4 ms here (4 MB steps took 2.6 ms).
 */
const WRITE_CHUNK = 1024 * 1024;

/** The arena file: the per-row sections a piece at a time, then the small sections; fsynced and renamed into place. */
async function writeArena(
  dir: string,
  name: string,
  streamed: readonly VectorSnapshot['sections'][number][],
  small: readonly Uint8Array[],
): Promise<{ entry: FileEntry; crcs: number[] }> {
  const temp = join(dir, `${name}.tmp`);
  const file = await open(temp, 'w');
  let bytes = 0;
  let checksum = 0;
  const crcs: number[] = [];
  try {
    // One copy buffer for every piece (each write is awaited before the next copy): a fresh
    // allocation per piece counted as external memory and set off full garbage collections.
    const copy = new Uint8Array(Math.min(WRITE_CHUNK, Math.max(1, ...streamed.map((section) => section.bytes))));
    for (const section of streamed) {
      let sectionCrc = 0;
      for (let offset = 0; offset < section.bytes; ) {
        const view = section.read(offset, Math.min(WRITE_CHUNK, section.bytes - offset));
        if (view.byteLength === 0) throw new Error(`snapshot rows end at byte ${offset} of ${section.bytes}`);
        copy.set(view);
        const chunk = copy.subarray(0, view.byteLength);
        sectionCrc = crc32(chunk, sectionCrc);
        checksum = crc32(chunk, checksum);
        await file.write(chunk);
        bytes += chunk.byteLength;
        offset += chunk.byteLength;
      }
      crcs.push(sectionCrc);
    }
    for (const part of small) {
      await file.write(part);
      checksum = crc32(part, checksum);
      bytes += part.byteLength;
    }
    await file.sync();
  } finally {
    await file.close();
  }
  renameSync(temp, join(dir, name));
  return { entry: { name, bytes, crc32: checksum }, crcs };
}

/**
 * The files of the snapshot in `dir`, manifest last (a copy made in this
 * order commits as the original did), and its version; undefined when
 * there is no readable manifest. Files in `dir` it does not name (left by
 * a snapshot cut short) are not part of it.
 */
export function snapshotFiles(dir: string): { version: number; files: string[] } | undefined {
  let manifest: SnapshotManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as SnapshotManifest;
  } catch {
    return undefined;
  }
  const named = [...(Array.isArray(manifest?.files?.hnsw) ? manifest.files.hnsw : []), manifest?.files?.arena];
  if (!Number.isSafeInteger(manifest.version) || !named.every((entry) => typeof entry?.name === 'string' && !entry.name.includes('/'))) return undefined;
  return { version: manifest.version, files: [...named.map((entry) => entry!.name), MANIFEST] };
}

/** The snapshot in `dir` with its manifest and file sizes checked, or the reason it cannot be used. */
export function readSnapshot(
  dir: string,
  expected: { dimension: number; maxVersion: number },
): { snapshot: CheckedSnapshot } | { problem: string } {
  const manifestPath = join(dir, MANIFEST);
  if (!existsSync(manifestPath)) return { problem: 'no snapshot' };
  let manifest: SnapshotManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as SnapshotManifest;
  } catch (error) {
    return { problem: `unreadable manifest (${(error as Error).message})` };
  }
  if (!isPlainObject(manifest)) return { problem: 'the manifest is not an object' };
  if (!READABLE_FORMATS.has(manifest.format)) return { problem: `snapshot format ${manifest.format}, expected ${SNAPSHOT_FORMAT}` };
  if (!Number.isSafeInteger(manifest.version) || manifest.version < 0) return { problem: `snapshot version ${String(manifest.version)}` };
  if (!Number.isSafeInteger(manifest.highWater) || manifest.highWater < 0) return { problem: `snapshot row count ${String(manifest.highWater)}` };
  if (!isPlainObject(manifest.sections) || !isPlainObject(manifest.files)) return { problem: 'the manifest lists no sections or files' };
  if (manifest.format === 3) manifest.sections = { ...manifest.sections, norms: { bytes: 0, crc32: 0 }, quantizer: { bytes: 0, crc32: 0 } };
  if (manifest.format <= 4) manifest.sections = { ...manifest.sections, metadata: { bytes: 0, crc32: 0 } };
  const encoding = manifest.encoding ?? 'f32';
  if (encoding !== 'f32' && encoding !== 'int8') return { problem: `snapshot encoding ${String(encoding)}` };
  if (manifest.dimension !== expected.dimension) return { problem: `snapshot dimension ${manifest.dimension}, expected ${expected.dimension}` };
  if (!(manifest.version <= expected.maxVersion)) {
    return { problem: `snapshot version ${manifest.version} is newer than the store's ${expected.maxVersion}` };
  }
  const arena = checkSize(dir, manifest.files?.arena);
  if (typeof arena !== 'string') return arena;
  const sections = manifest.sections ?? {};
  const total = sectionsOf(manifest).reduce((sum, name) => sum + (sections[name]?.bytes ?? Number.NaN), 0);
  if (total !== manifest.files.arena.bytes) {
    return { problem: 'arena sections do not add up to the file size' };
  }
  // The row count sizes what open allocates: it must be the one the rows section holds.
  const rowBytes = expected.dimension * (encoding === 'int8' ? 1 : 4);
  if (sections.rows?.bytes !== manifest.highWater * rowBytes) {
    return { problem: `snapshot row count ${manifest.highWater} does not match its rows section (${String(sections.rows?.bytes)} bytes)` };
  }
  if (!Array.isArray(manifest.files.hnsw) || manifest.files.hnsw.length === 0) return { problem: 'manifest names no graph segments' };
  const graphFiles: string[] = [];
  for (const entry of manifest.files.hnsw) {
    const graph = checkSize(dir, entry);
    if (typeof graph !== 'string') return graph;
    graphFiles.push(graph);
  }
  return { snapshot: { manifest, graphFiles, arenaFile: arena } };
}

/**
 * The graph files' checksum problem, if any. Callers may run this while
 * hnswlib loads the same files on other threads, and must discard the
 * loaded graph unused when it fails.
 */
export function verifyGraph(snapshot: CheckedSnapshot): string | undefined {
  for (const [i, file] of snapshot.graphFiles.entries()) {
    const problem = verifyFile(file, snapshot.manifest.files.hnsw[i]!);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function verifyFile(path: string, hnsw: FileEntry): string | undefined {
  // Streamed through one small buffer: no second copy of a graph that may be hundreds of MB.
  const buffer = Buffer.allocUnsafe(CHECK_CHUNK);
  const fd = openSync(path, 'r');
  let checksum = 0;
  try {
    for (let position = 0; ; ) {
      const read = readSync(fd, buffer, 0, CHECK_CHUNK, position);
      if (read === 0) break;
      checksum = crc32(buffer.subarray(0, read), checksum);
      position += read;
    }
  } finally {
    closeSync(fd);
  }
  return checksum === hnsw.crc32 ? undefined : `${hnsw.name} fails its checksum`;
}

const CHECK_CHUNK = 4 * 1024 * 1024;

/**
 * Reads and checks the arena's small sections: HNSW label states, ids by
 * label, the serialised keyword index.
 */
export function readArenaMeta(
  snapshot: CheckedSnapshot,
): { states: Uint8Array; ids: (string | null)[]; keyword: Uint8Array; metadata: Uint8Array } | { problem: string } {
  const states = readSection(snapshot, 'states');
  if ('problem' in states) return states;
  const ids = readSection(snapshot, 'ids');
  if ('problem' in ids) return ids;
  const keyword = readSection(snapshot, 'keyword');
  if ('problem' in keyword) return keyword;
  const metadata = readSection(snapshot, 'metadata');
  if ('problem' in metadata) return metadata;
  try {
    const text = Buffer.from(ids.bytes.buffer, ids.bytes.byteOffset, ids.bytes.byteLength).toString('utf8');
    return { states: states.bytes, ids: JSON.parse(text) as (string | null)[], keyword: keyword.bytes, metadata: metadata.bytes };
  } catch {
    return { problem: `${snapshot.manifest.files.arena.name} holds unreadable ids` };
  }
}

/** What a snapshot holds of the vectors; `read` streams the rows into memory (see FlatIndex.restore). */
export interface ArenaVectors {
  encoding: VectorSnapshot['encoding'];
  highWater: number;
  quantizer: Uint8Array;
  live: Uint32Array;
  /** Per-row sections in file order: f32 rows; or int8 codes, then norms. */
  sections: number;
  /**
   * Reads per-row section `section` a piece at a time without holding the
   * event loop (file reads on libuv's thread pool), handing each piece to
   * `write` with its offset in the section, and checks its CRC-32. Resolves
   * to a problem, or undefined; stops early when `write` returns false.
   */
  read: (section: number, write: (offset: number, bytes: Uint8Array) => boolean) => Promise<string | undefined>;
}

/** Reads and checks the live bitset and int8 ranges; the rows are read later, straight into WebAssembly memory. */
export function readArenaVectors(snapshot: CheckedSnapshot): ArenaVectors | { problem: string } {
  const { manifest } = snapshot;
  const encoding = manifest.encoding ?? 'f32';
  const quantizer = readSection(snapshot, 'quantizer');
  if ('problem' in quantizer) return quantizer;
  const live = readSection(snapshot, 'live');
  if ('problem' in live) return live;
  const words = new Uint32Array(Math.ceil(manifest.highWater / 32));
  if (live.bytes.byteLength !== words.byteLength) return { problem: `${manifest.files.arena.name} live section is ${live.bytes.byteLength} bytes, expected ${words.byteLength}` };
  new Uint8Array(words.buffer).set(live.bytes);
  const sections = ROW_SECTIONS[encoding];
  return {
    encoding,
    highWater: manifest.highWater,
    quantizer: quantizer.bytes,
    live: words,
    sections: sections.length,
    read: (section, write) => streamSection(snapshot, sections[section]!, write),
  };
}

/**
 * Bytes read per step when streaming rows: one step's copy and CRC hold the
 * event loop about 2 ms here.
 */
const STREAM_CHUNK = 4 * 1024 * 1024;

async function streamSection(
  snapshot: CheckedSnapshot, name: ArenaSection, write: (offset: number, bytes: Uint8Array) => boolean,
): Promise<string | undefined> {
  const { manifest } = snapshot;
  const { bytes, crc32: expected } = manifest.sections[name];
  let position = sectionStart(manifest, name);
  const buffer = Buffer.allocUnsafe(Math.min(STREAM_CHUNK, Math.max(1, bytes)));
  const file = await open(snapshot.arenaFile, 'r');
  let checksum = 0;
  try {
    for (let offset = 0; offset < bytes; ) {
      const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.byteLength, bytes - offset), position);
      if (bytesRead === 0) return `${manifest.files.arena.name} ends early`;
      const piece = buffer.subarray(0, bytesRead);
      checksum = crc32(piece, checksum);
      if (!write(offset, piece)) return undefined;
      offset += bytesRead;
      position += bytesRead;
    }
  } finally {
    await file.close();
  }
  return checksum === expected ? undefined : `${manifest.files.arena.name} ${name} section fails its checksum`;
}

/** Reads one small section into a fresh array and checks its CRC-32. */
function readSection(snapshot: CheckedSnapshot, name: ArenaSection): { bytes: Uint8Array } | { problem: string } {
  const { manifest } = snapshot;
  const { bytes, crc32: expected } = manifest.sections[name];
  const target = new Uint8Array(bytes);
  const fd = openSync(snapshot.arenaFile, 'r');
  try {
    for (let filled = 0; filled < bytes; ) {
      const read = readSync(fd, target, filled, bytes - filled, sectionStart(manifest, name) + filled);
      if (read === 0) return { problem: `${manifest.files.arena.name} ends early` };
      filled += read;
    }
  } finally {
    closeSync(fd);
  }
  if (crc32(target) !== expected) return { problem: `${manifest.files.arena.name} ${name} section fails its checksum` };
  return { bytes: target };
}

/** Where section `name` starts in the arena file. */
function sectionStart(manifest: SnapshotManifest, name: ArenaSection): number {
  let position = 0;
  for (const section of sectionsOf(manifest)) {
    if (section === name) break;
    position += manifest.sections[section].bytes;
  }
  return position;
}

/** The arena sections a manifest's format has, in file order. */
function sectionsOf(manifest: SnapshotManifest): readonly ArenaSection[] {
  return manifest.format === 3 ? FORMAT_3_SECTIONS : manifest.format === 4 ? FORMAT_4_SECTIONS : ARENA_SECTIONS;
}

/** The file's path when it exists with the size the manifest names. */
function checkSize(dir: string, entry: FileEntry | undefined): string | { problem: string } {
  if (!entry || typeof entry.name !== 'string' || entry.name.includes('/')) return { problem: 'manifest names no file' };
  const path = join(dir, entry.name);
  if (!existsSync(path)) return { problem: `${entry.name} is missing` };
  const size = statSync(path).size;
  if (size !== entry.bytes) return { problem: `${entry.name} is ${size} bytes, expected ${entry.bytes}` };
  return path;
}
