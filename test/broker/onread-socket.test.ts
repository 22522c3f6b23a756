import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { adoptWithOnread } from '../../src/broker/onread-socket.js';

/** A server whose accepted sockets are adopted; each echoes what it reads, from our own buffer. */
function echoServer(): Promise<{ server: net.Server; port: number; targets: Set<ArrayBufferLike>; adopted: net.Socket[] }> {
  const targets = new Set<ArrayBufferLike>();
  const adopted: net.Socket[] = [];
  const server = net.createServer({ pauseOnConnect: true }, (accepted) => {
    const buffer = Buffer.alloc(4096);
    targets.add(buffer.buffer);
    let socket: net.Socket | null = null;
    socket = adoptWithOnread(accepted, {
      buffer: () => buffer,
      callback: (n, target) => {
        expect(target.buffer).toBe(buffer.buffer);
        socket!.write(Buffer.from(target.subarray(0, n)));
        return true;
      },
    });
    if (!socket) throw new Error('adoption failed on this Node version');
    adopted.push(socket);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port, targets, adopted })));
}

describe('adoptWithOnread', () => {
  it('moves an accepted connection onto reads into our buffers; data, EOF and server.close() behave', async () => {
    const { server, port, adopted } = await echoServer();
    const client = net.connect(port, '127.0.0.1');
    const payload = Buffer.alloc(100_000, 42);
    const echoed: Buffer[] = [];
    let length = 0;
    await new Promise<void>((resolve) => {
      client.on('data', (d: Buffer) => {
        echoed.push(d);
        length += d.length;
        if (length === payload.length) resolve();
      });
      client.write(payload);
    });
    expect(Buffer.concat(echoed).equals(payload)).toBe(true);
    expect(adopted).toHaveLength(1);
    expect(adopted[0]!.remotePort).toBe(client.localPort);
    // The peer hangs up: the adopted socket sees EOF and closes, and the server's count drops to zero.
    const closed = new Promise<void>((resolve) => adopted[0]!.once('close', () => resolve()));
    client.end();
    await closed;
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  });

  it('lets destroy() close the connection and server.close() complete', async () => {
    const { server, port, adopted } = await echoServer();
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    while (adopted.length === 0) await new Promise((r) => setTimeout(r, 5));
    const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.on('error', () => {});
    adopted[0]!.destroy();
    await clientClosed;
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  });

  it('declines a socket that already started reading (the caller keeps it as it is)', async () => {
    let result: net.Socket | null | undefined;
    const server = net.createServer((accepted) => {
      accepted.on('data', () => {});
      result = adoptWithOnread(accepted, { buffer: () => Buffer.alloc(16), callback: () => true });
      accepted.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    client.on('error', () => {});
    await new Promise<void>((resolve) => client.once('close', () => resolve()));
    expect(result).toBeNull();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
