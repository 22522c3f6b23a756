/** Figures of a child process read from /proc: resident memory and open descriptors. */
import fs from 'node:fs';

export interface MemoryFigures {
  /** Peak resident set size (VmHWM), bytes. */
  peak: number;
  /** Current resident set size (VmRSS), bytes. */
  current: number;
}

export function memoryOf(pid: number): MemoryFigures {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(m[1]) * 1024;
  };
  return { peak: kb('VmHWM'), current: kb('VmRSS') };
}

/** Open file descriptors of `pid`. */
export function descriptorsOf(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

export const MB = 1e6;
