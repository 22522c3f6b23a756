/**
 * The TCP side of the broker: accepts connections (up to maxConnections in all and maxConnectionsPerIp from
 * one address), hands each to a `Connection`, and closes gracefully: stop accepting, let in-flight requests
 * finish, then close the sockets. Memory shared by every connection (frame pool, read budget) lives here.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import { Connection } from './connection.js';
import { BufferPool } from './buffer-pool.js';
import { ReadMemory } from './read-memory.js';
import type { BrokerContext } from './context.js';
import type { Handler } from './handlers/handler.js';

export interface ServerOptions {
  host: string;
  port: number;
  maxConnections: number;
  logger: Logger;
  handlers: ReadonlyMap<number, Handler>;
  /** Names this listener in metrics (Kafka's listener names); PLAINTEXT by default. */
  listenerName?: string;
}

export class BrokerServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private broker: BrokerContext | null = null;
  private rejectedSinceLastLog = 0;
  /** Request frames of 16 KiB to 16 MiB; 64 MiB of free blocks kept at most. */
  private readonly framePool = new BufferPool({ minPooled: 16 * 1024, maxPooled: 16 * 1024 * 1024, maxFreeBytes: 64 * 1024 * 1024 });
  private readMemory: ReadMemory | null = null;
  /** Open connections per remote address (max.connections.per.ip). */
  private readonly perIp = new Map<string, number>();
  private closing = false;

  constructor(private readonly options: ServerOptions) {
    // Paused on connect: each Connection moves the socket onto reads into its own buffers (onread-socket.ts).
    this.server = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
    this.server.on('error', (err) => options.logger.error({ err }, 'server error'));
  }

  /** Binds; returns the address actually bound (port 0 picks a free one). */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        const addr = this.server.address() as net.AddressInfo;
        resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  /** Connections are served only once the broker state is ready; until then none are accepted. */
  attach(broker: BrokerContext): void {
    this.broker = broker;
    this.readMemory = new ReadMemory(broker.config.readMemoryBytes);
    broker.services.metrics?.watchReadMemory(this.readMemory);
    broker.services.metrics?.declareListener(this.listenerName);
  }

  private get listenerName(): string {
    return this.options.listenerName ?? 'PLAINTEXT';
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private accept(socket: net.Socket): void {
    const log = this.options.logger;
    if (this.closing || !this.broker || !this.readMemory) {
      socket.destroy();
      return;
    }
    const ip = socket.remoteAddress ?? '';
    const fromIp = this.perIp.get(ip) ?? 0;
    const perIpLimit = this.broker.config.maxConnectionsPerIp;
    if (this.connections.size >= this.options.maxConnections || fromIp >= perIpLimit) {
      // Log the first refusal in a burst with the peer, then count quietly until a connection succeeds.
      this.broker.services.metrics?.refused(fromIp >= perIpLimit ? 'max-connections-per-ip' : 'max-connections');
      if (this.rejectedSinceLastLog++ === 0) {
        const peer = `${socket.remoteAddress}:${socket.remotePort}`;
        if (fromIp >= perIpLimit) log.warn({ peer, limit: perIpLimit }, 'refusing connection: max connections from this address reached (--max-connections-per-ip)');
        else log.warn({ peer, limit: this.options.maxConnections }, 'refusing connection: max connections reached (--max-connections)');
      }
      socket.destroy();
      return;
    }
    if (this.rejectedSinceLastLog > 1) log.warn({ refused: this.rejectedSinceLastLog }, 'connections refused while at the limit');
    this.rejectedSinceLastLog = 0;
    const metrics = this.broker.services.metrics;
    metrics?.connectionOpened(this.listenerName);
    const conn = new Connection(socket, {
      broker: this.broker,
      handlers: this.options.handlers,
      logger: log,
      framePool: this.framePool,
      readMemory: this.readMemory,
      onClosed: (c) => {
        if (!this.connections.delete(c)) return;
        metrics?.connectionClosed(this.listenerName);
        const left = (this.perIp.get(ip) ?? 1) - 1;
        if (left > 0) this.perIp.set(ip, left);
        else this.perIp.delete(ip);
      },
    });
    this.connections.add(conn);
    this.perIp.set(ip, fromIp + 1);
  }

  /** Stops accepting, then shuts every connection down (in-flight requests get `graceMs` to finish). */
  async close(graceMs = 5000): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.shutdown(graceMs)));
    await closed;
  }
}
