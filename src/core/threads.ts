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
 * Starts the worker whose entry is `<name>.js` beside this file (compiled),
 * or, when running from TypeScript sources (tests, `tsx`), `<name>.ts`
 * loaded through tsx's loader.
 */
export function startWorker(name: string, workerData?: unknown): Worker {
  const compiled = new URL(`./${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, { workerData });
  const source = new URL(`./${name}.ts`, import.meta.url).href;
  // require.resolve names tsx's CommonJS build of the API; the ES module build sits beside it.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(boot, { eval: true, workerData });
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
