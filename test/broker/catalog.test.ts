import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Catalog, CATALOG_FILE, validateTopicName } from '../../src/broker/catalog.js';
import { StorageError } from '../../src/broker/log/errors.js';
import { LogManager } from '../../src/broker/log/log-manager.js';
import { namedBatch, readAll, removeDir, tempDir } from './log/helpers.js';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    return (e as StorageError).code;
  }
  return undefined;
}

describe('topic names', () => {
  it('accepts what Kafka accepts and refuses the rest with INVALID_TOPIC_EXCEPTION', () => {
    for (const ok of ['a', 'my-topic_1.x', 'A'.repeat(249), '__consumer_offsets', '...']) expect(codeOf(() => validateTopicName(ok))).toBeUndefined();
    for (const bad of ['', '.', '..', 'A'.repeat(250), 'with space', 'slash/x', 'ünï', 'a\u0000b']) expect(codeOf(() => validateTopicName(bad))).toBe(17);
  });
});

describe('Catalog', () => {
  it('persists topics with UUIDs, partitions and configs across reopen', async () => {
    const c = await Catalog.open(dir);
    const t = await c.create('orders', 3, { 'retention.ms': '1000' });
    expect(t.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await c.create('other', 1);
    await c.setPartitions('orders', 5);
    await c.setConfigs('other', { 'segment.bytes': '2048' });
    await c.delete('other');
    await expect(c.create('orders', 1)).rejects.toMatchObject({ code: 36 });
    await expect(c.setPartitions('orders', 2)).rejects.toMatchObject({ code: 37 });
    await expect(c.create('zero', 0)).rejects.toMatchObject({ code: 37 });
    await expect(c.delete('missing')).rejects.toMatchObject({ code: 3 });
    await c.close();
    const again = await Catalog.open(dir);
    expect(again.list()).toEqual([{ name: 'orders', id: t.id, partitions: 5, configs: { 'retention.ms': '1000' } }]);
    expect(again.byId(t.id)?.name).toBe('orders');
    await again.close();
  });

  it('truncates a torn or corrupt tail and keeps the entries before it', async () => {
    const c = await Catalog.open(dir);
    await c.create('first', 1);
    await c.create('second', 2);
    await c.close();
    const file = path.join(dir, CATALOG_FILE);
    const good = fs.readFileSync(file);
    // a torn third frame, then a corrupt one
    fs.appendFileSync(file, Buffer.from([0, 0, 0, 50, 1, 2, 3, 4, 5]));
    const reopened = await Catalog.open(dir);
    expect(reopened.list().map((t) => t.name)).toEqual(['first', 'second']);
    await reopened.close();
    expect(fs.readFileSync(file).length).toBe(good.length);
    const corrupt = fs.readFileSync(file);
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 3) ^ 0xff, corrupt.length - 3); // inside the payload of 'second'
    fs.writeFileSync(file, corrupt);
    const third = await Catalog.open(dir);
    expect(third.list().map((t) => t.name)).toEqual(['first']);
    await third.close();
  });
});

describe('LogManager topics', () => {
  it('creates, grows and deletes topics with their partition directories', async () => {
    const logs = await LogManager.open(dir);
    const info = await logs.createTopic('events', 2, { 'segment.bytes': '4096' });
    expect(info.config.segmentBytes).toBe(4096);
    expect(fs.existsSync(path.join(dir, 'events-1', '00000000000000000000.log'))).toBe(true);
    await logs.partition('events', 1)!.append(namedBatch('e', 2));
    await logs.addPartitions('events', 4);
    expect(logs.partitions('events')).toHaveLength(4);
    expect(logs.partition('events', 3)!.highWatermark).toBe(0n);
    await expect(logs.createTopic('bad name', 1)).rejects.toMatchObject({ code: 17 });
    await expect(logs.createTopic('cfg', 1, { 'no.such.config': '1' })).rejects.toMatchObject({ code: 40 });
    await expect(logs.createTopic('cfg', 1, { 'retention.ms': 'soon' })).rejects.toMatchObject({ code: 40 });
    expect(logs.topic('cfg')).toBeUndefined();
    const p1 = logs.partition('events', 1)!;
    await logs.deleteTopic('events');
    expect(logs.partition('events', 0)).toBeUndefined();
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('events'))).toEqual([]);
    await expect(p1.append(namedBatch('late', 1))).rejects.toMatchObject({ code: 3 });
    await logs.createTopic('events', 1);
    expect(logs.partition('events', 0)!.highWatermark).toBe(0n);
    await logs.close();
    const again = await LogManager.open(dir);
    expect(again.topics().map((t) => [t.name, t.partitions])).toEqual([['events', 1]]);
    await again.close();
  });

  it('keeps data across a clean restart and writes the clean marker only on close', async () => {
    const logs = await LogManager.open(dir);
    await logs.createTopic('keep', 1);
    await logs.partition('keep', 0)!.append(namedBatch('k', 3));
    expect(fs.existsSync(path.join(dir, '.kafkaesque-clean-shutdown'))).toBe(false);
    await logs.close();
    expect(fs.existsSync(path.join(dir, '.kafkaesque-clean-shutdown'))).toBe(true);
    const again = await LogManager.open(dir);
    expect(fs.existsSync(path.join(dir, '.kafkaesque-clean-shutdown'))).toBe(false);
    expect(again.openedClean).toBe(true);
    expect((await readAll(again.partition('keep', 0)!, 0n)).map(([, v]) => v)).toEqual(['k-0', 'k-1', 'k-2']);
    await again.close();
  });
});
