import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ProduceOrder } from '../../../src/transport/kafkajs/kafkajs-produce-order.js';

/** A request frame as kafkajs writes it: int32 size, int16 API key, int16 version, then anything. */
function request(apiKey: number, tag: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeInt32BE(8, 0);
  b.writeInt16BE(apiKey, 4);
  b.writeInt32BE(tag, 8);
  return b;
}

async function withServer<R>(fn: (port: number, received: () => Buffer) => Promise<R>): Promise<R> {
  const chunks: Buffer[] = [];
  const server = net.createServer((s) => s.on('data', (d: Buffer) => chunks.push(d)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn((server.address() as net.AddressInfo).port, () => Buffer.concat(chunks));
  } finally {
    server.close();
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ProduceOrder', () => {
  it('starts each send only after the previous one wrote its Produce request, whatever the sends await first', async () => {
    await withServer(async (port, received) => {
      const order = new ProduceOrder();
      const socket = order.socketFactory({ host: '127.0.0.1', port, onConnect: () => {} });
      await new Promise((resolve) => socket.once('connect', resolve));
      const started: number[] = [];
      // Send i waits (5 - i) turns before writing: without the gate, later sends would write first.
      const sends = [0, 1, 2, 3, 4].map((i) =>
        order.run(async () => {
          started.push(i);
          for (let t = 0; t < 5 - i; t++) await tick();
          socket.write(request(3, 100 + i)); // a Metadata request does not release the next send
          socket.write(request(0, i));
          return i;
        }),
      );
      await tick();
      expect(started).toEqual([0]);
      expect(await Promise.all(sends)).toEqual([0, 1, 2, 3, 4]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const bytes = received();
      const produced: number[] = [];
      for (let p = 0; p < bytes.length; p += 12) if (bytes.readInt16BE(p + 4) === 0) produced.push(bytes.readInt32BE(p + 8));
      expect(produced).toEqual([0, 1, 2, 3, 4]);
      socket.destroy();
    });
  });

  it('a send that fails before writing does not hold up the next', async () => {
    const order = new ProduceOrder();
    const first = order.run(() => Promise.reject(new Error('no connection')));
    const second = order.run(async () => 'sent');
    await expect(first).rejects.toThrow('no connection');
    await expect(second).resolves.toBe('sent');
    const third = order.run(() => {
      throw new Error('synchronous');
    });
    await expect(third).rejects.toThrow('synchronous');
    await expect(order.run(async () => 'after')).resolves.toBe('after');
  });
});
