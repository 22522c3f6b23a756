/**
 * The TCP side of the broker: one server per listener (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL), accepts
 * connections (up to maxConnections in all and maxConnectionsPerIp from one address, whatever the listener),
 * hands each to a `Connection`, and closes gracefully: stop accepting, let in-flight requests finish, then
 * close the sockets. Memory shared by every connection (frame pool, read budget) lives here. TLS listeners
 * wrap the accepted socket and count it from accept on, so half-open handshakes are bounded by the same limits.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import { Connection } from './connection.js';
import { BufferPool } from './buffer-pool.js';
import { ReadMemory } from './read-memory.js';
import type { BrokerContext } from './context.js';
import type { Handler } from './handlers/handler.js';
import type { ConnectionAuth } from './security/connection-auth.js';
import { usesSasl, usesTls, type ListenerSpec } from './security/listeners.js';
import { ANONYMOUS, type TlsAcceptor } from './security/tls.js';
import { SaslSession, type SaslMechanism } from './security/sasl-session.js';
import type { ScramStore } from './security/scram-store.js';

export interface ServerOptions {
  listeners: readonly ListenerSpec[];
  /** Required when a listener uses TLS. */
  tls?: TlsAcceptor | null;
  /** Required when a listener uses SASL. */
  sasl?: { mechanisms: readonly SaslMechanism[]; store: ScramStore } | null;
  maxConnections: number;
  logger: Logger;
  handlers: ReadonlyMap<number, Handler>;
}

export interface BoundListener extends ListenerSpec {
  /** The port actually bound (port 0 picks one). */
  readonly port: number;
}

interface Listening {
  readonly spec: ListenerSpec;
  readonly server: net.Server;
  /** The broker context this listener's requests see (its advertised address); set by attach. */
  broker: BrokerContext | null;
  /** Shared by every PLAINTEXT connection of the listener. */
  readonly plainAuth: ConnectionAuth;
}

export class BrokerServer {
  private readonly listening: Listening[];
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
    this.listening = options.listeners.map((spec) => {
      if (usesTls(spec.protocol) && !options.tls) throw new Error(`${spec.protocol} listener needs TLS certificates`);
      if (usesSasl(spec.protocol) && !options.sasl) throw new Error(`${spec.protocol} listener needs SASL settings`);
      // Paused on connect: each plain Connection moves the socket onto reads into its own buffers (onread-socket.ts).
      const server = net.createServer({ noDelay: true, pauseOnConnect: true });
      const l: Listening = { spec, server, broker: null, plainAuth: Object.freeze({ listenerName: spec.protocol, principal: ANONYMOUS, sasl: null, plainTcp: true }) };
      server.on('connection', (socket: net.Socket) => this.accept(socket, l));
      server.on('error', (err) => options.logger.error({ err, listener: spec.protocol }, 'server error'));
      return l;
    });
  }

  /** Binds every listener; returns the addresses actually bound (port 0 picks a free one), in listener order. */
  async listen(): Promise<BoundListener[]> {
    const bound: BoundListener[] = [];
    try {
      for (const l of this.listening) {
        await new Promise<void>((resolve, reject) => {
          const onError = (err: Error): void => reject(err);
          l.server.once('error', onError);
          l.server.listen(l.spec.port, l.spec.host, () => {
            l.server.off('error', onError);
            const addr = l.server.address() as net.AddressInfo;
            bound.push({ protocol: l.spec.protocol, host: addr.address, port: addr.port });
            resolve();
          });
        });
      }
    } catch (err) {
      await Promise.all(this.listening.filter((l) => l.server.listening).map((l) => new Promise((r) => l.server.close(r))));
      throw err;
    }
    return bound;
  }

  /**
   * Connections are served only once the broker state is ready; until then none are accepted. `perListener`
   * gives the context a listener's requests see (its advertised address), by listener name.
   */
  attach(broker: BrokerContext, perListener: ReadonlyMap<string, BrokerContext> = new Map()): void {
    this.broker = broker;
    for (const l of this.listening) l.broker = perListener.get(l.spec.protocol) ?? broker;
    this.readMemory = new ReadMemory(broker.config.readMemoryBytes);
    broker.services.metrics?.watchReadMemory(this.readMemory);
    for (const l of this.listening) broker.services.metrics?.declareListener(l.spec.protocol);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private accept(accepted: net.Socket, listener: Listening): void {
    const log = this.options.logger;
    const broker = listener.broker;
    if (this.closing || !broker || !this.readMemory) {
      accepted.destroy();
      return;
    }
    let socket: net.Socket = accepted;
    const ip = socket.remoteAddress ?? '';
    const fromIp = this.perIp.get(ip) ?? 0;
    const perIpLimit = broker.config.maxConnectionsPerIp;
    if (this.connections.size >= this.options.maxConnections || fromIp >= perIpLimit) {
      // Log the first refusal in a burst with the peer, then count quietly until a connection succeeds.
      broker.services.metrics?.refused(fromIp >= perIpLimit ? 'max-connections-per-ip' : 'max-connections');
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
    const protocol = listener.spec.protocol;
    let auth = listener.plainAuth;
    if (protocol !== 'PLAINTEXT') {
      const sasl = usesSasl(protocol) ? new SaslSession(this.options.sasl!.mechanisms, this.options.sasl!.store) : null;
      const owned: ConnectionAuth = { listenerName: protocol, principal: ANONYMOUS, sasl, plainTcp: !usesTls(protocol) };
      auth = owned;
      if (usesTls(protocol)) {
        socket = this.options.tls!.wrap(accepted, (principal) => {
          if (sasl === null) owned.principal = principal; // with SASL_SSL the SASL user is the principal, as in Kafka
        });
      }
    }
    const metrics = broker.services.metrics;
    metrics?.connectionOpened(protocol);
    const conn = new Connection(socket, {
      broker,
      auth,
      handlers: this.options.handlers,
      logger: log,
      framePool: this.framePool,
      readMemory: this.readMemory,
      onClosed: (c) => {
        if (!this.connections.delete(c)) return;
        metrics?.connectionClosed(protocol);
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
    const closed = Promise.all(this.listening.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve()))));
    await Promise.all([...this.connections].map((c) => c.shutdown(graceMs)));
    await closed;
  }
}
