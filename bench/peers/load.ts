/**
 * Shared plumbing for the peer engines installed on demand in bench/peers/
 * (`npm run bench:peers`, i.e. `npm install --prefix bench/peers`): LanceDB,
 * Chroma's server, the `pg` client for PostgreSQL, and the in-process
 * engines of js-peers.ts (usearch, hnswlib-wasm, @orama/orama, vectra,
 * minisearch). None of them is a dependency of Quiver; they are loaded from
 * bench/peers/node_modules by `createRequire` (`requirePeer`) or by
 * `import()` of a file URL (`importPeer`), never from the project's own
 * node_modules.
 *
 * When bench/peers/node_modules lacks a package, `requirePeer` throws a
 * `PeerUnavailable` whose message starts "not installed: run npm run
 * bench:peers": the benchmarks record such a peer as skipped with that
 * reason and carry on (the suite's test runs without them).
 *
 * Child processes (the Chroma server, PostgreSQL) are started here on
 * 127.0.0.1 only, and stopped by the benchmark, or at the latest when this
 * process exits (`onExit`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** bench/peers: its own package.json, .npmrc and node_modules. */
export const PEERS_DIR = dirname(fileURLToPath(import.meta.url));
export const PEERS_MODULES = join(PEERS_DIR, 'node_modules');
export const INSTALL_HINT = 'not installed: run npm run bench:peers';

/** A peer that cannot run here (not installed, no binaries): reported as skipped, not failed. */
export class PeerUnavailable extends Error {
  override name = 'PeerUnavailable';
}

/** Whether an error means "cannot run here" (reported as skipped) rather than a failure. */
export function isPeerUnavailable(error: unknown): boolean {
  return error instanceof PeerUnavailable;
}

const peerRequire = createRequire(join(PEERS_DIR, 'package.json'));

/** Whether bench/peers/node_modules holds `name`. */
export function peerInstalled(name: string): boolean {
  return existsSync(join(PEERS_MODULES, name, 'package.json'));
}

/** The installed version of `name` in bench/peers/node_modules, or null. */
export function peerVersion(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(PEERS_MODULES, name, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** Why `names` cannot be loaded from bench/peers (null when all are installed). */
export function missingPeers(names: readonly string[]): string | null {
  const missing = names.filter((name) => !peerInstalled(name));
  return missing.length === 0 ? null : `${INSTALL_HINT} (bench/peers/node_modules lacks ${missing.join(', ')})`;
}

/**
 * `require(name)` resolved from bench/peers/package.json (CommonJS builds:
 * apache-arrow must be the same CommonJS instance LanceDB itself requires, or
 * tables built here are not recognised and come out empty).
 */
export function requirePeer<T>(name: string): T {
  const missing = missingPeers([name]);
  if (missing) throw new PeerUnavailable(missing);
  return peerRequire(name) as T;
}

/** Absolute path of a file inside an installed peer package. */
export function peerFile(name: string, file: string): string {
  const missing = missingPeers([name]);
  if (missing) throw new PeerUnavailable(missing);
  return resolve(PEERS_MODULES, name, file);
}

/**
 * `import()` of an ES module inside an installed peer package, by its file
 * (an ESM-only package, or the ESM build a package's `exports` gives to
 * `import`): bare specifiers would resolve from the project's node_modules.
 */
export async function importPeer<T>(name: string, file: string): Promise<T> {
  return (await import(pathToFileURL(peerFile(name, file)).href)) as T;
}

// ------------------------------------------------------------ child processes

const cleanups = new Set<() => void>();
let exitHooked = false;

/**
 * Runs `cleanup` (synchronously) when this process exits, unless the
 * returned function is called first (normal shutdown does that).
 */
export function onExit(cleanup: () => void): () => void {
  if (!exitHooked) {
    exitHooked = true;
    const runAll = () => {
      for (const fn of [...cleanups]) {
        try {
          fn();
        } catch {
          // best effort at exit
        }
      }
      cleanups.clear();
    };
    process.on('exit', runAll);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        runAll();
        process.exit(130);
      });
    }
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Resolves once 127.0.0.1:`port` accepts a connection; rejects after `timeoutMs` or when `child` exits. */
export async function waitForPort(port: number, timeoutMs: number, child?: ChildProcess, what = `port ${port}`): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((done) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** The last `lines` lines a child printed (kept for error messages). */
export function tailBuffer(child: ChildProcess, lines = 20): () => string {
  const kept: string[] = [];
  const add = (chunk: Buffer) => {
    kept.push(...chunk.toString().split('\n').filter((l) => l.trim() !== ''));
    if (kept.length > lines) kept.splice(0, kept.length - lines);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => kept.join(' | ');
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/** Runs a command to completion (synchronously); throws with its output when it fails. */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-5).join(' | ');
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}: ${output}`);
  }
  return result.stdout;
}

export { spawn };
