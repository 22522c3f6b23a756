/** What goes over a run's BroadcastChannel: workers' progress, and each worker's last word before it leaves. */
import type { ExchangeMessage } from './mesh-frames.js';

export type HubMessage =
  | ({ kind: 'progress' } & ExchangeMessage)
  /** The worker closed its hub: every progress message it sent precedes this one (per-sender order). */
  | { kind: 'closed'; from: number };
