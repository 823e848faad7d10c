/**
 * Bytes files take on disk, for `stats`: a file's size, or a folder's
 * files summed through its subfolders. What cannot be read counts as 0
 * (a snapshot being replaced, a folder not made yet).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export function treeBytes(path: string): number {
  let entries;
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    return fileBytes(path);
  }
  let total = 0;
  for (const entry of entries) {
    const child = join(path, entry.name);
    total += entry.isDirectory() ? treeBytes(child) : entry.isFile() ? fileBytes(child) : 0;
  }
  return total;
}
