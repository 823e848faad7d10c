#!/usr/bin/env node
/**
 * The `quiver` command: dispatch on the first argument.
 *   quiver serve [--host H] [--port P] [--data DIR] [--durability process|fsync] [--log-level L] [--workers N] [--memory-limit BYTES]
 *   quiver import | search | collections | stats | delete | drop | export | backup | restore ... (src/cli/)
 *   quiver bench [--quick] [--only a,b] ... (bench/suite.ts, from a source checkout)
 */
import { isQuiverError } from './core/errors.js';
import { serve } from './cli/serve.js';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE } from './cli/args.js';
import { runBench } from './cli/bench.js';
import { isDataCommand, runDataCommand, synopses } from './cli/run.js';

const SERVE_SYNOPSIS = 'quiver serve [--host 127.0.0.1] [--port 8080] [--data ./data] [--backup-dir DIR] [--durability process|fsync] [--log-level info] [--log-format json|text] [--workers <cores>] [--memory-limit <bytes>] [--field-cache <bytes>] [--cluster-store postgres://... --node-id ID [--advertise http://host:port] [--cluster-bootstrap DIR] [--cluster-hold-all true]]';

const SERVE_USAGE = `usage: ${SERVE_SYNOPSIS}

Environment: QUIVER_HOST, QUIVER_PORT, QUIVER_DATA, QUIVER_BACKUP_DIR, QUIVER_DURABILITY, QUIVER_LOG_LEVEL, QUIVER_LOG_FORMAT, QUIVER_WORKERS, QUIVER_MEMORY_LIMIT, QUIVER_FIELD_CACHE,
QUIVER_API_KEY, QUIVER_READ_ONLY_KEY, QUIVER_RATE_LIMIT_MAX, QUIVER_RATE_LIMIT_WINDOW_MS, QUIVER_AUTH_FAILURE_LIMIT,
QUIVER_CACHE_MAX_ENTRIES, QUIVER_CACHE_MAX_BYTES, QUIVER_CACHE_TTL_MS, QUIVER_BODY_LIMIT, QUIVER_REQUEST_TIMEOUT_MS,
QUIVER_PENDING_REPLY_BYTES, REDIS_URL, QUIVER_CLUSTER_STORE, QUIVER_NODE_ID, QUIVER_ADVERTISE,
QUIVER_CLUSTER_BOOTSTRAP, QUIVER_CLUSTER_HOLD_ALL. Flags win over the environment (see the README, "Configuration").`;

/** One usage block: every command's synopsis, then where to read more. */
const USAGE = `usage: ${SERVE_SYNOPSIS}
${synopses()}
       quiver bench [--quick] [--only kernels,ann,...] [--out DIR]   (from a clone of the repository)

Run 'quiver <command> --help' for a command's options; 'quiver serve --help' also lists the environment variables.`;

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (isDataCommand(command)) {
    process.exitCode = await runDataCommand(command, rest, { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: interruptSignal() });
    return;
  }
  switch (command) {
    case 'serve':
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(`${SERVE_USAGE}\n`);
        return;
      }
      return serve(rest);
    case 'bench':
      process.exitCode = runBench(rest, process.stderr);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      process.stderr.write(`quiver: unknown command '${command}'\n${USAGE}\n`);
      process.exitCode = 2;
  }
}

/** The first Ctrl-C asks the command to stop at a safe point (an import keeps what it wrote); the second exits at once. */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.on('SIGINT', () => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    process.stderr.write('\nquiver: stopping (Ctrl-C again to quit at once)\n');
    controller.abort();
  });
  return controller.signal;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // Bad flags or variables of serve: nothing was started, and the usage says what it takes (as the other commands do).
  const usage = isQuiverError(error) && error.code === 'INVALID_OPTIONS' && process.argv[2] === 'serve';
  const message = isQuiverError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
  process.stderr.write(`quiver: ${message}\n${usage ? `${SERVE_USAGE}\n` : ''}`);
  process.exit(usage ? EXIT_USAGE : EXIT_FAILED);
});
