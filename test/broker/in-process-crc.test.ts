/**
 * The embedded broker trusts the CRC32C of batches its own EventBatchBuilder sealed in this process (the
 * in-process link: no socket in between) and skips recomputing it; everything else is checked as always.
 * A corrupt batch built any other way is refused on the link (direct and over a port), a copy of a sealed
 * batch is not trusted, and recovery still verifies the CRC of what was appended on trust. Batches that
 * crossed a socket: test/broker/produce-fetch.test.ts and limits/produce-validation.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inProcessLink } from '../../src/broker/in-process-link.js';
import { LogManager } from '../../src/broker/log/log-manager.js';
import { messages } from '../../src/dataflow/event.js';
import { isSealed } from '../../src/link/sealed-batches.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { EmbeddedTransport } from '../../src/transport/embedded/embedded-transport.js';
import { EventBatchBuilder } from '../../src/transport/event-batch.js';
import { encodeEventParts } from '../../src/transport/event-codec.js';
import { startTestBroker, type TestBroker } from '../transport/broker-helpers.js';
import { namedBatch, readAll, removeDir, tempDir } from './log/helpers.js';

/** A batch sealed by the builder (the very object finish() returned). */
function sealedBatch(values: number[]): Buffer {
  const builder = new EventBatchBuilder(64 * 1024);
  builder.add(encodeEventParts(messages(0, Float64Array.from(values))));
  return builder.finish();
}

/** Flips a byte of the last record: the CRC no longer matches, the header is intact. */
function corrupt(batch: Buffer): Buffer {
  batch[batch.length - 2]! ^= 0xff;
  return batch;
}

describe('CRC trust on the in-process link', () => {
  let broker: TestBroker;
  beforeEach(async () => {
    broker = await startTestBroker();
  });
  afterEach(async () => {
    await broker.cleanup();
  });

  it('refuses a corrupt batch built by hand, directly and over a port', async () => {
    const link = inProcessLink(broker.broker);
    expect((await link.prepareTopic('hand', false)).kind).toBe('ready');
    const direct = await link.append('hand', corrupt(namedBatch('x', 3)));
    expect(direct).toMatchObject({ kind: 'error', errorCode: ErrorCode.CORRUPT_MESSAGE });
    // Over a port, the way worker threads reach the broker.
    const overPort = new EmbeddedTransport({ link: link.port() });
    const pusherLink = (overPort as unknown as { link: { append(t: string, b: Buffer): Promise<{ kind: string; errorCode?: number }> } }).link;
    expect(await pusherLink.append('hand', corrupt(namedBatch('y', 3)))).toMatchObject({ kind: 'error', errorCode: ErrorCode.CORRUPT_MESSAGE });
    expect(broker.broker.context.topics.partition('hand', 0)!.highWatermark).toBe(0n);
  });

  it('refuses a corrupt copy of a sealed batch: only the object the builder returned is trusted', async () => {
    const link = inProcessLink(broker.broker);
    await link.prepareTopic('copy', false);
    const sealed = sealedBatch([1, 2, 3]);
    expect(isSealed(sealed)).toBe(true);
    const copy = corrupt(Buffer.from(sealed));
    expect(isSealed(copy)).toBe(false);
    expect(await link.append('copy', copy)).toMatchObject({ kind: 'error', errorCode: ErrorCode.CORRUPT_MESSAGE });
    expect(await link.append('copy', sealed)).toMatchObject({ kind: 'appended', baseOffset: 0n });
  });

  it('does not recompute the CRC of a sealed batch (direct and over a port): the trust is real', async () => {
    // A sealed batch damaged after sealing is what the skipped check would have caught; it is accepted,
    // which proves the check is skipped. (Nothing in the pusher touches a batch between finish and append.)
    const link = inProcessLink(broker.broker);
    await link.prepareTopic('trusted', false);
    expect(await link.append('trusted', corrupt(sealedBatch([1, 2])))).toMatchObject({ kind: 'appended', baseOffset: 0n });
    const overPort = new EmbeddedTransport({ link: link.port() });
    const portLink = (overPort as unknown as { link: { append(t: string, b: Buffer): Promise<{ kind: string }> } }).link;
    expect(await portLink.append('trusted', corrupt(sealedBatch([3, 4])))).toMatchObject({ kind: 'appended', baseOffset: 1n });
  });
});

describe('CRC trust and recovery', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  it('recovery still verifies the CRC of a batch appended on trust, and cuts the log there', async () => {
    const logs = await LogManager.open(dir, {});
    await logs.createTopic('t', 1);
    const log = logs.partition('t', 0)!;
    await log.append(namedBatch('a', 2));
    await log.append(corrupt(sealedBatch([7])), { sealedInProcess: true });
    expect(log.highWatermark).toBe(3n);
    await logs.abandon(); // a crash: no clean-shutdown marker, so the next open validates every batch
    const again = await LogManager.open(dir);
    const recovered = again.partition('t', 0)!;
    expect(recovered.loadStats.truncatedBytes).toBeGreaterThan(0);
    expect((await readAll(recovered, 0n)).map(([, v]) => v)).toEqual(['a-0', 'a-1']);
    await again.close();
  });

  it('the same corrupt batch without the in-process flag is refused by the log', async () => {
    const logs = await LogManager.open(dir, {});
    await logs.createTopic('t', 1);
    const log = logs.partition('t', 0)!;
    await expect(log.append(corrupt(sealedBatch([7])))).rejects.toMatchObject({ code: ErrorCode.CORRUPT_MESSAGE });
    await logs.close();
  });
});
