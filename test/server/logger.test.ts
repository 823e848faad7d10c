/**
 * One log format per server (issue 24, item 9): JSON lines or text lines,
 * never a mix; the engine's messages (a restore on open) and the line that
 * says where the server listens go through the same logger as Fastify's.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createServerLogger, engineLogger, textLine } from '../../src/server/logger.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const TEXT_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \S/;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('textLine', () => {
  it('writes time, level, message and the other fields; an error as its stack below', () => {
    const line = textLine(JSON.stringify({ level: 40, time: Date.UTC(2026, 11, 4, 3, 50), pid: 1, hostname: 'h', msg: 'slow', collection: 'docs', ms: 12 }));
    expect(line).toBe('2026-12-04T03:50:00.000Z WARN  slow collection=docs ms=12\n');
    const error = textLine(JSON.stringify({ level: 50, time: 0, msg: 'failed', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' } }));
    expect(error.split('\n').slice(0, 3)).toEqual(['1970-01-01T00:00:00.000Z ERROR failed', '    Error: boom', '        at x']);
  });
});

describe('createServerLogger', () => {
  it('writes every line, the engine\'s too, in the one format asked for', () => {
    for (const logFormat of ['json', 'text'] as const) {
      let out = '';
      const log = createServerLogger({ logLevel: 'info', logFormat }, { write: (text: string) => (out += text) });
      log.info('from fastify');
      engineLogger(log).warn("collection 'a' is unavailable: reasons");
      log.debug('not at info');
      const lines = out.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      if (logFormat === 'json') expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['from fastify', "collection 'a' is unavailable: reasons"]);
      else for (const line of lines) expect(line).toMatch(TEXT_LINE);
    }
  });
});

/** Runs `quiver serve` on `data` until it logs where it listens, creates a collection, then SIGTERM; its whole stdout. */
async function serveOnce(data: string, env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0', '--data', data, '--workers', '0'], {
    cwd: ROOT,
    env: { ...process.env, QUIVER_API_KEY: '', QUIVER_READ_ONLY_KEY: '', REDIS_URL: '', QUIVER_LOG_FORMAT: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in 30 s: ${stdout} ${stderr}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /quiver listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    });
  });
  const created = await fetch(`${url}/collections`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'logged', dimension: 2 }) });
  expect([201, 409]).toContain(created.status);
  await fetch(`${url}/collections/logged/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents: [{ id: 'a', vector: [1, 0] }] }) });
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  return stdout;
}

describe('quiver serve', () => {
  it.each([
    ['JSON by default when the log is not a terminal', {}, (line: string) => expect(() => JSON.parse(line), line).not.toThrow()],
    ['text when asked', { QUIVER_LOG_FORMAT: 'text' }, (line: string) => expect(line).toMatch(TEXT_LINE)],
  ])('logs %s: every line, the restore on the second start included', async (_label, env, check) => {
    const data = mkdtempSync(join(tmpdir(), 'quiver-log-'));
    dirs.push(data);
    await serveOnce(data, env);
    const second = await serveOnce(data, env);
    expect(second).toMatch(/restored snapshot/);
    const lines = second.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) check(line);
  }, 90_000);
});
