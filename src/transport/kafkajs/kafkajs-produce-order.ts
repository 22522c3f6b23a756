/**
 * Keeps concurrent kafkajs sends in order, so a pusher can have several in flight.
 *
 * kafkajs lets concurrent `producer.send()` calls overtake each other before their requests reach the socket
 * (its target-topics lock and connection set-up resolve waiters a varying number of microtasks later), and a
 * captured stream must never be reordered. The order that counts is the order of the Produce requests on the
 * leader's connection: Kafka handles the requests of one connection in order. So each send starts only once
 * the previous send's Produce request was written to the socket; its round trip to the broker, and the
 * encoding of the next batch, still overlap. The socket comes from kafkajs's supported `socketFactory`
 * option; writes are watched for the Produce API key, nothing else changes.
 */
import net from 'node:net';
import tls from 'node:tls';

/** What kafkajs passes to a socket factory (kafkajs's ISocketFactoryArgs). */
export interface SocketFactoryArgs {
  host: string;
  port: number;
  ssl?: tls.ConnectionOptions | boolean | null;
  onConnect: () => void;
}

/** As kafkajs's default factory (kafkajs/src/network/socketFactory.js). */
const KEEP_ALIVE_DELAY_MS = 60_000;
const PRODUCE_API_KEY = 0;

export class ProduceOrder {
  private tail: Promise<void> = Promise.resolve();
  /** Releases the send waiting behind the one whose request is being written (one send is there at a time). */
  private releaseNext: (() => void) | undefined;

  /** A kafkajs `socketFactory` for the producer's own Kafka instance: its sockets report Produce writes. */
  readonly socketFactory = ({ host, port, ssl, onConnect }: SocketFactoryArgs): net.Socket => {
    const socket = ssl
      ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...(typeof ssl === 'object' ? ssl : {}) }, onConnect)
      : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    const write = socket.write;
    const onProduce = () => this.written();
    socket.write = function (this: net.Socket, chunk: unknown, ...rest: unknown[]): boolean {
      const result = (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
      // kafkajs writes each request as one buffer: int32 size, then the header's int16 API key.
      if (Buffer.isBuffer(chunk) && chunk.length >= 6 && chunk.readInt16BE(4) === PRODUCE_API_KEY) onProduce();
      return result;
    } as typeof socket.write;
    return socket;
  };

  /**
   * Calls `send` once every send started before it has written its Produce request, and returns its result.
   * `send` must write exactly one Produce request (one partition on one broker); if it fails before writing,
   * the next send starts anyway.
   */
  run<R>(send: () => Promise<R>): Promise<R> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    return previous.then(() => {
      this.releaseNext = release;
      let result: Promise<R>;
      try {
        result = send();
      } catch (error) {
        result = Promise.reject(error);
      }
      // A send that failed before writing must not hold up the ones behind it.
      result.then(() => this.written(release), () => this.written(release));
      return result;
    });
  }

  private written(which?: () => void): void {
    const release = this.releaseNext;
    if (release === undefined || (which !== undefined && which !== release)) return;
    this.releaseNext = undefined;
    release();
  }
}
