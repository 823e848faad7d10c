#!/usr/bin/env node
/**
 * The `quiver` command.
 *   quiver serve [--host H] [--port P] [--data DIR] [--durability process|fsync] [--log-level L]
 */
import { isQuiverError } from './core/errors.js';
import { serve } from './main.js';

const USAGE = `usage: quiver serve [--host 127.0.0.1] [--port 8080] [--data ./data] [--durability process|fsync] [--log-level info]

Environment: QUIVER_HOST, QUIVER_PORT, QUIVER_DATA, QUIVER_DURABILITY, QUIVER_LOG_LEVEL,
QUIVER_API_KEY, QUIVER_READ_ONLY_KEY, QUIVER_RATE_LIMIT_MAX, QUIVER_RATE_LIMIT_WINDOW_MS,
QUIVER_CACHE_MAX_ENTRIES, QUIVER_CACHE_MAX_BYTES, QUIVER_CACHE_TTL_MS, QUIVER_BODY_LIMIT, REDIS_URL.
Flags win over the environment.`;

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
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

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`quiver: ${isQuiverError(error) ? `${error.code}: ${error.message}` : String(error)}\n`);
  process.exit(1);
});
