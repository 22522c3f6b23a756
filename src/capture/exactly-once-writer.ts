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
  /** The source's own position, read at each commit (see ResumableSource); undefined: not a restart point now. */
  token: (() => string | undefined) | undefined;
  /** False while the source is producing an event (a time-bound commit then waits for the next event). */
  idle = true;

  constructor(private readonly eos: ExactlyOncePusher<T, D>, options: CaptureOptions<T> = {}, from?: CapturePosition<T>) {
    super(eos, options, from);
    // The time bound passed: commit now if no event is half-produced, else after the next one.
    eos.onCommitDue = () => {
      if (this.idle && this.atRestartPoint()) this.commit();
    };
  }

  override write(event: Event<T, D>): void | Promise<void> {
    const pending = super.write(event);
    if (this.eos.commitDue && this.atRestartPoint()) this.commit();
    return pending;
  }

  /**
   * A source with a token can restart only where its token says: between two events of one fetched batch it
   * has none, and the due commit waits for the next event after which it has one.
   */
  private atRestartPoint(): boolean {
    return this.token === undefined || this.token() !== undefined;
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
    if (!this.atRestartPoint()) throw new Error(`capture into "${this.eos.name}": the source ended where it reports no restart point (its token() is undefined), so the end cannot be committed`);
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
