/**
 * The real server as a child process, for the benchmarks that load it over
 * loopback (soak, fuzz, heavy): started from dist (`npm run build` first)
 * on a free port, its output kept in a log file, its memory read from
 * /proc, stopped as an operator stops it. Also the latency summaries they
 * print.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { percentile } from './stats.js';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Lines of its output at level warn or above (pino JSON), and any line that is not JSON. */
  notable: string[];
  logPath: string;
  /** How it exited: `code 0`, `signal SIGKILL`. */
  exited: Promise<string>;
}

/**
 * `quiver serve` on 127.0.0.1 and a free port over `data`, with the
 * defaults except `env` (QUIVER_* variables of this process are not passed on).
 */
export async function startServer(data: string, logPath: string, env: Record<string, string> = {}, args: readonly string[] = []): Promise<ServerProcess> {
  const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('QUIVER_') && name !== 'REDIS_URL'));
  const child = spawn(process.execPath, [cli, 'serve', '--host', '127.0.0.1', '--port', '0', '--data', data, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...inherited, ...env },
  });
  const log = createWriteStream(logPath);
  const notable: string[] = [];
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(code === null ? `signal ${signal}` : `code ${code}`)));
  let listening: ((url: string) => void) | undefined;
  const url = new Promise<string>((resolve, reject) => {
    listening = resolve;
    void exited.then((exit) => reject(new Error(`the server exited (${exit}) before it listened; see ${logPath}`)));
  });
  // Both streams are read to the end: a pipe nobody reads would stall the server once full.
  for (const stream of [child.stdout!, child.stderr!]) {
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      log.write(chunk);
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const address = /^quiver listening on (http:\/\/\S+)/.exec(line);
        if (address) listening?.(address[1]!);
        else if (line.trim() !== '' && !isQuietLogLine(line)) notable.push(line);
      }
    });
  }
  void exited.then(() => log.end());
  return { child, url: await url, notable, logPath, exited };
}

/** SIGTERM, as an operator stops it (it finishes requests and snapshots); SIGKILL after a minute. */
export async function stopServer(server: ServerProcess): Promise<{ exit: string; seconds: number }> {
  const started = performance.now();
  server.child.kill('SIGTERM');
  const killer = setTimeout(() => server.child.kill('SIGKILL'), 60_000);
  const exit = await server.exited;
  clearTimeout(killer);
  return { exit, seconds: (performance.now() - started) / 1000 };
}

/** A pino line below warn (level 40). */
function isQuietLogLine(line: string): boolean {
  try {
    const level = (JSON.parse(line) as { level?: unknown }).level;
    return typeof level === 'number' && level < 40;
  } catch {
    return false;
  }
}

/** Resident, peak resident, anonymous and file-backed resident memory of a process, in bytes (Linux). */
export function memoryOf(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM'), anon: kib('RssAnon'), file: kib('RssFile') };
}

export interface Latency {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function latencyOf(values: readonly number[]): Latency {
  const sorted = Float64Array.from(values).sort();
  return { count: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
}
