/** What goes over a run's BroadcastChannel: workers' progress, and each worker's last word before it leaves. */
import type { ExchangeMessage } from './mesh-frames.js';

export type HubMessage =
  | ({ kind: 'progress' } & ExchangeMessage)
  /** Other processes' progress, relayed by the main thread as one message per received frame. */
  | { kind: 'relayed'; messages: ExchangeMessage[] }
  /** The worker closed its hub: every progress message it sent precedes this one (per-sender order). */
  | { kind: 'closed'; from: number };
