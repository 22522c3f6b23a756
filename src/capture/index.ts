/** Capture: write progress-carrying streams into a log. */
export { capture, captureFrom, CaptureWriter } from './capture.js';
export type { CaptureOptions, CaptureResult, ResumableSource, ResumePosition } from './capture.js';
export { ExactlyOnceCaptureWriter } from './exactly-once-writer.js';
export { exchange, exchangeInto, exchangeTopics, splitByKey } from './exchange.js';
export type { ExchangeOptions, ExchangeResult } from './exchange.js';
