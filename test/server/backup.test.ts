/**
 * POST /backup: a backup into a new folder of the operator's backup
 * directory, named by the server; never a path the client sends; refused
 * without a backup directory (NOT_CONFIGURED) and with the read-only key
 * (FORBIDDEN). And the flag and variable that configure it.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/index.js';
import { resolveServerConfig } from '../../src/server/config.js';
import { backupName } from '../../src/server/routes/backup.js';
import { COLLECTION, errorOf, makeApp, seed, send, SEED_COUNT, silent } from './helpers.js';

const KEY = 'read-write-key-0123456789';
const READ_ONLY_KEY = 'read-only-key-0123456789';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-rest-backup-'));
  dirs.push(dir);
  return dir;
}

describe('POST /backup', () => {
  it('writes a backup into a new folder of the backup directory and names it', async () => {
    const backups = join(tempDir(), 'backups');
    const t = await makeApp({ backupDir: backups });
    try {
      await seed(t.app);
      const reply = await send(t.app, 'POST', '/backup');
      expect(reply.statusCode).toBe(200);
      const body = reply.json() as { name: string; path: string; collections: unknown[]; bytes: number; seconds: number };
      expect(body.name).toMatch(/^backup-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-[0-9a-f]{6}$/);
      expect(body.path).toBe(join(backups, body.name));
      expect(body.collections).toEqual([{ name: COLLECTION, version: 1, snapshot: false }]);
      expect(body.bytes).toBeGreaterThan(0);
      // An empty body is the same call; each backup gets a folder of its own.
      const second = await send(t.app, 'POST', '/backup', {});
      expect(second.statusCode).toBe(200);
      expect(readdirSync(backups).sort()).toEqual([body.name, (second.json() as { name: string }).name].sort());
      const copy = await openDatabase({ path: body.path, workers: 0, logger: silent });
      expect(copy.collection(COLLECTION).count).toBe(SEED_COUNT);
      await copy.close();
    } finally {
      await t.close();
    }
  });

  it('runs one backup at a time: a second asked for meanwhile is SERVER_BUSY with Retry-After, and the next one after runs', async () => {
    const backups = join(tempDir(), 'backups');
    const t = await makeApp({ backupDir: backups });
    try {
      await seed(t.app);
      const [first, second] = await Promise.all([send(t.app, 'POST', '/backup'), send(t.app, 'POST', '/backup')]);
      expect(first.statusCode).toBe(200);
      expect(second.statusCode).toBe(503);
      expect(errorOf(second).code).toBe('SERVER_BUSY');
      expect(second.headers['retry-after']).toBe('10');
      expect(readdirSync(backups)).toHaveLength(1);
      expect((await send(t.app, 'POST', '/backup')).statusCode).toBe(200);
      expect(readdirSync(backups)).toHaveLength(2);
    } finally {
      await t.close();
    }
  });

  it('takes no path from the client, and no backup without the operator\'s directory', async () => {
    const backups = join(tempDir(), 'backups');
    const elsewhere = join(tempDir(), 'chosen-by-client');
    const t = await makeApp({ backupDir: backups });
    const off = await makeApp();
    try {
      for (const body of [{ path: elsewhere }, { dir: elsewhere }, { name: '../escape' }]) {
        const reply = await send(t.app, 'POST', '/backup', body);
        expect(errorOf(reply).code).toBe('INVALID_REQUEST');
      }
      expect(existsSync(elsewhere)).toBe(false);
      expect(existsSync(backups)).toBe(false);
      const reply = await send(off.app, 'POST', '/backup', {});
      expect(reply.statusCode).toBe(501);
      expect(errorOf(reply)).toMatchObject({ code: 'NOT_CONFIGURED', message: expect.stringContaining('--backup-dir') });
    } finally {
      await t.close();
      await off.close();
    }
  });

  it('refuses the read-only key', async () => {
    const backups = join(tempDir(), 'backups');
    const t = await makeApp({ backupDir: backups, apiKey: KEY, readOnlyKey: READ_ONLY_KEY });
    try {
      const refused = await send(t.app, 'POST', '/backup', {}, { 'x-api-key': READ_ONLY_KEY });
      expect(refused.statusCode).toBe(403);
      expect(errorOf(refused).code).toBe('FORBIDDEN');
      expect(existsSync(backups)).toBe(false);
      expect((await send(t.app, 'POST', '/backup', {}, { 'x-api-key': KEY })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('names folders that sort by time', () => {
    const earlier = backupName(new Date('2030-01-02T03:04:05.006Z'));
    const later = backupName(new Date('2030-01-02T03:04:05.007Z'));
    expect(earlier).toMatch(/^backup-2030-01-02T03-04-05-006Z-/);
    expect(earlier < later).toBe(true);
  });
});

describe('the backup directory setting', () => {
  it('comes from --backup-dir or QUIVER_BACKUP_DIR, and must lie outside the data directory', () => {
    expect(resolveServerConfig({}).backupDir).toBeUndefined();
    expect(resolveServerConfig({ QUIVER_BACKUP_DIR: '/srv/backups' }).backupDir).toBe('/srv/backups');
    expect(resolveServerConfig({ QUIVER_BACKUP_DIR: '/srv/backups' }, ['--backup-dir', '/mnt/b']).backupDir).toBe('/mnt/b');
    expect(() => resolveServerConfig({ QUIVER_DATA: '/srv/data' }, ['--backup-dir', '/srv/data/backups'])).toThrow(/--backup-dir must be outside the data directory/);
    expect(() => resolveServerConfig({ QUIVER_DATA: './data', QUIVER_BACKUP_DIR: './data' })).toThrow(/QUIVER_BACKUP_DIR must be outside/);
  });
});
