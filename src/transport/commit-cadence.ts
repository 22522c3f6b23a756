/**
 * When an exactly-once pusher's pending events are due for a commit: after `commitBytes` of events, or
 * `commitIntervalMs` after the first event since the last commit (one timer per transaction, never a poll).
 */
export class CommitCadence {
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private timeDue = false;
  /** Called when the time bound passes (capture commits then if it can). */
  onDue: (() => void) | undefined;

  constructor(private readonly commitBytes: number, private readonly commitIntervalMs: number) {}

  /** Counts bytes of events that went into the open transaction. */
  add(bytes: number): void {
    this.bytes += bytes;
  }

  /** Whether a commit is due, with `pending` more bytes not counted yet; arms the time bound on first call. */
  due(pending = 0): boolean {
    if (this.timer === undefined && !this.timeDue) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.timeDue = true;
        this.onDue?.();
      }, this.commitIntervalMs);
      this.timer.unref();
    }
    return this.timeDue || this.bytes + pending >= this.commitBytes;
  }

  /** A commit point was taken: start counting again (`carried` bytes already belong to the next round). */
  reset(carried = 0): void {
    this.stop();
    this.timeDue = false;
    this.bytes = carried;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
