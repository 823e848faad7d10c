/**
 * Import progress on stderr: a cli-progress bar (percentage, documents,
 * rate, time left) when stderr is a terminal, otherwise one plain line after
 * the first batch and then every PROGRESS_INTERVAL_MS, so logs stay short.
 * Progress is measured in bytes of the file, the one unit every format has.
 */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { formatCount, formatDuration } from './format.js';
import type { CliIo } from './target.js';

/** Plain progress lines (non-terminal stderr) are at least this far apart. */
export const PROGRESS_INTERVAL_MS = 5_000;

export interface ProgressState {
  /** Bytes of the file consumed. */
  position: number;
  /** Lines or records read so far (imported, skipped or rejected). */
  documents: number;
}

export interface Progress {
  update(state: ProgressState): void;
  /** A message that must not be drawn over by the bar. */
  log(line: string): void;
  stop(): void;
}

export function createProgress(io: CliIo, total: number, now: () => number = Date.now): Progress {
  const started = now();
  const rate = (documents: number) => documents / Math.max(1e-3, (now() - started) / 1000);

  if (io.stderr.isTTY === true) {
    const bars = new MultiBar(
      {
        stream: io.stderr,
        format: ' {bar} {percentage}% | {documents} docs | {rate} docs/s | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 100,
        fps: 5,
      },
      Presets.shades_classic,
    );
    const bar: SingleBar = bars.create(Math.max(1, total), 0, { documents: '0', rate: '-' });
    return {
      update({ position, documents }) {
        bar.update(Math.min(position, total), { documents: formatCount(documents), rate: formatCount(Math.round(rate(documents))) });
      },
      log(line) {
        bars.log(`${line}\n`);
      },
      stop() {
        bars.stop();
      },
    };
  }

  let last: number | undefined;
  return {
    update({ position, documents }) {
      const time = now();
      if (last !== undefined && time - last < PROGRESS_INTERVAL_MS) return;
      last = time;
      const fraction = total > 0 ? Math.min(1, position / total) : 0;
      const elapsed = (time - started) / 1000;
      const left = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : undefined;
      io.stderr.write(
        `progress: ${formatCount(documents)} docs, ${(fraction * 100).toFixed(1)}% of the file, ` +
          `${formatCount(Math.round(rate(documents)))} docs/s, ${left === undefined ? 'time left unknown' : `${formatDuration(left)} left`}\n`,
      );
    },
    log(line) {
      io.stderr.write(`${line}\n`);
    },
    stop() {},
  };
}
