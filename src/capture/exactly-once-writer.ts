/**
 * The capture state machine of an exactly-once capture: after each input event it asks the pusher whether
 * a commit is due (bytes or time) and, if so, commits everything pushed so far with the capture's position
 * (source events consumed, the source's token, the capabilities held). Commits are taken between input
 * events only, so a committed prefix ends where the source can restart, and it includes every progress
 * event sent: a committed prefix is a valid stream prefix. Sending goes on during a commit; later events
 * join the next transaction.
 */
import type { Event } from '../dataflow/event.js';
import type { CapturePosition, ExactlyOncePusher } from '../transport/event-pusher.js';
import { CaptureWriter, type CaptureOptions } from './capture-writer.js';

export class ExactlyOnceCaptureWriter<T, D> extends CaptureWriter<T, D> {
  /** The last commit started; finish waits for it (a failed one also fails the pusher). */
  private lastCommit: Promise<void> = Promise.resolve();
  /** The source's own position, read at each commit (see ResumableSource). */
  token: (() => string) | undefined;
  /** False while the source is producing an event (a time-bound commit then waits for the next event). */
  idle = true;

  constructor(private readonly eos: ExactlyOncePusher<T, D>, options: CaptureOptions<T> = {}, from?: CapturePosition<T>) {
    super(eos, options, from);
    // The time bound passed: commit now if no event is half-produced, else after the next one.
    eos.onCommitDue = () => {
      if (this.idle) this.commit();
    };
  }

  override write(event: Event<T, D>): void | Promise<void> {
    const pending = super.write(event);
    if (this.eos.commitDue) this.commit();
    return pending;
  }

  position(): CapturePosition<T> {
    const token = this.token?.();
    return { events: this.index, ...(token !== undefined ? { token } : {}), counts: [...this.counts.entries()] };
  }

  private commit(): void {
    const committing = this.eos.commit(this.position());
    committing.catch(() => {}); // the pusher fails with the same error: the next push or the finish reports it
    this.lastCommit = committing;
  }

  protected override async beforeClose(): Promise<void> {
    this.eos.onCommitDue = undefined;
    await this.lastCommit;
    await this.eos.commit(this.position());
  }

  override async fail(): Promise<void> {
    this.eos.onCommitDue = undefined;
    // Commits already asked for describe events the source produced before it failed: they stand.
    await this.lastCommit.catch(() => {});
    await this.eos.abort().catch(() => {});
  }
}
