import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/broker/index.js';
import { handlers } from '../../src/broker/handlers/index.js';
import { KafkaClient } from '../../src/client/client.js';
import { BrokerConnection } from '../../src/client/connection.js';
import { UnsupportedApiError, BrokerConnectionError } from '../../src/client/errors.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { WireTransport } from '../../src/transport/wire/wire-transport.js';
import { captureFrom } from '../../src/capture/capture.js';
import { replay } from '../../src/replay/replay.js';
import { collect, epochStream, extract } from '../replay/helpers.js';

let broker: RunningBroker | undefined;
let dataDir = '';
afterEach(async () => {
  await broker?.close();
  broker = undefined;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function brokerWith(limits: Record<number, [number, number]>): Promise<string> {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-'));
  const limited = handlers.map((h) => {
    const l = limits[h.codec.apiKey];
    return l ? { ...h, minVersion: l[0], maxVersion: l[1] } : h;
  });
  broker = await startBroker({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn', handlers: limited } as never);
  return `127.0.0.1:${broker.port}`;
}

describe('wire client version negotiation', () => {
  it('uses the highest version both sides speak, so older brokers work too', async () => {
    const address = await brokerWith({ 0: [3, 7], 1: [4, 10] });
    const [host, port] = address.split(':');
    const connection = await BrokerConnection.connect(host as string, Number(port));
    expect(connection.version(Produce as never)).toBe(7);
    expect(connection.version(Fetch as never)).toBe(10);
    connection.close();
    const transport = new WireTransport({ brokers: [address] });
    await captureFrom(epochStream(3, (t) => [t]), await transport.pusher<number, number>('old-0'));
    expect(extract(await collect(replay([transport.iterator<number, number>('old-0')])))).toEqual([[0, [0]], [1, [1]], [2, [2]]]);
    await transport.close();
  });

  it('a broker without a usable version of an API is a clear error', async () => {
    const address = await brokerWith({ 0: [10, 11] });
    const [host, port] = address.split(':');
    const connection = await BrokerConnection.connect(host as string, Number(port));
    expect(() => connection.version(Produce as never)).toThrowError(UnsupportedApiError);
    connection.close();
  });

  it('an unreachable broker is a connection error naming it', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-'));
    const client = new KafkaClient({ brokers: ['127.0.0.1:1'] });
    await expect(client.metadata(null)).rejects.toThrowError(BrokerConnectionError);
    await expect(client.metadata(null)).rejects.toThrowError(/127\.0\.0\.1:1/);
    await client.close();
  });
});
