/**
 * The main thread's seat on the run's BroadcastChannel when there are other processes: local workers' progress
 * goes out to every other process, and theirs is re-broadcast here to the local workers (BroadcastChannel never
 * echoes a message to its sender, so nothing loops). It also learns when every local worker has closed its hub,
 * i.e. when the last local progress message has been forwarded.
 */
import { BroadcastChannel } from 'node:worker_threads';
import type { HubMessage } from './hub-messages.js';
import type { ExchangeMessage } from './mesh-frames.js';

export class ExchangeRelay {
  private readonly channel: BroadcastChannel;
  private readonly closedWorkers = new Set<number>();
  private resolveAllClosed!: () => void;
  /** Resolves once every local worker closed its hub: nothing more of theirs is to be forwarded. */
  readonly allClosed = new Promise<void>((resolve) => (this.resolveAllClosed = resolve));

  constructor(channelName: string, private readonly localWorkers: number, forward: (message: ExchangeMessage) => void) {
    this.channel = new BroadcastChannel(channelName);
    this.channel.onmessage = (event) => {
      const message = (event as { data: HubMessage }).data;
      if (message.kind === 'closed') {
        this.closedWorkers.add(message.from);
        if (this.closedWorkers.size === this.localWorkers) this.resolveAllClosed();
        return;
      }
      if (message.kind !== 'progress') return; // 'relayed' is what this thread posts itself
      forward({ name: message.name, from: message.from, changes: message.changes });
    };
  }

  /** Hands another process's progress to the local workers, in one channel message. */
  deliver(messages: ExchangeMessage[]): void {
    this.channel.postMessage({ kind: 'relayed', messages } satisfies HubMessage);
  }

  close(): void {
    this.channel.close();
  }
}
