/** Capture: write progress-carrying streams into a log. */
export { capture, captureFrom, CaptureWriter } from './capture.js';
export type { CaptureOptions, CaptureResult } from './capture.js';
