/** `kafkaesque broker --http-port`: the flag reaches the endpoint, which says where it listens, and stops with the broker. */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startChildBroker, type ChildBroker } from '../broker/child.js';
import { tempDir } from '../broker/helpers.js';
import { until } from '../until.js';
import { scrape } from './prom-text.js';

let broker: ChildBroker | undefined;
let dir: string | undefined;
afterEach(async () => {
  broker?.child.kill('SIGKILL');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  broker = dir = undefined;
});

describe('kafkaesque broker --http-port', () => {
  it('serves /metrics on the port it reports on stderr, and stops with the broker', async () => {
    dir = tempDir();
    broker = await startChildBroker(['--data-dir', dir, '--http-port', '0', '--metrics-max-topic-series', '10']);
    let address: RegExpExecArray | null = null;
    await until(() => (address = /HTTP endpoint \([^)]*\) on http:\/\/127\.0\.0\.1:(\d+)/.exec(broker!.stderr())) !== null, 'the HTTP address on stderr');
    const port = Number(address![1]);
    expect(broker.stdout).toEqual([`kafkaesque broker listening on ${broker.host}:${broker.port}`]);
    const s = await scrape({ host: '127.0.0.1', port });
    expect(s.value('kafkaesque_connections_open', { listener: 'PLAINTEXT' })).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    broker.child.kill('SIGTERM');
    expect((await broker.exited).code).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('rejects a bad --http-port and --metrics-max-topic-series with a usage error', async () => {
    await expect(startChildBroker(['--http-port', '70000'])).rejects.toThrow(/--http-port/);
    await expect(startChildBroker(['--metrics-max-topic-series', '0'])).rejects.toThrow(/--metrics-max-topic-series/);
  });
});
