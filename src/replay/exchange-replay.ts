/**
 * replayExchange: the reading side of a keyed exchange (capture/exchange.ts). Worker `index` of `peers` replays
 * partition p of every writer when p % peers == index, so each key reaches exactly one worker whatever the
 * number of streams. Each stream carries the whole input's progress, so with the workers' progress exchange the
 * frontier is the input's frontier on every worker; a worker without streams (peers > streams) still follows it.
 */
import type { Observable } from 'rxjs';
import type { Event } from '../dataflow/event.js';
import { checkExchangeCount, exchangeStreamsOf } from '../dataflow/key-partition.js';
import type { EventTransportReader } from '../transport/event-iterator.js';
import { streamTopic } from '../transport/transport.js';
import type { ProgressExchange } from './progress-exchange.js';
import { replay, type ReplayOptions } from './replay.js';

export interface ReplayExchangeOptions<T> extends Omit<ReplayOptions<T>, 'exchange'> {
  /** The exchange's name and partitions, as given to `exchange`. */
  topic: string;
  streams: number;
  /** How many writers wrote it (default 1). */
  writers?: number;
  /** This worker: index among peers (default 0 of 1), e.g. a WorkerContext. */
  worker?: { readonly index: number; readonly peers: number };
  /** Required when peers > 1: the workers' progress exchange, e.g. `ctx.exchange(topic)`. */
  progress?: ProgressExchange<T>;
}

/** The stream topics worker `index` of `peers` replays. */
export function exchangeTopicsOf(topic: string, streams: number, writers: number, index: number, peers: number): string[] {
  return exchangeStreamsOf(index, peers, writers, streams).map((i) => streamTopic(topic, i));
}

export function replayExchange<T, D>(transport: EventTransportReader, options: ReplayExchangeOptions<T>): Observable<Event<T, D>> {
  const writers = options.writers ?? 1;
  const { index, peers } = options.worker ?? { index: 0, peers: 1 };
  checkExchangeCount('streams', options.streams);
  checkExchangeCount('writers', writers);
  checkExchangeCount('peers', peers);
  if (peers > 1 && !options.progress) {
    throw new Error(`replayExchange of "${options.topic}" on ${peers} workers needs a progress exchange (progress: ctx.exchange(name)), or its frontier would be only this worker's`);
  }
  const { topic, streams, worker, progress, writers: _w, ...replayOptions } = options;
  void worker;
  void _w;
  const topics = exchangeTopicsOf(topic, streams, writers, index, peers);
  return replay(
    topics.map((t) => transport.iterator<T, D>(t)),
    { ...replayOptions, ...(progress ? { exchange: progress } : {}) },
  );
}
