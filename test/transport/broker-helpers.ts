/** Starts real embedded brokers on port 0 over temp dirs for integration tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../../src/broker/index.js';

export interface TestBroker {
  broker: RunningBroker;
  address: string;
  dataDir: string;
  /** Stops the broker (data stays). */
  stop(): Promise<void>;
  /** Starts a broker again on the same port and data dir. */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startTestBroker(): Promise<TestBroker> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-'));
  let broker = await startBroker({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn' } as never);
  const port = broker.port;
  let running = true;
  const handle: TestBroker = {
    get broker() {
      return broker;
    },
    address: `127.0.0.1:${port}`,
    dataDir,
    async stop() {
      if (running) await broker.close();
      running = false;
    },
    async restart() {
      broker = await startBroker({ dataDir, port, host: '127.0.0.1', logLevel: 'warn' } as never);
      running = true;
    },
    async cleanup() {
      await handle.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}
