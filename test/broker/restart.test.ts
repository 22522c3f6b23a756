/**
 * Durability across restarts: a clean stop keeps everything; kill -9 of a broker child in the middle of
 * producing loses nothing that was acknowledged and duplicates nothing; a corrupted tail is cut, not served.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetadataRequest, Metadata } from '../../src/protocol/messages/metadata.js';
import { createProduceRequest, Produce } from '../../src/protocol/messages/produce.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { startChildBroker } from './child.js';
import { kafkaClient, produceRaw, RawClient, readAll, startTestBroker, tempDir } from './helpers.js';
import { until } from '../until.js';

describe('restart', () => {
  it('a clean stop and start on the same dir keeps topics, ids and data', async () => {
    const dir = tempDir();
    const a = await startTestBroker({ dataDir: dir });
    const producer = kafkaClient(a).producer();
    await producer.connect();
    await producer.send({ topic: 'keep', messages: Array.from({ length: 100 }, (_, i) => ({ value: `v${i}` })) });
    await producer.disconnect();
    const admin = kafkaClient(a).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'keep3', numPartitions: 3 }] });
    await admin.disconnect();
    const c = await RawClient.connect(a);
    const before = await c.request(Metadata, 12, createMetadataRequest({ topics: null }));
    c.close();
    await a.close();

    const b = await startTestBroker({ dataDir: dir });
    const c2 = await RawClient.connect(b);
    const after = await c2.request(Metadata, 12, createMetadataRequest({ topics: null }));
    c2.close();
    const ids = (m: typeof before) => Object.fromEntries(m.topics.map((t) => [t.name, [t.topicId, t.partitions.length]]));
    expect(ids(after)).toEqual(ids(before));
    expect((await readAll(b, 'keep')).map((r) => r.value)).toEqual(Array.from({ length: 100 }, (_, i) => `v${i}`));
    const p = kafkaClient(b).producer();
    await p.connect();
    const [res] = await p.send({ topic: 'keep', messages: [{ value: 'after restart' }] });
    expect(res!.baseOffset).toBe('100');
    await p.disconnect();
    await b.stop();
  });

  it('kill -9 while producing: every acknowledged record is read back exactly once', async () => {
    const dir = tempDir();
    const first = await startChildBroker(['--data-dir', dir]);
    const c = await RawClient.connect(first);
    await c.request(Metadata, 1, createMetadataRequest({ topics: [{ name: 'crash', topicId: '00000000-0000-0000-0000-000000000000' }] }));
    const acked: string[] = [];
    let killed = false;
    // Pipelined producers keep requests in flight at the moment of the kill.
    const produceLoop = (async () => {
      for (let i = 0; !killed; i++) {
        const values = Array.from({ length: 50 }, (_, j) => `r${i}-${j}`.padEnd(200, '.'));
        const batch = encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) });
        try {
          const res = await c.request(Produce, 7, createProduceRequest({ acks: 1, timeoutMs: 1000, topicData: [{ name: 'crash', partitionData: [{ index: 0, records: batch }] }] }));
          if (res.responses[0]!.partitionResponses[0]!.errorCode === 0) acked.push(...values);
        } catch {
          return; // the connection died with the broker
        }
      }
    })();
    // Kill once a good number of records is acknowledged (and more are in flight), however slow the machine.
    await until(() => acked.length > 1000, 'more than 1000 acknowledged records before the kill', 30_000);
    first.child.kill('SIGKILL');
    killed = true;
    await first.exited;
    await produceLoop;
    c.close();
    expect(acked.length).toBeGreaterThan(1000);

    const second = await startChildBroker(['--data-dir', dir]);
    const got = (await readAll(second, 'crash')).map((r) => r.value!);
    // Acknowledged records form a prefix of the log, each exactly once; an unacknowledged tail may survive.
    expect(got.slice(0, acked.length)).toEqual(acked);
    expect(new Set(got).size).toBe(got.length);
    // And the log continues after the recovered end.
    const c2 = await RawClient.connect(second);
    const next = await produceRaw(c2, 'crash', 0, ['next']);
    expect(next.baseOffset).toBe(BigInt(got.length));
    c2.close();
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a corrupted tail is truncated on recovery, not served', async () => {
    const dir = tempDir();
    const a = await startChildBroker(['--data-dir', dir]);
    const c = await RawClient.connect(a);
    await c.request(Metadata, 1, createMetadataRequest({ topics: [{ name: 'torn', topicId: '00000000-0000-0000-0000-000000000000' }] }));
    for (let i = 0; i < 10; i++) await produceRaw(c, 'torn', 0, [`t${i}`]);
    c.close();
    a.child.kill('SIGKILL');
    await a.exited;
    const log = fs.readdirSync(path.join(dir, 'torn-0')).find((f) => f.endsWith('.log'))!;
    const file = path.join(dir, 'torn-0', log);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3]! ^= 0xff; // corrupt the last batch
    fs.writeFileSync(file, Buffer.concat([bytes, Buffer.from([1, 2, 3])])); // plus a torn partial write
    const b = await startTestBroker({ dataDir: dir });
    expect((await readAll(b, 'torn')).map((r) => r.value)).toEqual(Array.from({ length: 9 }, (_, i) => `t${i}`));
    await b.stop();
  });
});
