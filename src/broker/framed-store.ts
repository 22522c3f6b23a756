/**
 * What the stores kept in a FramedLog share (the committed offsets, groups/offset-store.ts; the KIP-848
 * groups, groups/consumer-protocol/group-store.ts): state lives in memory, each change is queued as frames,
 * `written()` says when the last queued change reached the log, and compaction rewrites the log from the
 * live state. A subclass decides what its records are and when to compact.
 */
import type { FramedLog } from './framed-log.js';

export abstract class FramedStore {
  private lastWrite: Promise<void> = Promise.resolve();

  protected constructor(protected readonly log: FramedLog) {}

  /** The records that rebuild the live state, for a compaction. */
  protected abstract livePayloads(): Buffer[];

  /** Resolves once every change queued so far is written (rejects if the last write failed). */
  written(): Promise<void> {
    return this.lastWrite;
  }

  get sizeBytes(): number {
    return this.log.sizeBytes;
  }

  /** Rewrites the log with the live records only, after the writes queued so far. */
  compact(): Promise<void> {
    const done = this.log.rewrite(() => this.livePayloads());
    done.catch(() => undefined); // a failed compaction leaves the old, whole file; callers may await it
    return done;
  }

  /** fsyncs what was written (--fsync interval). */
  flush(): Promise<void> {
    const done = this.log.flush();
    done.catch(() => undefined);
    return done;
  }

  /** Writes what is queued, fsyncs and closes. */
  close(): Promise<void> {
    return this.log.close();
  }

  /**
   * Queues `payloads`; the promise may be ignored (a failure then only loses the durability of this change,
   * as before an fsync, and `written()` reports it).
   */
  protected write(payloads: Buffer | readonly Buffer[]): Promise<void> {
    const done = this.log.append(payloads);
    done.catch(() => undefined);
    this.lastWrite = done;
    return done;
  }
}
