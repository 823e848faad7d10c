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
 * | manifest.json         | format, version, dimension, file table        |
 * | hnsw.<version>.bin    | hnswlib's own index format                     |
 * | arena.<version>.bin   | f32 rows, live bitset, HNSW label states       |
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export const SNAPSHOT_FORMAT = 1;
const MANIFEST = 'manifest.json';

interface FileEntry {
  name: string;
  bytes: number;
  crc32: number;
}

export interface SnapshotManifest {
  format: number;
  /** The collection version (store sequence number) the snapshot reflects. */
  version: number;
  dimension: number;
  /** Arena rows (one past the highest label) and section sizes in the arena file. */
  highWater: number;
  sections: { rows: number; live: number; states: number };
  files: { hnsw: FileEntry; arena: FileEntry };
}

export interface SnapshotContents {
  version: number;
  dimension: number;
  highWater: number;
  rows: Uint8Array;
  live: Uint8Array;
  states: Uint8Array;
  /** Writes the HNSW graph to the given path. */
  writeGraph: (file: string) => void;
}

export interface LoadedSnapshot {
  manifest: SnapshotManifest;
  rows: Uint8Array;
  live: Uint8Array;
  states: Uint8Array;
  graphFile: string;
}

export function writeSnapshot(dir: string, contents: SnapshotContents): SnapshotManifest {
  mkdirSync(dir, { recursive: true });
  const { version } = contents;
  const arenaName = `arena.${version}.bin`;
  const hnswName = `hnsw.${version}.bin`;

  const arena = writeDurably(dir, arenaName, [contents.rows, contents.live, contents.states]);
  const graphTemp = join(dir, `${hnswName}.tmp`);
  contents.writeGraph(graphTemp);
  const graphBytes = readFileSync(graphTemp);
  fsyncFile(graphTemp);
  renameSync(graphTemp, join(dir, hnswName));

  const manifest: SnapshotManifest = {
    format: SNAPSHOT_FORMAT,
    version,
    dimension: contents.dimension,
    highWater: contents.highWater,
    sections: { rows: contents.rows.byteLength, live: contents.live.byteLength, states: contents.states.byteLength },
    files: {
      hnsw: { name: hnswName, bytes: graphBytes.byteLength, crc32: crc32(graphBytes) },
      arena,
    },
  };
  writeDurably(dir, MANIFEST, [Buffer.from(JSON.stringify(manifest, null, 2))]);
  fsyncFile(dir);
  for (const name of readdirSync(dir)) {
    if (name !== MANIFEST && name !== arenaName && name !== hnswName) rmSync(join(dir, name), { force: true });
  }
  return manifest;
}

/** The snapshot in `dir`, or the reason it cannot be used. */
export function readSnapshot(
  dir: string,
  expected: { dimension: number; maxVersion: number },
): { snapshot: LoadedSnapshot } | { problem: string } {
  const manifestPath = join(dir, MANIFEST);
  if (!existsSync(manifestPath)) return { problem: 'no snapshot' };
  let manifest: SnapshotManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as SnapshotManifest;
  } catch (error) {
    return { problem: `unreadable manifest (${(error as Error).message})` };
  }
  if (manifest.format !== SNAPSHOT_FORMAT) return { problem: `snapshot format ${manifest.format}, expected ${SNAPSHOT_FORMAT}` };
  if (manifest.dimension !== expected.dimension) return { problem: `snapshot dimension ${manifest.dimension}, expected ${expected.dimension}` };
  if (!(manifest.version <= expected.maxVersion)) {
    return { problem: `snapshot version ${manifest.version} is newer than the store's ${expected.maxVersion}` };
  }
  const arena = readChecked(dir, manifest.files?.arena);
  if ('problem' in arena) return arena;
  const graph = readChecked(dir, manifest.files?.hnsw);
  if ('problem' in graph) return graph;
  const { rows, live, states } = manifest.sections;
  if (rows + live + states !== arena.bytes.byteLength) return { problem: 'arena sections do not add up to the file size' };
  return {
    snapshot: {
      manifest,
      rows: arena.bytes.subarray(0, rows),
      live: arena.bytes.subarray(rows, rows + live),
      states: arena.bytes.subarray(rows + live),
      graphFile: join(dir, manifest.files.hnsw.name),
    },
  };
}

function readChecked(dir: string, entry: FileEntry | undefined): { bytes: Buffer } | { problem: string } {
  if (!entry || typeof entry.name !== 'string' || entry.name.includes('/')) return { problem: 'manifest names no file' };
  const path = join(dir, entry.name);
  if (!existsSync(path)) return { problem: `${entry.name} is missing` };
  if (statSync(path).size !== entry.bytes) return { problem: `${entry.name} is ${statSync(path).size} bytes, expected ${entry.bytes}` };
  const bytes = readFileSync(path);
  if (crc32(bytes) !== entry.crc32) return { problem: `${entry.name} fails its checksum` };
  return { bytes };
}

/** Writes parts to `name` via a fsynced temp file and a rename; returns its table entry. */
function writeDurably(dir: string, name: string, parts: readonly Uint8Array[]): FileEntry {
  const temp = join(dir, `${name}.tmp`);
  const fd = openSync(temp, 'w');
  let bytes = 0;
  let checksum = 0;
  try {
    for (const part of parts) {
      let written = 0;
      while (written < part.byteLength) written += writeSync(fd, part, written, part.byteLength - written);
      bytes += part.byteLength;
      checksum = crc32(part, checksum);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, join(dir, name));
  return { name, bytes, crc32: checksum };
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
