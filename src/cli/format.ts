/**
 * Human-readable output: aligned tables, counts, sizes and durations.
 * Everything here returns strings; the commands decide where they go.
 * Widths are terminal columns (string-width): a CJK character takes two.
 */
import stringWidth from 'string-width';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Numbers read best right-aligned. */
  align?: 'left' | 'right';
}

/** Rows under a header, columns padded to their widest cell and separated by two spaces. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row)));
  const widths = columns.map((column, i) => Math.max(stringWidth(column.header), ...cells.map((line) => stringWidth(line[i]!))));
  const render = (line: readonly string[]) =>
    line
      .map((cell, i) => (columns[i]!.align === 'right' ? pad(cell, widths[i]!, 'left') : i === line.length - 1 ? cell : pad(cell, widths[i]!, 'right')))
      .join('  ')
      .trimEnd();
  return [render(columns.map((column) => column.header)), ...cells.map(render)].join('\n');
}

/** "label: value" lines with the values aligned. */
export function fields(pairs: readonly (readonly [string, string])[]): string {
  const labelWidth = Math.max(...pairs.map(([label]) => stringWidth(label))) + 1;
  return pairs.map(([label, value]) => `${pad(`${label}:`, labelWidth + 1, 'right')}${value}`).join('\n');
}

/** 1234567 -> "1,234,567". */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);
}

export { formatBytes } from '../core/units.js';

/** Seconds as "850 ms", "12.3 s", "4m 05s" or "2h 03m". */
export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

/** Four decimals for similarities, one for large l2 scores, exponents only for tiny ones. */
export function formatScore(score: number): string {
  const magnitude = Math.abs(score);
  if (magnitude >= 1000) return score.toFixed(1);
  return magnitude !== 0 && magnitude < 1e-3 ? score.toPrecision(4) : score.toFixed(4);
}

/** One line at most `max` columns wide: newlines become spaces, an ellipsis marks a cut. */
export function truncate(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (stringWidth(line) <= max) return line;
  let kept = '';
  let width = 0;
  // By grapheme, so a cut never splits an emoji sequence or a combining mark from its letter.
  for (const { segment } of graphemes.segment(line)) {
    const next = stringWidth(segment);
    if (width + next > max - 1) break;
    kept += segment;
    width += next;
  }
  return `${kept}…`;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function pad(text: string, to: number, side: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, to - stringWidth(text)));
  return side === 'left' ? fill + text : text + fill;
}
