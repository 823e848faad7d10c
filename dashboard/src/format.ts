/** How figures read on the page. */

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

export function count(value: number): string {
  return integer.format(value);
}

export function bytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function ms(value: number): string {
  return value < 1 ? `${value.toFixed(3)} ms` : value < 100 ? `${value.toFixed(2)} ms` : `${integer.format(value)} ms`;
}

export function score(value: number): string {
  return Math.abs(value) >= 1000 ? value.toExponential(3) : value.toFixed(4);
}

/** Up to `max` characters of a text, cut at a word. */
export function excerpt(text: string | undefined, max = 160): string {
  if (text === undefined) return '';
  if (text.length <= max) return text;
  const cut = text.lastIndexOf(' ', max);
  return `${text.slice(0, cut > max / 2 ? cut : max)}…`;
}
