/** Replay: merge captured streams back into one progress-carrying stream. */
export { replay, MissingStreamError } from './replay.js';
export type { ReplayOptions } from './replay.js';
export type { ProgressExchange } from './progress-exchange.js';
export { StallWatch, DEFAULT_STALL_AFTER_MS } from './stall-watch.js';
export type { StallReport, StalledStream, StallKind, StallOptions } from './stall-watch.js';
export { replayExchange, exchangeTopicsOf } from './exchange-replay.js';
export type { ReplayExchangeOptions } from './exchange-replay.js';
