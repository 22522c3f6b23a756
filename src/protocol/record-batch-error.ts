/**
 * The typed error for record batches that cannot be decoded or encoded. Corrupt input carries Kafka's
 * CORRUPT_MESSAGE code (what a broker answers for a batch that fails its checks); input that is well formed
 * but not acceptable (e.g. a decompression bomb, magic 0/1) carries the code that fits.
 */
import { ErrorCode, KafkaError } from './errors.js';

export type RecordBatchProblem =
  | 'truncated'
  | 'bad-length'
  | 'bad-magic'
  | 'bad-crc'
  | 'bad-count'
  | 'bad-record'
  | 'bad-compression'
  | 'too-large'
  | 'invalid-input';

export class RecordBatchError extends KafkaError {
  readonly problem: RecordBatchProblem;

  constructor(problem: RecordBatchProblem, detail: string, code: number = ErrorCode.CORRUPT_MESSAGE, cause?: unknown) {
    super(code, `record batch ${problem}: ${detail}`, cause === undefined ? undefined : { cause });
    this.name = 'RecordBatchError';
    this.problem = problem;
  }
}
