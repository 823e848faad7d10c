/**
 * `quiver bench [--quick] [--only a,b] [--out DIR] ...`: runs the benchmark
 * suite (bench/suite.ts, through tsx) from a source checkout. The
 * benchmarks, their data sets and peers are development material: they come
 * with the repository, not with the npm package.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Runs the suite with `args`; resolves to its exit code. */
export function runBench(args: readonly string[], stderr: NodeJS.WritableStream): number {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const suite = `${root}bench/suite.ts`;
  let tsx: string | undefined;
  try {
    tsx = createRequire(import.meta.url).resolve('tsx/cli');
  } catch {
    tsx = undefined;
  }
  if (!existsSync(suite) || tsx === undefined) {
    stderr.write(
      `quiver bench: ${existsSync(suite) ? 'tsx (a devDependency) is not installed' : `${suite} not found`}: ` +
        'the benchmarks run from a clone of the repository (git clone, npm install, then npx quiver bench or npm run bench)\n',
    );
    return 2;
  }
  // The suite handles Ctrl-C itself (it stops the running benchmark and still writes the report).
  process.on('SIGINT', () => {});
  return spawnSync(process.execPath, [tsx, suite, ...args], { cwd: root, stdio: 'inherit' }).status ?? 1;
}
