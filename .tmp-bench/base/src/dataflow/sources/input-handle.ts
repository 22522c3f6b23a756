import { Observable, Subject } from 'rxjs';
import { describe, InputHandleError } from '../errors.js';
import { messages, progress, type Batch, type Event, type Stream } from '../event.js';
import { resolveOrder, type TimestampOptions } from '../progress-tracker.js';
import type { Timestamp } from '../timestamp.js';

/**
 * Feeds data into a dataflow by hand, like Timely's `InputHandle`: `send` batches at the current time,
 * `advanceTo` a later time (releasing the earlier ones), `close` to finish. The handle holds the current
 * time as its capability, so the stream's frontier is always exactly `{ time }` until it is closed.
 *
 * Events sent before anything subscribes to {@link stream} are kept and delivered to the first subscriber
 * (build the dataflow, then feed it, or feed it first: both work); after that the stream is hot, so share
 * it (`share()`) rather than subscribing twice.
 *
 * @example
 * ```ts
 * const input = new InputHandle<number, number>();
 * input.stream.pipe(countPerTime()).subscribe(console.log);
 * for (let epoch = 0; epoch < 3; epoch++) {
 *   input.send([epoch, epoch + 1]);
 *   input.advanceTo(epoch + 1);
 * }
 * input.close();
 * ```
 */
export class InputHandle<T = number, D = unknown> {
  readonly stream: Stream<T, D>;
  private readonly order: Timestamp<T>;
  private readonly subject = new Subject<Event<T, D>>();
  private backlog: Event<T, D>[] | undefined = [];
  private current: T;
  private isClosed = false;

  constructor(options?: TimestampOptions<T>) {
    this.order = resolveOrder(options).order;
    this.current = this.order.minimum;
    this.stream = new Observable<Event<T, D>>((subscriber) => {
      const backlog = this.backlog;
      this.backlog = undefined;
      if (backlog !== undefined) {
        for (const event of backlog) {
          if (subscriber.closed) return;
          subscriber.next(event);
        }
        if (this.isClosed) {
          subscriber.complete();
          return;
        }
      }
      return this.subject.subscribe(subscriber);
    });
  }

  /** The current time: where `send` puts data. */
  get time(): T {
    return this.current;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Sends a batch at the current time. The batch is passed on by reference: do not modify it afterwards. */
  send(batch: Batch<D>): void {
    this.ensureOpen('send');
    if (batch.length > 0) this.emit(messages(this.current, batch));
  }

  /** Moves to `time`, which must be `≥` the current time; the times before it are released. */
  advanceTo(time: T): void {
    this.ensureOpen('advanceTo');
    const order = this.order;
    if (!order.lessEqual(this.current, time)) {
      throw new InputHandleError(
        `cannot advance from ${describe(this.current)} to ${describe(time)}: time only moves forward`,
      );
    }
    if (order.key(time) === order.key(this.current)) return;
    const previous = this.current;
    this.current = time;
    this.emit(progress([[previous, -1], [time, 1]]));
  }

  /** Finishes the stream: releases the current time, leaving the frontier empty, and completes. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.emit(progress([[this.current, -1]]));
    if (this.backlog === undefined) this.subject.complete();
  }

  private emit(event: Event<T, D>): void {
    if (this.backlog !== undefined) this.backlog.push(event);
    else this.subject.next(event);
  }

  private ensureOpen(what: string): void {
    if (this.isClosed) throw new InputHandleError(`${what} after close(): the input is finished`);
  }
}
