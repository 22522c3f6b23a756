/**
 * capture and captureFrom: the operator and the iterable form over the capture state machine
 * (capture-writer.ts), at-least-once or exactly-once (exactly-once-writer.ts).
 */
import { Observable, isObservable, type OperatorFunction } from 'rxjs';
import type { Event } from '../dataflow/event.js';
import { CommittedPrefixError, isExactlyOnce, type EventPusher } from '../transport/event-pusher.js';
import { CaptureWriter, type CaptureOptions, type CaptureResult, type ResumableSource } from './capture-writer.js';
import { ExactlyOnceCaptureWriter } from './exactly-once-writer.js';

export { CaptureWriter } from './capture-writer.js';
export type { CaptureOptions, CaptureResult, ResumableSource, ResumePosition } from './capture-writer.js';

/** The writer for `pusher`: exactly-once when asked or when the pusher is a transactional one. */
function writerFor<T, D>(pusher: EventPusher<T, D>, options: CaptureOptions<T>, resumable: boolean): CaptureWriter<T, D> {
  if (!isExactlyOnce(pusher)) {
    if (options.exactlyOnce || options.resume) {
      throw new Error(`capture into "${pusher.name}" was asked to be exactly-once${options.resume ? ' and to resume' : ''}, but its pusher is not transactional: open it with transport.pusher(topic, { exactlyOnce: true${options.resume ? ', resume: true' : ''} })`);
    }
    return new CaptureWriter(pusher, options);
  }
  const committed = pusher.committed;
  if (committed && committed.events > 0) {
    if (!options.resume) throw new CommittedPrefixError(pusher.name, committed.events);
    if (!resumable) {
      throw new Error(`capture into "${pusher.name}": the stream has a committed prefix of ${committed.events} source event(s), and resuming needs a resumable source, (position) => AsyncIterable<Event>, that restarts there`);
    }
  }
  return new ExactlyOnceCaptureWriter(pusher, options, options.resume ? committed : undefined);
}

/**
 * The capture operator: subscribes to the stream, writes its events, and emits one CaptureResult once the
 * source completed and every event is acknowledged (exactly-once: committed). Errors (source, protocol,
 * delivery, fencing) error the output. RxJS cannot slow an Observable down, so events wait in the pusher's
 * buffer; use `captureFrom` with an (async) iterable for backpressure on large inputs.
 *
 * An event's batch may be reused as soon as the event was handed on: every transport's `push` copies the
 * batch before it returns (into the record batch being built, or, in memory, a copy of the array), so a
 * source can refill one typed array per stream instead of allocating one per batch. With `captureFrom` and
 * an iterable this is the fast idiom (examples/capture_send.ts): the next event is pulled only after the
 * previous push returned. A fresh array for every few batches cost capture ~15% of its CPU in garbage
 * collection and zero-filling (issue 17).
 */
export function capture<T, D>(pusher: EventPusher<T, D>, options: CaptureOptions<T> = {}): OperatorFunction<Event<T, D>, CaptureResult> {
  return (source) =>
    new Observable<CaptureResult>((subscriber) => {
      let writer: CaptureWriter<T, D>;
      try {
        writer = writerFor(pusher, options, false);
      } catch (error) {
        subscriber.error(error);
        return undefined;
      }
      const fail = (error: unknown): void => {
        subscriber.error(error);
        writer.fail(options.closePusher !== false).catch(() => {}); // already failing; the first error wins
      };
      const subscription = source.subscribe({
        next: (event) => {
          try {
            const pending = writer.write(event);
            if (pending) pending.catch(fail);
          } catch (error) {
            fail(error);
          }
        },
        error: fail,
        complete: () => {
          writer.finish(options.closePusher !== false).then((result) => {
            subscriber.next(result);
            subscriber.complete();
          }, fail);
        },
      });
      return () => subscription.unsubscribe();
    });
}

/**
 * Captures an Observable, or an (async) iterable of events with backpressure (the next event is pulled only
 * when the pusher has room), or a resumable source `(position) => AsyncIterable<Event>` (exactly-once with
 * `resume`: it restarts at the committed position). Resolves once every event is acknowledged (committed).
 * The next event is pulled only after the previous one was pushed (and copied): an iterable may refill
 * and yield the same typed array again (see `capture`).
 */
export async function captureFrom<T, D>(
  source: Observable<Event<T, D>> | Iterable<Event<T, D>> | AsyncIterable<Event<T, D>> | ResumableSource<T, D>,
  pusher: EventPusher<T, D>,
  options: CaptureOptions<T> = {},
): Promise<CaptureResult> {
  if (isObservable(source)) {
    return new Promise((resolve, reject) => {
      let result: CaptureResult | undefined;
      source.pipe(capture(pusher, options)).subscribe({
        next: (r) => (result = r),
        error: reject,
        complete: () => resolve(result as CaptureResult),
      });
    });
  }
  const resumable = typeof source === 'function';
  let writer: CaptureWriter<T, D>;
  try {
    writer = writerFor(pusher, options, resumable);
  } catch (error) {
    if (options.closePusher !== false) await pusher.close().catch(() => {});
    throw error;
  }
  const eos = writer instanceof ExactlyOnceCaptureWriter ? writer : undefined;
  let tokenWhileWaiting = false;
  try {
    let iterable: Iterable<Event<T, D>> | AsyncIterable<Event<T, D>>;
    if (resumable) {
      const committed = eos && options.resume ? (pusher as { committed?: { events: number; token?: string } }).committed : undefined;
      const made = source({ events: committed?.events ?? 0, ...(committed?.token !== undefined ? { token: committed.token } : {}) });
      if (eos && typeof made.token === 'function') eos.token = () => (made.token as () => string | undefined).call(made);
      if (eos && made.tokenWhileWaiting === true) tokenWhileWaiting = true;
      iterable = made;
    } else iterable = source;
    if (!eos) {
      for await (const event of iterable as AsyncIterable<Event<T, D>>) {
        const pending = writer.write(event);
        if (pending) await pending;
      }
    } else {
      // A time-bound commit may run while the source is idle only if the source keeps no token of its own, or
      // its token keeps describing the last event pulled while it waits.
      const hasToken = eos.token !== undefined && !tokenWhileWaiting;
      const iterator = (Symbol.asyncIterator in iterable ? iterable[Symbol.asyncIterator]() : (iterable as Iterable<Event<T, D>>)[Symbol.iterator]()) as AsyncIterator<Event<T, D>> | Iterator<Event<T, D>>;
      for (;;) {
        eos.idle = !hasToken;
        const next = await iterator.next();
        eos.idle = false;
        if (next.done) break;
        const pending = eos.write(next.value);
        if (pending) {
          eos.idle = true; // the source is suspended after its last event: its token describes the committed end
          await pending;
        }
      }
    }
  } catch (error) {
    await writer.fail(options.closePusher !== false);
    throw error;
  }
  return writer.finish(options.closePusher !== false);
}
