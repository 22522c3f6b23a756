/**
 * Shared by the replayed-views tests (embedded and wire view retention, borrowed events): topics of numbered
 * events, where event k holds k * LENGTH + i at position i, as typed arrays (replayed as views of the read
 * buffer) or plain arrays (decoded with no reference to it); and a link port that counts the read blocks a
 * transport hands back to the broker.
 */
import type { MessagePort } from 'node:worker_threads';
import { inProcessLink } from '../../src/broker/in-process-link.js';
import type { RunningBroker } from '../../src/broker/index.js';
import { messages, progress, type Event } from '../../src/dataflow/event.js';

/** Numbers per event: 4 KiB a typed batch, so a 64 KiB read holds about 15 events. */
export const LENGTH = 512;

/** Event k holds k * LENGTH + i at position i. */
export function expected(k: number, i: number): number {
  return k * LENGTH + i;
}

export function holdsItsNumbers(k: number, data: ArrayLike<number>): boolean {
  if (data.length !== LENGTH) return false;
  for (let i = 0; i < LENGTH; i++) if (data[i] !== expected(k, i)) return false;
  return true;
}

/** `count` numbered events, event k a typed array when `typed(k)`, else a plain array; then the final progress. */
export function numberedEvents(count: number, typed: (k: number) => boolean): Event<number, number>[] {
  const events: Event<number, number>[] = [];
  for (let k = 0; k < count; k++) {
    const numbers = Array.from({ length: LENGTH }, (_, i) => expected(k, i));
    events.push(messages(0, typed(k) ? Float64Array.from(numbers) : numbers));
  }
  events.push(progress([[0, -1]]));
  return events;
}

/** A port to the broker's link that counts the read blocks the transport hands back. */
export function countingPort(broker: RunningBroker): { port: MessagePort; recycled: () => number } {
  const port = inProcessLink(broker).port();
  let recycled = 0;
  const post = port.postMessage.bind(port);
  port.postMessage = ((message: { op?: string }, transfer?: readonly ArrayBuffer[]) => {
    if (message.op === 'recycle') recycled++;
    post(message, transfer as ArrayBuffer[]);
  }) as typeof port.postMessage;
  return { port, recycled: () => recycled };
}
