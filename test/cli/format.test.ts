/**
 * CLI tables and truncation measure terminal columns: a Chinese or Japanese
 * character takes two, so columns after CJK text still line up (issue 24, item 6).
 */
import { describe, expect, it } from 'vitest';
import stringWidth from 'string-width';
import { fields, table, truncate } from '../../src/cli/format.js';

describe('table', () => {
  it('aligns the columns after CJK text by display width', () => {
    const rows = [
      { id: 'a1', text: 'TypeScript generics', score: '0.9000' },
      { id: 'a4', text: 'TypeScript 的泛型实践', score: '0.8500' },
      { id: 'a5', text: '東京の天気', score: '0.1000' },
    ];
    const lines = table(rows, [
      { header: 'id', value: (row) => row.id },
      { header: 'text', value: (row) => row.text },
      { header: 'score', value: (row) => row.score, align: 'right' },
    ]).split('\n');
    // Every line ends its score column at the same terminal column.
    const ends = lines.map((line) => stringWidth(line));
    expect(new Set(ends).size).toBe(1);
    expect(lines[2]!.endsWith('0.8500')).toBe(true);
    // And the score starts where the header's column does, in columns, not in UTF-16 units.
    const scoreStart = (line: string) => stringWidth(line) - 6;
    expect(lines.slice(1).map(scoreStart)).toEqual(lines.slice(1).map(() => scoreStart(lines[1]!)));
  });

  it('aligns field values after CJK labels', () => {
    const lines = fields([['名前', 'x'], ['size', 'y']]).split('\n');
    expect(lines.map((line) => stringWidth(line.slice(0, -1)))).toEqual([6, 6]);
  });
});

describe('truncate', () => {
  it('cuts to at most the given number of columns, ellipsis included', () => {
    const cut = truncate('泛型实践泛型实践泛型实践', 9);
    expect(cut.endsWith('…')).toBe(true);
    expect(stringWidth(cut)).toBeLessThanOrEqual(9);
    expect(stringWidth(cut)).toBeGreaterThanOrEqual(8);
  });

  it('keeps text that fits, and never splits a grapheme', () => {
    expect(truncate('short\ntext', 20)).toBe('short text');
    const family = '👨‍👩‍👧';
    const cut = truncate(`${family}${family}${family}`, 5);
    expect(cut).toBe(`${family}${family}…`);
  });
});
