/**
 * Transaction markers: the control batches the broker itself writes into every partition of a finished
 * transaction (Kafka's EndTransactionMarker). One record; key = int16 version 0 + int16 type (0 ABORT,
 * 1 COMMIT); value = int16 version 0 + int32 coordinator epoch. The batch has the transactional and control
 * attributes and the producer's id and epoch; consumers drop it and use it to end the transaction.
 */
import { ATTRIBUTE, BATCH_OFFSET } from '../../protocol/batch-header.js';
import { encodeRecordBatch } from '../../protocol/record-batch-encode.js';

export const CONTROL_TYPE = { abort: 0, commit: 1 } as const;
/** This broker is the only coordinator it has ever had. */
export const COORDINATOR_EPOCH = 0;

export function encodeMarker(producerId: bigint, producerEpoch: number, commit: boolean, now = Date.now()): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(commit ? CONTROL_TYPE.commit : CONTROL_TYPE.abort, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(COORDINATOR_EPOCH, 2);
  return encodeRecordBatch({
    transactional: true,
    control: true,
    producerId,
    producerEpoch,
    baseSequence: -1,
    baseTimestamp: now,
    records: [{ key, value, headers: [] }],
  });
}

/** Whether the batch at `pos` is a control batch (header only). */
export function isControlBatch(buf: Buffer, pos: number): boolean {
  return (buf.readInt16BE(pos + BATCH_OFFSET.attributes) & ATTRIBUTE.control) !== 0;
}
