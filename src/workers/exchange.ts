/**
 * Progress exchange between the worker threads of one process over a BroadcastChannel. One channel per run,
 * opened by every worker before any job starts (BroadcastChannel drops messages to channels not yet open),
 * multiplexed by exchange name; messages for a name no one asked for yet are kept until asked. With several
 * processes the main thread sits on the channel too and relays to and from the other processes
 * (exchange-relay.ts), so `index` and `peers` are global over every process's workers.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { Signal } from '../util/signal.js';
import type { ProgressExchange } from '../replay/progress-exchange.js';
import type { HubMessage } from './hub-messages.js';
import type { ExchangeMessage } from './mesh-frames.js';

export class ExchangeHub {
  private readonly channel: BroadcastChannel;
  private readonly queues = new Map<string, { items: (readonly [unknown, number])[]; signal: Signal }>();
  private open = 0;
  private closed = false;

  /** `index` and `peers` are global: worker index among, and count of, the workers of every process. */
  constructor(channelName: string, private readonly index: number, private readonly peers: number) {
    this.channel = new BroadcastChannel(channelName);
    this.channel.onmessage = (event) => {
      const message = (event as { data: HubMessage }).data;
      if (message.kind === 'progress') this.take(message);
      else if (message.kind === 'relayed') for (const m of message.messages) this.take(m);
    };
    this.channel.unref();
  }

  private take(message: ExchangeMessage): void {
    const queue = this.queue(message.name);
    for (const change of message.changes) queue.items.push(change);
    queue.signal.fire();
  }

  private queue(name: string) {
    let queue = this.queues.get(name);
    if (!queue) this.queues.set(name, (queue = { items: [], signal: new Signal() }));
    return queue;
  }

  exchange<T>(name: string): ProgressExchange<T> {
    const queue = this.queue(name);
    const hub = this;
    if (this.open++ === 0) this.channel.ref();
    let closed = false;
    return {
      index: this.index,
      peers: this.peers,
      send(changes) {
        if (hub.peers > 1 && changes.length > 0) {
          hub.channel.postMessage({ kind: 'progress', name, from: hub.index, changes: [...changes] } satisfies HubMessage);
        }
      },
      receive() {
        return queue.items.splice(0) as (readonly [T, number])[];
      },
      whenReady() {
        return queue.items.length > 0 ? Promise.resolve() : queue.signal.wait();
      },
      close() {
        if (closed) return;
        closed = true;
        if (--hub.open === 0) hub.channel.unref();
      },
    };
  }

  /** Says 'closed' last, so a relaying main thread knows this worker's progress has all been forwarded. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channel.postMessage({ kind: 'closed', from: this.index } satisfies HubMessage);
    this.channel.close();
  }
}
