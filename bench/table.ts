/** The table `npm run bench` prints: each figure beside the limit it is set against, named, with the ratio. */
import type { BenchRow } from './types.js';

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

/** "0.52× cold 1-file append 1,234": the ratio, which limit, and its value in the row's unit; or why there is none. */
export function versusLimit(r: BenchRow): string {
  if (r.limit && r.limit > 0) return `${(r.value / r.limit).toFixed(2)}× ${r.limitName ?? 'limit'} ${formatNumber(r.limit)}`;
  return r.limitName ?? '';
}

export function formatTable(name: string, rows: BenchRow[]): string[] {
  const lines = rows.map((r) => [r.name, formatNumber(r.value), r.unit, versusLimit(r), r.note ?? '']);
  const header = ['measure', 'value', 'unit', 'vs machine limit', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [`\n== ${name}`, fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)];
}

export function printTable(name: string, rows: BenchRow[]): void {
  for (const line of formatTable(name, rows)) console.log(line);
}
