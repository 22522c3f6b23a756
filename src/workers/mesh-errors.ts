/** Errors of a run over several processes (`-n > 1`). */

/** The processes could not form their mesh: an address cannot be bound or reached, or a peer runs another configuration. */
export class MeshSetupError extends Error {
  override readonly name = 'MeshSetupError';
  constructor(
    message: string,
    /** The other process concerned, when there is one. */
    readonly peer?: number,
    readonly address?: string,
  ) {
    super(message);
  }
}

/** Another process of the run failed, was stopped, or disconnected (crash, kill -9) before its workers finished. */
export class PeerProcessError extends Error {
  override readonly name = 'PeerProcessError';
  constructor(readonly peer: number, readonly address: string, readonly reason: string) {
    super(`process ${peer} (${address}) ${reason}; this process stopped its workers too`);
  }
}
