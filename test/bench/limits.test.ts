/** bench/limits.ts at tiny sizes: the shapes, the byte counts, the idle pause, the CPU-seconds; and the table's naming of limits. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { against, limitRows, measureFileLimits, measureLoopback, type MachineLimits } from '../../bench/limits.js';
import { formatTable, versusLimit } from '../../bench/table.js';

const MiB = 1 << 20;
let dir = '';
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('machine limits', () => {
  it('measures 5-file and 1-file append cold (after the pause) and warm, and the page-cache read, then removes its files', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-limits-test-'));
    const started = performance.now();
    const limits = await measureFileLimits(dir, { appendBytes: 10 * MiB, idleSeconds: 0.4 });
    // Three idle pauses: one before each cold measurement.
    expect(performance.now() - started).toBeGreaterThanOrEqual(1200);
    expect(limits.append5Cold.name).toBe('cold 5-file append');
    expect(limits.append5Warm.name).toBe('warm 5-file append');
    expect(limits.append1Cold.name).toBe('cold 1-file append');
    expect(limits.append1Warm.name).toBe('warm 1-file append');
    expect(limits.append1TwoInFlightCold.name).toBe('cold 1-file append, 2 writes in flight');
    expect(limits.append1TwoInFlightWarm.name).toBe('warm 1-file append, 2 writes in flight');
    expect(limits.pageCacheRead.name).toBe('page-cache read');
    for (const l of Object.values(limits)) {
      expect(l.bytes).toBe(10 * MiB);
      expect(l.mbps).toBeCloseTo(l.bytes / 1e6 / l.seconds, 6);
      expect(l.cpuSeconds).toBeGreaterThan(0);
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('measures loopback TCP with the CPU of both processes', async () => {
    const l = await measureLoopback(16 * MiB, 1);
    expect(l.bytes).toBe(16 * MiB);
    expect(l.mbps).toBeGreaterThan(0);
    // The receiver's CPU plus what the sending process reported.
    expect(l.cpuSeconds).toBeGreaterThan(0);
  });

  it('prints each limit with its CPU-seconds, and rows set against one name it with the ratio', () => {
    const limit = (name: string, mbps: number) => ({ name, mbps, bytes: 1e9, seconds: 1e9 / 1e6 / mbps, cpuSeconds: 0.5 });
    const limits: MachineLimits = {
      loopback: limit('loopback TCP', 2000),
      append5Cold: limit('cold 5-file append', 400),
      append5Warm: limit('warm 5-file append', 4000),
      append1Cold: limit('cold 1-file append', 350),
      append1Warm: limit('warm 1-file append', 4100),
      append1TwoInFlightCold: limit('cold 1-file append, 2 writes in flight', 360),
      append1TwoInFlightWarm: limit('warm 1-file append, 2 writes in flight', 4200),
      pageCacheRead: limit('page-cache read', 6000),
    };
    const rows = limitRows(limits);
    expect(rows.map((r) => r.value)).toEqual([2000, 400, 4000, 350, 4100, 360, 4200, 6000]);
    for (const r of rows) expect(r.note).toMatch(/^0\.50 CPU-s for 1000 MB \(0\.50 CPU-s\/GB\)/);
    const row = { name: 'produce', value: 175, unit: 'MB/s', ...against(limits.append1Cold) };
    expect(versusLimit(row)).toBe('0.50× cold 1-file append 350');
    expect(versusLimit({ name: 'in-memory', value: 1, unit: 'MB/s', limitName: 'none' })).toBe('none');
    expect(formatTable('x', [row]).join('\n')).toContain('0.50× cold 1-file append 350');
  });
});
