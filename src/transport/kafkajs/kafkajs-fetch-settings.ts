/**
 * How a kafkajs replay consumer fetches: sizes and wait, with defaults measured on the 5-stream round trip
 * (issue 17) and a check against the setting that stalls every fetch.
 *
 * Measured (2-core VM, replay-only): 2 MiB per partition with 4 MiB per request used less system CPU than
 * 8 / 16 MiB at the same throughput (smaller buffers for kafkajs to concatenate and for the broker to fill);
 * 32 / 64 MiB was slower (458–500 MB/s against 637–728). A `minBytes` at or above what one fetch can return
 * ran at 79 MB/s: a captured stream is one partition, so such a fetch can never be satisfied early and every
 * one of them waits the whole `maxWaitTimeInMs`.
 */

/** The fetch settings of a `KafkaJsTransport`'s consumers (kafkajs's consumer option names). */
export interface KafkaJsFetchOptions {
  /** Bytes per partition per fetch (kafkajs `maxBytesPerPartition`; default 2 MiB). */
  maxBytesPerPartition?: number;
  /** Bytes per fetch over all partitions (kafkajs `maxBytes`; default 4 MiB). */
  maxBytes?: number;
  /**
   * Bytes the broker waits for before it answers (kafkajs `minBytes`; default 1). Must stay below
   * `maxBytesPerPartition` and `maxBytes`: a captured stream has one partition, so a larger value is never
   * reached and every fetch would wait `maxWaitTimeInMs`.
   */
  minBytes?: number;
  /** How long the broker holds a fetch that has less than `minBytes` (kafkajs `maxWaitTimeInMs`; default 500). */
  maxWaitTimeInMs?: number;
}

export const DEFAULT_KAFKAJS_FETCH: Readonly<Required<KafkaJsFetchOptions>> = {
  maxBytesPerPartition: 2 << 20,
  maxBytes: 4 << 20,
  minBytes: 1,
  maxWaitTimeInMs: 500,
};

/** A `KafkaJsTransport` option that cannot work; the message says which and what to set instead. */
export class KafkaJsSettingsError extends Error {
  override readonly name = 'KafkaJsSettingsError';
  constructor(readonly option: keyof KafkaJsFetchOptions, message: string) {
    super(message);
  }
}

/** The consumer's fetch settings: `options` over the defaults, checked; throws KafkaJsSettingsError. */
export function kafkaJsFetchSettings(options: KafkaJsFetchOptions): Required<KafkaJsFetchOptions> {
  const settings: Required<KafkaJsFetchOptions> = {
    maxBytesPerPartition: options.maxBytesPerPartition ?? DEFAULT_KAFKAJS_FETCH.maxBytesPerPartition,
    maxBytes: options.maxBytes ?? DEFAULT_KAFKAJS_FETCH.maxBytes,
    minBytes: options.minBytes ?? DEFAULT_KAFKAJS_FETCH.minBytes,
    maxWaitTimeInMs: options.maxWaitTimeInMs ?? DEFAULT_KAFKAJS_FETCH.maxWaitTimeInMs,
  };
  for (const key of ['maxBytesPerPartition', 'maxBytes'] as const) {
    const value = settings[key];
    if (!Number.isInteger(value) || value < 1 || value > 0x7fffffff) {
      throw new KafkaJsSettingsError(key, `${key} must be a whole number of bytes from 1 to 2147483647, not ${value}`);
    }
  }
  if (!Number.isInteger(settings.minBytes) || settings.minBytes < 0) {
    throw new KafkaJsSettingsError('minBytes', `minBytes must be a whole number of bytes ≥ 0, not ${settings.minBytes}`);
  }
  if (!Number.isInteger(settings.maxWaitTimeInMs) || settings.maxWaitTimeInMs < 0) {
    throw new KafkaJsSettingsError('maxWaitTimeInMs', `maxWaitTimeInMs must be a whole number of milliseconds ≥ 0, not ${settings.maxWaitTimeInMs}`);
  }
  const reachable = Math.min(settings.maxBytesPerPartition, settings.maxBytes);
  if (settings.minBytes >= reachable) {
    const which = settings.maxBytesPerPartition <= settings.maxBytes ? `maxBytesPerPartition (${settings.maxBytesPerPartition})` : `maxBytes (${settings.maxBytes})`;
    throw new KafkaJsSettingsError(
      'minBytes',
      `minBytes (${settings.minBytes}) is at or above ${which}: a captured stream is one partition, so no fetch could ever ` +
        `reach it and every fetch would wait maxWaitTimeInMs (${settings.maxWaitTimeInMs} ms). Set minBytes below ${reachable} ` +
        `(default ${DEFAULT_KAFKAJS_FETCH.minBytes}), or raise ${which.split(' ')[0]}`,
    );
  }
  return settings;
}
