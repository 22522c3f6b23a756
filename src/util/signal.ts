/** A wake-up for readers waiting on new data (no timers, no polling). */
// One shared promise per wait, so repeated waits on an idle stream do not pile up.
export class Signal {
  private pending: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  wait(): Promise<void> {
    this.pending ??= new Promise((resolve) => (this.wake = resolve));
    return this.pending;
  }
  fire(): void {
    const wake = this.wake;
    this.pending = undefined;
    this.wake = undefined;
    wake?.();
  }
}
