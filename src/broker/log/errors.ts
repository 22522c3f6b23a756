/**
 * Typed storage errors: a KafkaError (src/protocol/errors.ts) whose code a handler puts straight into its
 * response, narrowed to the codes the log and the catalog raise.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';

export type StorageErrorName =
  | 'OFFSET_OUT_OF_RANGE'
  | 'CORRUPT_MESSAGE'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'MESSAGE_TOO_LARGE'
  | 'INVALID_TOPIC_EXCEPTION'
  | 'RECORD_LIST_TOO_LARGE'
  | 'TOPIC_ALREADY_EXISTS'
  | 'INVALID_PARTITIONS'
  | 'INVALID_CONFIG'
  | 'UNSUPPORTED_FOR_MESSAGE_FORMAT'
  | 'KAFKA_STORAGE_ERROR'
  | 'INVALID_RECORD';

export class StorageError extends KafkaError {
  declare readonly errorName: StorageErrorName;

  /** `detail` says what happened and what to do; the code's generic meaning is appended by KafkaError. */
  constructor(errorName: StorageErrorName, detail: string, options?: { cause?: unknown }) {
    super(ErrorCode[errorName], detail, options);
    this.name = 'StorageError';
  }
}

export function isStorageError(e: unknown, name?: StorageErrorName): e is StorageError {
  return e instanceof StorageError && (name === undefined || e.errorName === name);
}
