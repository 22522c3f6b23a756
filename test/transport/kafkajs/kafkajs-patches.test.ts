/**
 * Importing kafkaesque patches nothing; a KafkaJsTransport installs the kafkajs patches when it is created
 * (unless `patchKafkaJs: false`), says so in one debug line, and shows it in `kafkaJsPatches`. The tests run in
 * order in this file's own process: each one builds on the kafkajs state the previous one left.
 */
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import * as kafkaesque from '../../../src/index.js';

const require = createRequire(import.meta.url);
type Encoder = { prototype: { ensureAvailable: (length: number) => void } };

/** A debug-level pino logger whose lines land in `lines`. */
function recordingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger: Logger = pino({ level: 'debug' }, sink);
  return { logger, lines };
}

const kafkaJsCrc = () => require('kafkajs/src/protocol/recordBatch/crc32C') as Function;
const encoderGrowth = () => (require('kafkajs/src/protocol/encoder.js') as Encoder).prototype.ensureAvailable.toString();

describe('kafkajs patches', () => {
  it('importing kafkaesque patches nothing', () => {
    expect(kafkaesque.KafkaJsTransport).toBeTypeOf('function');
    // kafkajs's own CRC32C module and its zero-filling Encoder growth.
    expect(kafkaJsCrc().toString()).toContain('unsigned(crc32C(buffer))');
    expect(encoderGrowth()).toContain('Buffer.alloc(newLength)');
  });

  it('a transport with patchKafkaJs: false installs nothing and says so', async () => {
    const { logger, lines } = recordingLogger();
    const transport = new kafkaesque.KafkaJsTransport({ brokers: ['127.0.0.1:1'], patchKafkaJs: false, logger });
    expect(transport.kafkaJsPatches).toEqual({ nativeCrc32c: false, encoderGrowth: false });
    expect(kafkaJsCrc().toString()).toContain('unsigned(crc32C(buffer))');
    expect(encoderGrowth()).toContain('Buffer.alloc(newLength)');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 20, msg: 'kafkajs patches', requested: false, nativeCrc32c: false, encoderGrowth: false });
    await transport.close();
  });

  it('the first transport that wants them installs both, logs one debug line and shows them', async () => {
    const { logger, lines } = recordingLogger();
    const transport = new kafkaesque.KafkaJsTransport({ brokers: ['127.0.0.1:1'], logger });
    expect(transport.kafkaJsPatches).toEqual({ nativeCrc32c: true, encoderGrowth: true });
    expect(kafkaJsCrc().toString()).not.toContain('unsigned(crc32C(buffer))');
    expect(encoderGrowth()).toContain('allocUnsafe');
    expect(lines).toEqual([expect.objectContaining({ level: 20, msg: 'kafkajs patches', requested: true, nativeCrc32c: true, encoderGrowth: true, reasons: {} })]);
    await transport.close();
  });

  it('later transports find them installed (once per process), whatever they ask', async () => {
    const again = new kafkaesque.KafkaJsTransport({ brokers: ['127.0.0.1:1'], logger: pino({ level: 'silent' }) });
    const off = new kafkaesque.KafkaJsTransport({ brokers: ['127.0.0.1:1'], patchKafkaJs: false, logger: pino({ level: 'silent' }) });
    // The patches live in the shared kafkajs module: a transport that did not ask still reports the truth.
    expect(again.kafkaJsPatches).toEqual({ nativeCrc32c: true, encoderGrowth: true });
    expect(off.kafkaJsPatches).toEqual({ nativeCrc32c: true, encoderGrowth: true });
    await Promise.all([again.close(), off.close()]);
  });
});
