/**
 * The PostgreSQL fixture the cluster-mode tests build on: it starts a server
 * that psql can reach, `stopImmediate` really takes it down, and `start`
 * brings it back on the same port with committed data intact (crash
 * recovery). Needs the PostgreSQL binaries (CI: .ci/run installs them).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../fixtures/postgres.js';

/** psql from the newest /usr/lib/postgresql/<version>/bin, else Debian's /usr/bin wrapper. */
function psqlBinary(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => join(root, v, 'bin', 'psql')).find((path) => existsSync(path));
  return found ?? '/usr/bin/psql';
}

/** Runs one SQL command; PGCONNECT_TIMEOUT keeps a refused connection from hanging. */
function psql(server: PostgresServer, sql: string): { ok: boolean; output: string } {
  const result = spawnSync(
    psqlBinary(),
    ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(server.port), '-U', 'postgres', '-c', sql],
    { encoding: 'utf8', env: { ...process.env, PGCONNECT_TIMEOUT: '5' }, timeout: 20_000 },
  );
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

describe('PostgreSQL test fixture', () => {
  let server: PostgresServer;

  beforeAll(async () => {
    server = await startPostgres();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('serves psql on its loopback port', () => {
    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
    expect(psql(server, 'select 1')).toEqual({ ok: true, output: '1' });
  });

  it('keeps committed rows across an immediate (crash-like) stop and restart', async () => {
    expect(psql(server, 'create table survivors (id int primary key, note text)').ok).toBe(true);
    expect(psql(server, "insert into survivors values (1, 'committed')").ok).toBe(true);

    await server.stopImmediate();
    expect(psql(server, 'select 1').ok).toBe(false);

    await server.start();
    expect(psql(server, 'select 1')).toEqual({ ok: true, output: '1' });
    expect(psql(server, 'select id, note from survivors')).toEqual({ ok: true, output: '1|committed' });
  });

  it('stop() is idempotent and removes its directory', async () => {
    const extra = await startPostgres();
    await extra.stopImmediate();
    await extra.stop();
    await extra.stop();
    expect(existsSync(extra.dataDir)).toBe(false);
  });
});
