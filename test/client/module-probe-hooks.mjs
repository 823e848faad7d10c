// Loader hooks of module-probe.mjs: appends every resolved URL to a log file
// (hooks run on their own thread; a file is read back reliably at exit).
import { appendFileSync } from 'node:fs';

let log;

export function initialize(data) {
  log = data.log;
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(log, `${result.url}\n`);
  return result;
}
