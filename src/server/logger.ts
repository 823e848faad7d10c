/**
 * The server's one log: pino, written as JSON lines (for log collectors)
 * or as plain text lines (for a person at a terminal), never a mix. The
 * engine's messages (restores, unavailable collections) go through the
 * same logger as Fastify's, and the line saying where the server listens
 * is one of them.
 */
import pino, { type Logger as PinoLogger } from 'pino';
import type { Logger } from '../core/api.js';
import type { ServerConfig } from './config.js';

export type LogFormat = 'json' | 'text';

/** pino's numeric levels, as text lines name them. */
const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Fields every pino line has, which a text line shows in its own way or leaves out. */
const FIXED_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

/** One pino JSON line as `2026-12-04T03:50:00.000Z INFO  message key=value`; an error's stack on the lines after. */
export function textLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString() : '';
  const level = (LEVEL_NAMES[entry.level as number] ?? String(entry.level)).padEnd(5);
  let stack = '';
  const extra: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (FIXED_FIELDS.has(key)) continue;
    if ((key === 'err' || key === 'error') && value && typeof value === 'object' && 'stack' in value) {
      stack = `\n${String((value as { stack: unknown }).stack).replace(/^/gm, '    ')}`;
      continue;
    }
    extra.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return `${time} ${level} ${String(entry.msg ?? '')}${extra.length > 0 ? ` ${extra.join(' ')}` : ''}${stack}\n`;
}

/** The server's logger, writing to `out` (stdout) in `format`. */
export function createServerLogger(
  config: Pick<ServerConfig, 'logLevel' | 'logFormat'>,
  out: { write(text: string): unknown } = process.stdout,
): PinoLogger {
  const destination = config.logFormat === 'json' ? out : { write: (line: string) => out.write(textLine(line)) };
  return pino({ level: config.logLevel }, destination);
}

/** The engine's Logger interface over the server's logger. */
export function engineLogger(log: PinoLogger): Logger {
  return {
    info: (message) => log.info(message),
    warn: (message) => log.warn(message),
    error: (message) => log.error(message),
  };
}
