/**
 * Backups of a whole database while it serves reads and writes, and
 * restores of them. A backup directory is a data directory: `quiver.db`
 * and `snapshots/<collection id>/`, which `openDatabase({ path })` opens.
 *
 * Why the copy is consistent. A collection opens from its snapshot (taken
 * at some version) plus the store's rows and logged deletions newer than
 * that version; a snapshot prunes the deletions it reflects. So a copied
 * snapshot must meet a copied store that is at least as new and still logs
 * every deletion since it. The backup therefore:
 *
 * 1. holds off every collection's snapshots (a snapshot under way finishes
 *    first; those asked for meanwhile run after the backup, once);
 * 2. copies each snapshot folder, manifest last;
 * 3. copies the store with SQLite's online backup, which ends at one
 *    consistent state at least as new as every snapshot copied, with the
 *    deletions since each (nothing pruned them: step 1);
 * 4. lets snapshots go on, and reads each collection's version from the
 *    copy. A snapshot copied for a collection that the copy does not hold
 *    under the same uid (dropped, or dropped and re-made with its id, during
 *    the backup) is removed: that collection rebuilds from the store.
 *
 * Writes never wait for a backup; the copy holds every write acknowledged
 * before step 3 ended and none after. A restore copies a backup into an
 * empty directory, checking the store first, so the backup itself stays as
 * it was (opening a directory in place writes to it).
 */
import { resolve, sep, join } from 'node:path';
import type { BackedUpCollection, BackupResult } from './api.js';
import type { Collection } from './collection/collection.js';
import { createError } from './errors.js';
import { clearTarget, copyDurably, copySnapshot, emptyTarget, exists, readCopiedStore, syncDirectory, syncFile } from './storage/backup-files.js';
import { SNAPSHOTS_DIR } from './storage/snapshot.js';
import { DATABASE_FILE, type Store } from './storage/store.js';

/**
 * Pages of the store the online backup copies per turn of the event loop (a
 * megabyte at SQLite's default page size): requests wait at most one step.
 */
export const BACKUP_STEP_PAGES = 256;

/** A collection of the database being backed up: `collection` is absent for one that could not be opened. */
export interface BackupEntry {
  id: number;
  uid: string;
  collection: Collection | undefined;
}

export interface BackupSource {
  store: Store;
  /** The data directory; undefined for an in-memory database (no snapshots). */
  path: string | undefined;
  /** The collections as the backup starts (one created later is copied by the store, without a snapshot). */
  entries: readonly BackupEntry[];
}

/** Backs `source` up into `target`, which must be empty or missing (see the file's comment). */
export async function backupDatabase(source: BackupSource, target: string): Promise<BackupResult> {
  const started = performance.now();
  const dir = resolve(target);
  if (source.path !== undefined && isWithin(dir, resolve(source.path))) {
    throw createError('INVALID_ARGUMENT', 'backup directory', 'a directory outside the data directory (a backup inside it would be lost with it)', target);
  }
  const made = await emptyTarget(dir, 'backup directory');
  try {
    const releases: (() => void)[] = [];
    const snapshots = new Map<number, { uid: string; version: number; bytes: number }>();
    try {
      for (const entry of source.entries) if (entry.collection !== undefined) releases.push(await entry.collection.holdSnapshots());
      if (source.path !== undefined) {
        for (const { id, uid } of source.entries) {
          const copied = await copySnapshot(join(source.path, SNAPSHOTS_DIR, String(id)), join(dir, SNAPSHOTS_DIR, String(id)));
          if (copied !== undefined) snapshots.set(id, { uid, ...copied });
        }
      }
      await source.store.backup(join(dir, DATABASE_FILE), BACKUP_STEP_PAGES);
    } finally {
      for (const release of releases) release();
    }
    const copied = readCopiedStore(join(dir, DATABASE_FILE), false);
    let bytes = await syncFile(join(dir, DATABASE_FILE));
    const collections: BackedUpCollection[] = [];
    for (const { id, uid, name, version } of copied) {
      const snapshot = snapshots.get(id);
      snapshots.delete(id);
      // Never expected to fail but for a collection dropped, or dropped and made again under its id, during the backup.
      const kept = snapshot !== undefined && snapshot.uid === uid && snapshot.version <= version;
      if (kept) bytes += snapshot.bytes;
      else if (snapshot !== undefined) await clearTarget(join(dir, SNAPSHOTS_DIR, String(id)), true);
      collections.push({ name, version, snapshot: kept });
    }
    // Snapshots of collections dropped during the backup: the copy does not hold them.
    for (const id of snapshots.keys()) await clearTarget(join(dir, SNAPSHOTS_DIR, String(id)), true);
    await syncTree(dir);
    return { path: dir, collections: byName(collections), bytes, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    await clearTarget(dir, made);
    throw error;
  }
}

/**
 * Copies the backup in `from` into `to` (empty or missing), checking the
 * store first: a damaged one is DATA_DAMAGED and nothing is left in `to`.
 * `to` is then a data directory to open with `openDatabase({ path: to })`.
 * Also takes a data directory no process has open (one holding no
 * write-ahead log), as a plain copy.
 */
export async function restoreBackup(from: string, to: string): Promise<BackupResult> {
  const started = performance.now();
  const source = resolve(from);
  const dir = resolve(to);
  if (!(await exists(join(source, DATABASE_FILE)))) {
    throw createError('INVALID_ARGUMENT', 'backup directory', `a directory holding ${DATABASE_FILE} (a backup)`, from);
  }
  if (await exists(join(source, `${DATABASE_FILE}-wal`))) {
    throw createError(
      'INVALID_ARGUMENT', 'backup directory',
      `a backup, or a data directory no process has open (this one holds a write-ahead log: open it with openDatabase and close it first, or stop the process using it)`,
      from,
    );
  }
  if (isWithin(dir, source) || isWithin(source, dir)) throw createError('INVALID_ARGUMENT', 'restore directory', 'a directory apart from the backup', to);
  const made = await emptyTarget(dir, 'restore directory');
  try {
    let bytes = await copyDurably(join(source, DATABASE_FILE), join(dir, DATABASE_FILE));
    const copied = readCopiedStore(join(dir, DATABASE_FILE), true);
    const collections: BackedUpCollection[] = [];
    for (const { id, name, version } of copied) {
      const snapshot = await copySnapshot(join(source, SNAPSHOTS_DIR, String(id)), join(dir, SNAPSHOTS_DIR, String(id)));
      if (snapshot !== undefined) bytes += snapshot.bytes;
      collections.push({ name, version, snapshot: snapshot !== undefined });
    }
    await syncTree(dir);
    return { path: dir, collections: byName(collections), bytes, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    await clearTarget(dir, made);
    throw error;
  }
}

/** Fsyncs the folders a backup made, so their entries survive a power cut. */
async function syncTree(dir: string): Promise<void> {
  if (await exists(join(dir, SNAPSHOTS_DIR))) await syncDirectory(join(dir, SNAPSHOTS_DIR));
  await syncDirectory(dir);
}

function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

function byName(collections: BackedUpCollection[]): BackedUpCollection[] {
  return collections.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
