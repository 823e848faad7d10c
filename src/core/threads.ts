/**
 * Starting Quiver's worker threads (segment-worker.ts, checkpoint-worker.ts)
 * from compiled JavaScript or, in tests and under tsx, from TypeScript.
 */
import { existsSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker whose compiled entry is `entry` (`new URL('./x.js',
 * import.meta.url)` in the caller's module), or, when running from
 * TypeScript sources (tests, `tsx`), the `.ts` file beside it loaded
 * through tsx's loader.
 */
export function startWorker(entry: URL, workerData?: unknown): Worker {
  const execArgv = workerExecArgv(process.execArgv);
  if (existsSync(fileURLToPath(entry))) return new Worker(entry, { workerData, execArgv });
  const source = entry.href.replace(/\.js$/, '.ts');
  // require.resolve names tsx's CommonJS build of the API; the ES module build sits beside it.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(boot, { eval: true, workerData, execArgv });
}

/** Options that say how the parent got its script: a worker given them fails to start. */
const SCRIPT_OPTIONS_WITH_VALUE = new Set(['-e', '--eval', '-p', '--print', '--input-type']);
/** V8 flags Node applies to the whole process (workers have them already) and refuses in a worker's execArgv. */
const PROCESS_WIDE_FLAGS = new Set(['--expose-gc', '--expose_gc']);

/**
 * The parent's Node options (a worker inherits them by default) less those
 * that say where the parent's own script came from: a process started as
 * `node --input-type=module -e '...'` gave its workers `--input-type`, which
 * Node refuses in a worker, so every graph segment failed and the collection
 * fell back to exact scans.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const option = execArgv[i]!;
    if (SCRIPT_OPTIONS_WITH_VALUE.has(option)) {
      i++;
      continue;
    }
    if ([...SCRIPT_OPTIONS_WITH_VALUE].some((name) => name.startsWith('--') && option.startsWith(`${name}=`))) continue;
    // `node --expose-gc` (the storage and memory benchmarks' children) gave workers a flag Node refuses there.
    if (PROCESS_WIDE_FLAGS.has(option)) continue;
    kept.push(option);
  }
  return kept;
}

/**
 * Lowers the calling thread's priority to `nice` (Linux: a thread's nice
 * value is its own, set through its thread id). Elsewhere, or when not
 * allowed, every thread keeps the same priority.
 */
export function lowerThisThreadPriority(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid)) setPriority(tid, nice);
  } catch {
    // Not Linux, or not allowed.
  }
}
