/** Plain-text formatting for the terminal: aligned tables and compact numbers. */

/** A number in at most `digits` significant digits without trailing zeros; strings pass through. */
export function formatValue(v: number | string | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e9)) return v.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(digits)));
}

/** Cuts `text` to `max` characters, ending in an ellipsis when cut; newlines become spaces. */
export function truncate(text: string, max: number): string {
  const one = text.replace(/\s*\n\s*/g, ' ');
  return one.length <= max ? one : `${one.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * An aligned text table: a header row, a rule, then the rows; columns separated by two spaces.
 * `align[i] === 'right'` right-aligns column i (numbers).
 */
export function textTable(header: string[], rows: string[][], align: ('left' | 'right')[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (align[i] === 'right' ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(header.map((_, i) => r[i] ?? '')))].join('\n');
}

/** Seconds with one decimal (two below 10 s). */
export function formatSeconds(s: number): string {
  return s < 10 ? s.toFixed(2) : s.toFixed(1);
}
