/**
 * How replaying workers share progress, so every worker's output frontier is the global one (reference §3.6:
 * the frontier passes `t` only once every stream on every worker released it — the PR #84 regression).
 * Each worker broadcasts the capability changes of its own streams; every worker sums all of them.
 */
export interface ProgressExchange<T> {
  /** This worker's index and the number of workers that take part. */
  readonly index: number;
  readonly peers: number;
  /** Sends this worker's changes to every other worker. */
  send(changes: readonly (readonly [T, number])[]): void;
  /** Takes the changes received from other workers since the last call. */
  receive(): (readonly [T, number])[];
  /** Resolves when changes arrived. */
  whenReady(): Promise<void>;
  close(): void;
}
