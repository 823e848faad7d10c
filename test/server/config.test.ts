import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { QuiverError } from '../../src/core/errors.js';
import { resolveServerConfig } from '../../src/server/config.js';

/** `quiver serve` as a user runs it (dist, built by `npm test`'s pretest), with no QUIVER_* variables. */
function serve(args: readonly string[]): { status: number | null; stderr: string } {
  const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('QUIVER_')));
  const run = spawnSync(process.execPath, [cli, 'serve', ...args], { encoding: 'utf8', env, timeout: 30_000 });
  return { status: run.status, stderr: run.stderr };
}

describe('server configuration', () => {
  it('takes the memory limit from QUIVER_MEMORY_LIMIT or --memory-limit (the flag wins); unset means none', () => {
    expect(resolveServerConfig({}).memoryLimit).toBeUndefined();
    expect(resolveServerConfig({ QUIVER_MEMORY_LIMIT: '8589934592' }).memoryLimit).toBe(2 ** 33);
    expect(resolveServerConfig({ QUIVER_MEMORY_LIMIT: '1000' }, ['--memory-limit', '2000']).memoryLimit).toBe(2000);
    expect(resolveServerConfig({}, ['--memory-limit=3000']).memoryLimit).toBe(3000);
  });

  it('takes the field cache from QUIVER_FIELD_CACHE or --field-cache; 0 turns it off', () => {
    expect(resolveServerConfig({}).fieldCache).toBe(64 * 2 ** 20);
    expect(resolveServerConfig({ QUIVER_FIELD_CACHE: '0' }).fieldCache).toBe(0);
    expect(resolveServerConfig({ QUIVER_FIELD_CACHE: '0' }, ['--field-cache=1024']).fieldCache).toBe(1024);
    expect(() => resolveServerConfig({ QUIVER_FIELD_CACHE: '-5' })).toThrow(/QUIVER_FIELD_CACHE/);
  });

  it('rejects a memory limit that is not a positive integer, with every problem in one error', () => {
    try {
      resolveServerConfig({ QUIVER_MEMORY_LIMIT: '8GB', QUIVER_PORT: '-1' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(QuiverError);
      expect((error as QuiverError).code).toBe('INVALID_OPTIONS');
      expect((error as Error).message).toMatch(/QUIVER_PORT.*QUIVER_MEMORY_LIMIT|QUIVER_MEMORY_LIMIT.*QUIVER_PORT/);
    }
  });

  it('names a bad flag as the flag, and an unknown one, in one error', () => {
    expect(() => resolveServerConfig({}, ['--port', '99999', '--workers=-1'])).toThrow(/--port must be an integer from 0 to 65535, got '99999'.*--workers must be/);
    expect(() => resolveServerConfig({ QUIVER_PORT: 'x' })).toThrow(/QUIVER_PORT must be/);
    expect(() => resolveServerConfig({}, ['--prot', '8081'])).toThrow(/Unknown option '--prot'.*--port/);
  });
});

describe('quiver serve from the command line', () => {
  it('quiver --help is one usage block naming every command; serve --help lists every variable', () => {
    const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
    const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' }).stdout;
    expect(help.match(/usage:/g)).toHaveLength(1);
    for (const command of ['serve', 'import', 'search', 'collections', 'stats', 'bench']) expect(help).toContain(`quiver ${command} `);
    const serveHelp = spawnSync(process.execPath, [cli, 'serve', '--help'], { encoding: 'utf8' }).stdout;
    // Every variable the configuration reads, and the README's table, name the same set.
    const read = new Set(readFileSync(fileURLToPath(new URL('../../src/server/config.ts', import.meta.url)), 'utf8').match(/'(QUIVER_[A-Z_]+|REDIS_URL)'/g)!.map((name) => name.slice(1, -1)));
    expect(read.size).toBeGreaterThan(15);
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    for (const variable of read) {
      expect(serveHelp, variable).toContain(variable);
      expect(readme, variable).toContain(`| \`${variable}\` |`);
    }
  });

  it('exits 2 with its usage for a bad flag, and starts nothing', () => {
    const run = serve(['--prot', '8081']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/INVALID_OPTIONS: .*--prot[\s\S]*usage: quiver serve/);
  });

  it('says a port in use is in use, and makes no data directory', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'quiver-port-'));
    try {
      const data = join(dir, 'data');
      const run = serve(['--port', String((taken.address() as AddressInfo).port), '--data', data]);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/port \d+ on 127\.0\.0\.1 is in use.*--port/);
      expect(existsSync(data)).toBe(false);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
