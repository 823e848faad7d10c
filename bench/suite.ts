/**
 * The benchmark suite: `npm run bench -- [--quick] [--only a,b] [--out DIR]`
 * (or `quiver bench ...`). Runs each benchmark in its own child process
 * (`tsx bench/<name>.bench.ts [--quick]`), so one that fails or hangs is
 * reported in the report instead of stopping the others, then writes
 * REPORT.md and its SVG plots (bench/lib/report-md.ts).
 *
 * Output folder (default bench/results/report/, git-ignored):
 *   suite.json            what ran: status, exit code, seconds, files, machine
 *   results/<name>/*.json each benchmark's own JSON (QUIVER_BENCH_RESULTS)
 *   logs/<name>.log       each benchmark's stdout and stderr
 *   REPORT.md, *.svg      the report; every figure names the JSON it comes from
 *
 * Options:
 *   --quick          every benchmark's --quick mode (a few minutes in all)
 *   --only a,b       these benchmarks only (names below; `filters` is part of ann)
 *   --out DIR        output folder
 *   --timeout-min N  stop a benchmark after N minutes (default 15 quick, 120 full)
 *   --report-only    rewrite REPORT.md from the JSON already in --out
 *   --strict         exit 1 when a benchmark failed (the report is written anyway)
 *   --list           print the benchmarks and exit
 * QUIVER_BENCH_SMOKE=1 passes on to the benchmarks: tiny sizes, to prove the
 * suite works (its test); such a report's figures mean nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { machineInfo, REPO_ROOT, SMOKE } from './lib/harness.js';
import { writeReport } from './lib/report-md.js';
import { BENCHMARKS, type BenchmarkName, type SuiteEntry, type SuiteManifest } from './lib/suite-types.js';

/** Names the issue uses for parts of a benchmark. */
const ALIASES: Record<string, BenchmarkName> = { filters: 'ann', keyword: 'bm25' };

/** Benchmarks that start the compiled server (dist/cli.js), so need `npm run build:ts` first, as their npm scripts do. */
const NEEDS_DIST: readonly BenchmarkName[] = ['scale'];

/** Packages whose versions every report records. */
export const REPORT_PACKAGES = [
  'hnswlib-node', 'usearch', 'hnswlib-wasm', '@orama/orama', 'vectra', 'minisearch', 'better-sqlite3',
  'fastify', 'autocannon', 'assemblyscript', 'vega', 'vega-lite', 'tsx', 'typescript',
];

interface Args {
  quick: boolean;
  only: BenchmarkName[] | null;
  out: string;
  timeoutMin: number | null;
  reportOnly: boolean;
  strict: boolean;
  list: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: null, out: join(REPO_ROOT, 'bench', 'results', 'report'), timeoutMin: null, reportOnly: false, strict: false, list: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${arg} needs a value`);
      return v;
    };
    const flag = arg.split('=')[0];
    if (flag === '--quick') args.quick = true;
    else if (flag === '--report-only') args.reportOnly = true;
    else if (flag === '--strict') args.strict = true;
    else if (flag === '--list') args.list = true;
    else if (flag === '--out') args.out = resolve(value());
    else if (flag === '--timeout-min') args.timeoutMin = Number(value());
    else if (flag === '--only') {
      const names = value().split(',').map((n) => n.trim()).filter(Boolean);
      const unknown = names.filter((n) => !(BENCHMARKS as readonly string[]).includes(n) && !(n in ALIASES));
      if (unknown.length > 0) throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${BENCHMARKS.join(', ')} (filters = ann)`);
      const chosen = new Set(names.map((n) => ALIASES[n] ?? (n as BenchmarkName)));
      args.only = BENCHMARKS.filter((b) => chosen.has(b));
    } else if (flag === '--help' || flag === '-h') {
      args.list = true;
    } else {
      throw new Error(`unknown option ${arg}; see the comment at the top of bench/suite.ts`);
    }
  }
  if (args.timeoutMin !== null && !(args.timeoutMin > 0)) throw new Error('--timeout-min needs a positive number');
  return args;
}

