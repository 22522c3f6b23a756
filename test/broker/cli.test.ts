/** The kafkaesque bin: help, usage errors (exit 2), the listening line, and clean shutdown on signals. */
import fs from 'node:fs';
import path from 'node:path';
import { CLEAN_SHUTDOWN_FILE } from '../../src/broker/log/file-names.js';
import { describe, expect, it } from 'vitest';
import { CONFIG_OPTIONS } from '../../src/broker/config.js';
import { collect, runCli, startChildBroker } from './child.js';
import { assertServes, tempDir } from './helpers.js';

describe('kafkaesque CLI', () => {
  it('--help lists the commands; no command is a usage error', async () => {
    const help = await collect(runCli(['--help']));
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/broker\s+run the Kafka-protocol broker/);
    const none = await collect(runCli([]));
    expect(none.code).toBe(2);
    const unknown = await collect(runCli(['frobnicate']));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });

  it('broker --help lists every option with its default', async () => {
    const r = await collect(runCli(['broker', '--help']));
    expect(r.code).toBe(0);
    for (const o of CONFIG_OPTIONS) expect(r.stdout).toMatch(new RegExp(`--${o.flag} .*\\[default: `));
  });

  it.each([
    [['--port', 'nope'], /--port/],
    [['--fsync', 'maybe'], /never\|interval\|always/],
    [['--what'], /Unknown option/],
  ])('broker %j exits 2 with a clear message', async (args, message) => {
    const r = await collect(runCli(['broker', ...args]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain("kafkaesque broker --help");
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('prints exactly one listening line, serves, and exits 0 on %s', async (signal) => {
    const dir = tempDir();
    const b = await startChildBroker(['--data-dir', dir]);
    expect(b.host).toBe('127.0.0.1');
    await assertServes(b);
    b.child.kill(signal);
    const { code } = await b.exited;
    expect(code).toBe(0);
    expect(b.stdout.filter((l) => l.length > 0)).toEqual([`kafkaesque broker listening on 127.0.0.1:${b.port}`]);
    expect(fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_FILE))).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a port in use is a runtime failure (exit 1)', async () => {
    const dir = tempDir();
    const a = await startChildBroker(['--data-dir', dir]);
    const r = await collect(runCli(['broker', '--port', String(a.port), '--data-dir', tempDir()]));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/EADDRINUSE|could not start/);
    a.child.kill('SIGTERM');
    await a.exited;
  });
});
