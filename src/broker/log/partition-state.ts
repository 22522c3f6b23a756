/**
 * The small per-partition checkpoint: the recovery point (everything below it is known to be on disk, so
 * recovery starts there) and the log start offset (advanced by DeleteRecords and retention). Kafka keeps
 * these in `recovery-point-offset-checkpoint` and `log-start-offset-checkpoint`; one file per partition
 * here, so deleting a partition directory takes its state along.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { PARTITION_STATE_FILE } from './file-names.js';

export interface PartitionState {
  recoveryPoint: bigint;
  logStartOffset: bigint;
}

export async function readPartitionState(dir: string): Promise<PartitionState> {
  try {
    const json = JSON.parse(await fs.readFile(path.join(dir, PARTITION_STATE_FILE), 'utf8')) as Record<string, unknown>;
    return { recoveryPoint: toOffset(json.recoveryPoint), logStartOffset: toOffset(json.logStartOffset) };
  } catch {
    // Missing or unreadable: recover everything from offset 0 (slow but safe).
    return { recoveryPoint: 0n, logStartOffset: 0n };
  }
}

export async function writePartitionState(dir: string, state: PartitionState): Promise<void> {
  const json = JSON.stringify({ recoveryPoint: state.recoveryPoint.toString(), logStartOffset: state.logStartOffset.toString() });
  await writeFileAtomic(path.join(dir, PARTITION_STATE_FILE), json);
}

function toOffset(v: unknown): bigint {
  return typeof v === 'string' && /^\d+$/.test(v) ? BigInt(v) : 0n;
}
