/**
 * The file work of backups and restores (core/backup.ts says in what order
 * and why): an empty target directory, snapshot folders copied file by file
 * with the manifest last, the copied store made one self-contained file and
 * read back, and fsyncs so a backup that resolved survives a power cut.
 * Copies run on libuv's thread pool (a reflink where the file system has
 * them), never on the event loop.
 */
import { constants } from 'node:fs';
import { copyFile, mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createError } from '../errors.js';
import { snapshotFiles } from './snapshot.js';

/** A collection's row in a copied store. */
export interface CopiedCollection {
  id: number;
  uid: string;
  name: string;
  version: number;
}

/**
 * Makes `dir` (and its parents) unless it exists; refuses one that holds
 * anything, so a backup or a restore never mixes with other files or
 * overwrites them. Resolves to whether it made the directory.
 */
export async function emptyTarget(dir: string, what: string): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOTDIR') throw createError('INVALID_ARGUMENT', what, 'a directory that is empty or does not exist yet', `${dir} (a file)`);
    if (code !== 'ENOENT') throw error;
    await mkdir(dir, { recursive: true });
    return true;
  }
  if (entries.length > 0) throw createError('INVALID_ARGUMENT', what, 'a directory that is empty or does not exist yet', `${dir} (it holds ${entries.length} entries)`);
  return false;
}

/** Undoes a target that failed half-way: removes it if it was made for this, else only what was put in it. */
export async function clearTarget(dir: string, made: boolean): Promise<void> {
  if (made) {
    await rm(dir, { recursive: true, force: true });
    return;
  }
  for (const entry of await readdir(dir).catch(() => [])) await rm(join(dir, entry), { recursive: true, force: true });
}

/**
 * Copies the snapshot in folder `from` to folder `to` (made here), manifest
 * last; resolves to its version and bytes, or undefined when `from` holds no
 * usable snapshot or one of its files is gone (its collection was dropped
 * meanwhile): nothing is left in `to` then, and the copy opens by
 * rebuilding from the store, which is always correct.
 */
export async function copySnapshot(from: string, to: string): Promise<{ version: number; bytes: number } | undefined> {
  const snapshot = snapshotFiles(from);
  if (snapshot === undefined) return undefined;
  await mkdir(to, { recursive: true });
  let bytes = 0;
  try {
    for (const name of snapshot.files) bytes += await copyDurably(join(from, name), join(to, name));
  } catch (error) {
    await rm(to, { recursive: true, force: true });
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
  await syncDirectory(to);
  return { version: snapshot.version, bytes };
}

/** Copies one file and fsyncs the copy; resolves to its size. */
export async function copyDurably(from: string, to: string): Promise<number> {
  // COPYFILE_FICLONE: a reflink where the file system supports one (instant, no space), a plain copy elsewhere.
  await copyFile(from, to, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  return syncFile(to);
}

/** Fsyncs a file; resolves to its size. */
export async function syncFile(path: string): Promise<number> {
  const file = await open(path, 'r+');
  try {
    await file.sync();
    return (await file.stat()).size;
  } finally {
    await file.close();
  }
}

/** Fsyncs a directory, so the names of the files just made in it survive a power cut (not possible on Windows: skipped). */
export async function syncDirectory(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/**
 * Opens a copied store file alone: checks it (`check`: SQLite's quick_check,
 * which reads every page), turns it from WAL into a rollback-journal file so
 * it is one self-contained file at rest (opening it as a database turns WAL
 * back on), and reads its collections. Throws DATA_DAMAGED for a file that
 * is not a sound SQLite database.
 */
export function readCopiedStore(file: string, check: boolean): CopiedCollection[] {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(file, { fileMustExist: true });
    if (check) {
      const problems = (db.pragma('quick_check') as { quick_check: string }[]).map((row) => row.quick_check).filter((row) => row !== 'ok');
      if (problems.length > 0) throw createError('DATA_DAMAGED', file, problems.slice(0, 3).join('; '), 'this backup cannot be restored; restore another one');
    }
    db.pragma('journal_mode = DELETE');
    return db.prepare('SELECT id, uid, name, version FROM collections ORDER BY id').all() as CopiedCollection[];
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw createError('DATA_DAMAGED', file, (error as Error).message, 'this backup cannot be restored; restore another one');
    throw error;
  } finally {
    db?.close();
  }
}

/** Whether `path` exists. */
export async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
