/**
 * The kafkajs speed-ups (native CRC32C, Encoder growth without zero-fill), applied when the first
 * KafkaJsTransport that wants them is created — importing kafkaesque patches nothing. Each is installed at most
 * once per process, into the kafkajs this package resolves, and only if its guard passes.
 */
import { installNativeCrc32C, nativeCrc32CStatus } from './kafkajs-native-crc.js';
import { encoderGrowthStatus, installEncoderGrowth } from './kafkajs-encoder-growth.js';

/** Which kafkajs patches are installed (`KafkaJsTransport.kafkaJsPatches`). */
export interface KafkaJsPatches {
  /** kafkajs checksums the record batches it produces with @node-rs/crc32 instead of JavaScript. */
  readonly nativeCrc32c: boolean;
  /** kafkajs's Encoder grows its buffers with allocUnsafe (same bytes, no zero-fill). */
  readonly encoderGrowth: boolean;
}

export interface KafkaJsPatchReport extends KafkaJsPatches {
  /** Why a patch is not installed. */
  readonly reasons: { readonly nativeCrc32c?: string; readonly encoderGrowth?: string };
}

function report(crc: { installed: boolean; reason?: string }, growth: { installed: boolean; reason?: string }): KafkaJsPatchReport {
  const reasons: { nativeCrc32c?: string; encoderGrowth?: string } = {};
  if (!crc.installed && crc.reason) reasons.nativeCrc32c = crc.reason;
  if (!growth.installed && growth.reason) reasons.encoderGrowth = growth.reason;
  return { nativeCrc32c: crc.installed, encoderGrowth: growth.installed, reasons };
}

/** Installs both patches (each once per process) and says which are in place. */
export function applyKafkaJsPatches(): KafkaJsPatchReport {
  return report(installNativeCrc32C(), installEncoderGrowth());
}

/** Which patches are in place, installing nothing (for a transport created with `patchKafkaJs: false`). */
export function currentKafkaJsPatches(): KafkaJsPatchReport {
  return report(nativeCrc32CStatus(), encoderGrowthStatus());
}
