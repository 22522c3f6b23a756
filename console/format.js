// Number, byte, time and duration formatting for the console's tables.

const nf = new Intl.NumberFormat('en-US');

export function num(n) {
  return n === null || n === undefined ? '—' : nf.format(n);
}

export function bytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function rate(perSec, unit) {
  if (perSec === null || perSec === undefined) return '—';
  if (unit === 'B') return `${bytes(Math.round(perSec))}/s`;
  return `${perSec >= 100 ? nf.format(Math.round(perSec)) : perSec.toFixed(perSec < 10 ? 1 : 0)}/s`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${r}s`;
  return `${r}s`;
}

export function time(ms) {
  if (ms === null || ms === undefined || ms < 0) return '—';
  const d = new Date(ms);
  const today = new Date();
  const clock = d.toLocaleTimeString('en-GB', { hour12: false });
  return d.toDateString() === today.toDateString() ? clock : `${d.toISOString().slice(0, 10)} ${clock}`;
}

export function ago(ms) {
  if (ms === null || ms === undefined) return '—';
  return `${duration(Math.max(0, (Date.now() - ms) / 1000))} ago`;
}

export function frontier(f) {
  if (f === null || f === undefined) return 'unknown';
  if (f.length === 0) return '∅ (complete)';
  return `{${f.map((t) => JSON.stringify(t)).join(', ')}}`;
}
