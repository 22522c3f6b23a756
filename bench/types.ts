/** One measured figure of a benchmark, shown beside this machine's own limit where one applies. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** The machine's limit for the same kind of work, measured in the same run (e.g. loopback TCP MB/s). */
  limit?: number;
  /** Which limit `limit` is (e.g. "cold 5-file append"), printed beside the ratio. */
  limitName?: string;
  /** CPU-seconds the measured work took, where the benchmark counts them. */
  cpuSeconds?: number;
  note?: string;
}
