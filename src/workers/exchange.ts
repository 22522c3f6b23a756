/**
 * Progress exchange between worker threads of one process over a BroadcastChannel. One channel per run,
 * opened by every worker before any job starts (BroadcastChannel drops messages to channels not yet open),
 * multiplexed by exchange name; messages for a name no one asked for yet are kept until asked.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { Signal } from '../capture/signal.js';
import type { ProgressExchange } from '../replay/progress-exchange.js';

interface ExchangeMessage {
  name: string;
  from: number;
  changes: (readonly [unknown, number])[];
}

export class ExchangeHub {
  private readonly channel: BroadcastChannel;
  private readonly queues = new Map<string, { items: (readonly [unknown, number])[]; signal: Signal }>();
  private open = 0;

  constructor(channelName: string, private readonly index: number, private readonly peers: number) {
    this.channel = new BroadcastChannel(channelName);
    this.channel.onmessage = (event) => {
      const message = (event as { data: ExchangeMessage }).data;
      const queue = this.queue(message.name);
      for (const change of message.changes) queue.items.push(change);
      queue.signal.fire();
    };
    this.channel.unref();
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
        if (hub.peers > 1 && changes.length > 0) hub.channel.postMessage({ name, from: hub.index, changes: [...changes] } satisfies ExchangeMessage);
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

  close(): void {
    this.channel.close();
  }
}