function clock(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Builds build/kernels.wasm when it is missing or older than a file in assembly/ (as the bench:* scripts do). */
function ensureWasm(say: (line: string) => void): string {
  const wasm = join(REPO_ROOT, 'build', 'kernels.wasm');
  const sources = readdirSync(join(REPO_ROOT, 'assembly')).map((f) => statSync(join(REPO_ROOT, 'assembly', f)).mtimeMs);
  if (existsSync(wasm) && statSync(wasm).mtimeMs >= Math.max(...sources)) return 'build/kernels.wasm up to date';
  say('building build/kernels.wasm (npm run build:wasm)');
  const result = spawnSync('npm', ['run', 'build:wasm'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) return `npm run build:wasm failed (exit ${result.status}): ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`;
  return 'built build/kernels.wasm';
}

/** `npm run build:ts` (dist/ for benchmarks that start the compiled CLI); a failure is recorded, not thrown. */
function buildDist(say: (line: string) => void): string {
  say('building dist/ (npm run build:ts) for a benchmark that starts dist/cli.js');
  const result = spawnSync('npm', ['run', 'build:ts'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) return `npm run build:ts failed (exit ${result.status}): ${(result.stdout + result.stderr).trim().split('\n').slice(-3).join(' | ')}`;
  return 'built dist/ (npm run build:ts)';
}

function quiverVersion(): string | null {
  try {
    return (createRequire(import.meta.url)(join(REPO_ROOT, 'package.json')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** Files under `dir`, relative to `base`, sorted. */
function filesUnder(dir: string, base: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path, base));
    else out.push(relative(base, path));
  }
  return out.sort();
}

/**
 * Runs one benchmark as a child process group: output to its log, progress
 * lines (`[  1.2s] ...` on stderr) echoed with the benchmark's name, and
 * the whole group stopped at the timeout or on Ctrl-C.
 */
async function runOne(
  entry: SuiteEntry, args: Args, outDir: string, say: (line: string) => void, running: { stop: (() => void) | null },
): Promise<void> {
  const resultsDir = join(outDir, 'results', entry.name);
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  mkdirSync(join(outDir, 'logs'), { recursive: true });
  const logPath = join(outDir, 'logs', `${entry.name}.log`);
  const log = createWriteStream(logPath);
  const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
  const benchArgs = [entry.file, ...(args.quick ? ['--quick'] : [])];
  entry.command = `tsx ${benchArgs.join(' ')}`;
  entry.log = relative(outDir, logPath);
  const started = performance.now();
  const child = spawn(process.execPath, [tsxCli, ...benchArgs], {
    cwd: REPO_ROOT,
    env: { ...process.env, QUIVER_BENCH_RESULTS: resultsDir, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const stopGroup = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  running.stop = stopGroup;
  const stderrTail: string[] = [];
  let lastLine = performance.now();
  let pending = '';
  child.stdout.pipe(log, { end: false });
  child.stderr.on('data', (chunk: Buffer) => {
    log.write(chunk);
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === '') continue;
      stderrTail.push(line);
      if (stderrTail.length > 40) stderrTail.shift();
      if (/^\[\s*[\d.]+s\]/.test(line)) {
        say(`${entry.name.padEnd(7)} ${clock(performance.now() - started)} | ${line.replace(/^\[\s*[\d.]+s\]\s*/, '')}`);
        lastLine = performance.now();
      }
    }
  });
  const heartbeat = setInterval(() => {
    if (performance.now() - lastLine > 20_000) {
      say(`${entry.name.padEnd(7)} ${clock(performance.now() - started)} | still running`);
      lastLine = performance.now();
    }
  }, 5_000);
  const timeoutMin = args.timeoutMin ?? (args.quick || SMOKE ? 15 : 120);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    say(`${entry.name}: no result after ${timeoutMin} min: stopping it`);
    stopGroup();
  }, timeoutMin * 60_000);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.on('close', (c, s) => done({ code: c, signal: s }));
    child.on('error', (error) => {
      stderrTail.push(String(error));
      done({ code: null, signal: null });
    });
  });
  clearTimeout(timer);
  clearInterval(heartbeat);
  running.stop = null;
  if (pending.trim() !== '') stderrTail.push(pending);
  await new Promise<void>((done) => log.end(done));
  entry.seconds = (performance.now() - started) / 1000;
  entry.exitCode = code;
  entry.signal = signal;
  entry.results = filesUnder(resultsDir, outDir);
  const wroteJson = entry.results.some((f) => f.endsWith('.json'));
  if (code === 0 && wroteJson) {
    entry.status = 'ok';
  } else {
    entry.status = 'failed';
    const why = timedOut
      ? `stopped after ${timeoutMin} min without finishing`
      : code === 0 ? 'exited 0 without writing a JSON file' : signal ? `killed by ${signal}` : `exit code ${code}`;
    // The most telling lines: the error messages and where the first was thrown, else the last lines it printed.
    const lines = stderrTail.map((l) => l.trim()).filter((l) => !/^\[\s*[\d.]+s\]/.test(l));
    const errors = lines.filter((l) => /error|failed|cannot|missing/i.test(l) && !l.startsWith('at '));
    const frame = lines.find((l) => l.startsWith('at ') && !l.includes('node:'));
    const tail = (errors.length > 0 ? [...errors.slice(0, 4), ...(frame ? [frame] : [])] : lines.slice(-6)).join(' | ');
    entry.reason = `${why}${tail ? `: ${tail.slice(0, 800)}` : ''}`;
  }
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    return 2;
  }
  if (args.list) {
    console.log(`benchmarks: ${BENCHMARKS.join(', ')} (filters = ann)\nusage: npm run bench -- [--quick] [--only a,b] [--out DIR] [--timeout-min N] [--report-only] [--strict]`);
    return 0;
  }
  const outDir = args.out;
  mkdirSync(outDir, { recursive: true });
  const start = performance.now();
  const say = (line: string) => process.stderr.write(`[suite ${clock(performance.now() - start)}] ${line}\n`);

  if (args.reportOnly) {
    const report = await writeReport(outDir);
    say(`wrote ${relative(process.cwd(), report.reportPath)} (${report.svgs.length} plots)`);
    return 0;
  }

  const chosen = args.only ?? [...BENCHMARKS];
  const manifest: SuiteManifest = {
    suite: 'quiver-bench',
    version: 1,
    mode: SMOKE ? 'smoke' : args.quick ? 'quick' : 'full',
    args: argv,
    started: new Date().toISOString(),
    finished: null,
    seconds: null,
    wasmBuild: '',
    tsBuild: null,
    machine: machineInfo(REPORT_PACKAGES),
    quiverVersion: quiverVersion(),
    benchmarks: BENCHMARKS.map((name): SuiteEntry => ({
      name, file: `bench/${name}.bench.ts`, status: 'not run', reason: chosen.includes(name) ? null : 'not chosen (--only)',
      command: null, exitCode: null, signal: null, seconds: null, results: [], log: null,
    })),
  };
  const manifestPath = join(outDir, 'suite.json');
  const save = () => writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  say(`${manifest.mode} run of ${chosen.join(', ')} -> ${relative(process.cwd(), outDir) || '.'}`);
  manifest.wasmBuild = ensureWasm(say);
  save();

  const running: { stop: (() => void) | null } = { stop: null };
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    say('interrupted: stopping the running benchmark, then writing the report of what finished');
    running.stop?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  for (const [i, name] of chosen.entries()) {
    const entry = manifest.benchmarks.find((b) => b.name === name)!;
    if (interrupted) {
      entry.reason = 'suite interrupted before it ran';
      continue;
    }
    if (!existsSync(join(REPO_ROOT, entry.file))) {
      entry.status = 'not available yet';
      entry.reason = `${entry.file} does not exist in this checkout`;
      say(`${name}: not available yet (${entry.file} does not exist)`);
      save();
      continue;
    }
    if (NEEDS_DIST.includes(name) && manifest.tsBuild === null) {
      manifest.tsBuild = buildDist(say);
      say(manifest.tsBuild);
    }
    say(`${i + 1}/${chosen.length} ${name}: tsx ${entry.file}${args.quick ? ' --quick' : ''}`);
    await runOne(entry, args, outDir, say, running);
    say(`${name}: ${entry.status} in ${clock(entry.seconds! * 1000)}${entry.reason ? ` (${entry.reason.slice(0, 300)})` : ''}`);
    save();
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  manifest.finished = new Date().toISOString();
  manifest.seconds = (performance.now() - start) / 1000;
  save();
  let reportOk = true;
  try {
    const report = await writeReport(outDir);
    say(`wrote ${relative(process.cwd(), report.reportPath)} (${report.svgs.length} plots)`);
  } catch (error) {
    reportOk = false;
    say(`the report failed: ${(error as Error).stack ?? String(error)}`);
  }
  const failed = manifest.benchmarks.filter((b) => b.status === 'failed');
  say(
    `done in ${clock(manifest.seconds * 1000)}: ` +
      manifest.benchmarks.filter((b) => chosen.includes(b.name)).map((b) => `${b.name} ${b.status}`).join(', '),
  );
  if (!reportOk) return 1;
  return args.strict && failed.length > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(REPO_ROOT, 'bench', 'suite.ts')) {
  process.exitCode = await main();
}
