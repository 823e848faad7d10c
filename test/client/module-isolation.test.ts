/**
 * quiver/client loads nothing of the engine: importing the built
 * dist/client/index.js in a fresh node process resolves only dist/client/*
 * and dist/core/errors.js, opens no native addon and compiles no
 * WebAssembly. The same probe on the library and the server proves it sees
 * those imports when they happen.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PROBE = join(ROOT, 'test/client/module-probe.mjs');
const CLIENT_ENTRY = join(ROOT, 'dist/client/index.js');

interface Probe {
  resolved: string[];
  dlopened: string[];
  wasm: string[];
}

function probe(entry: string): Probe {
  const run = spawnSync(process.execPath, [PROBE, entry], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`module probe of ${entry} failed (${String(run.status)}): ${run.stderr}`);
  return JSON.parse(run.stdout) as Probe;
}

/** The built client must exist and be newer than its sources, or this test would check stale code. */
function checkBuilt(): void {
  if (!existsSync(CLIENT_ENTRY)) throw new Error('dist/client/index.js is missing: run `npm run build:ts` first');
  const built = statSync(CLIENT_ENTRY).mtimeMs;
  const sources = readdirSync(join(ROOT, 'src/client')).map((file) => join(ROOT, 'src/client', file));
  const stale = [...sources, join(ROOT, 'src/core/errors.ts')].filter((file) => statSync(file).mtimeMs > built);
  if (stale.length > 0) throw new Error(`dist/client is older than ${stale.join(', ')}: run \`npm run build:ts\` first`);
}

describe('importing quiver/client', () => {
  it('resolves only the client and the error table; no addon, no WebAssembly', () => {
    checkBuilt();
    const { resolved, dlopened, wasm } = probe(CLIENT_ENTRY);
    const allowed = new Set(['dist/core/errors.js']);
    const outside = resolved.filter((url) => {
      if (!url.startsWith('file:')) return false;
      const path = fileURLToPath(url).slice(ROOT.length + 1);
      return !path.startsWith('dist/client/') && !allowed.has(path);
    });
    expect(outside).toEqual([]);
    expect(resolved.filter((url) => !url.startsWith('file:') && !url.startsWith('node:'))).toEqual([]);
    expect(resolved).toContain(pathToFileURL(join(ROOT, 'dist/core/errors.js')).href);
    expect(dlopened).toEqual([]);
    expect(wasm).toEqual([]);
  });

  it('the probe sees the engine and the server when they are imported', () => {
    checkBuilt();
    const library = probe(join(ROOT, 'dist/index.js'));
    for (const name of ['hnswlib-node', 'better-sqlite3']) expect(library.resolved.some((url) => url.includes(`/node_modules/${name}/`)), name).toBe(true);
    expect(library.resolved.some((url) => url.endsWith('/dist/core/vector/wasm-heap.js'))).toBe(true);
    expect(library.dlopened.some((file) => file.includes('hnswlib-node'))).toBe(true);
    const server = probe(join(ROOT, 'dist/server/app.js'));
    expect(server.resolved.some((url) => url.includes('/node_modules/fastify/'))).toBe(true);
  });

  it('quiverdb/langchain loads LangChain, the semantic cache and the error table, not the engine: it runs over the remote client without addons', () => {
    checkBuilt();
    const entry = join(ROOT, 'dist/adapters/langchain.js');
    const resolvedEntry = spawnSync(process.execPath, ['--input-type=module', '-e', "process.stdout.write(import.meta.resolve('quiverdb/langchain'))"], { cwd: ROOT, encoding: 'utf8' });
    expect(resolvedEntry.stdout).toBe(pathToFileURL(entry).href);
    const { resolved, dlopened, wasm } = probe(entry);
    const ours = resolved.filter((url) => url.startsWith(pathToFileURL(join(ROOT, 'dist')).href)).map((url) => fileURLToPath(url).slice(ROOT.length + 1));
    expect([...new Set(ours)].sort()).toEqual(['dist/adapters/langchain-cache.js', 'dist/adapters/langchain.js', 'dist/core/errors.js', 'dist/semantic-cache/semantic-cache.js']);
    expect(resolved.some((url) => url.includes('/node_modules/@langchain/core/'))).toBe(true);
    expect(dlopened).toEqual([]);
    expect(wasm).toEqual([]);
  });

  it('is the package subpath quiverdb/client', () => {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', "process.stdout.write(import.meta.resolve('quiverdb/client'))"], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stdout).toBe(pathToFileURL(CLIENT_ENTRY).href);
  });
});
