/**
 * The main thread's part in a run over several processes (`-n > 1`):
 * - barrier: the workers start only when every local worker is ready (its BroadcastChannel is open) and every
 *   other process said so too, so no progress message can reach a channel that is not open yet;
 * - relay: progress between the local BroadcastChannel and the other processes (exchange-relay.ts);
 * - end: once the local workers are done and their last progress is forwarded, 'done' goes to every process,
 *   and the connections close when every process said 'done'. A process that fails tells the others ('failed'),
 *   and one that vanishes (crash, kill -9) is noticed by its socket closing: either fails the run here.
 */
import { ExchangeRelay } from './exchange-relay.js';
import { PeerProcessError } from './mesh-errors.js';
import type { ExchangeMessage, MeshFrame } from './mesh-frames.js';
import { ProcessMesh, type MeshTlsOptions } from './process-mesh.js';
import { MeshFrontiers, MeshStallWatch, type ExchangeFrontier, type MeshStallReport } from './mesh-frontiers.js';

export interface CoordinatorOptions {
  hosts: readonly string[];
  process: number;
  processes: number;
  workers: number;
  /** The run's BroadcastChannel. */
  channel: string;
  connectTimeoutMs: number;
  peerTimeoutMs?: number;
  maxFrameBytes?: number;
  handshakeTimeoutMs?: number | undefined;
  secret?: Buffer;
  tls?: MeshTlsOptions;
  /** Track every process's frontier (mesh-frontiers.ts); off unless one of the two below is given. */
  onStall?: ((report: MeshStallReport) => void) | undefined;
  stallAfterMs?: number | undefined;
  /** Receives a function that returns every process's frontier per exchange, now. */
  frontiers?: ((read: () => ExchangeFrontier[]) => void) | undefined;
}

export interface CoordinatorCallbacks {
  /** Every process is ready: start the local workers. */
  start(): void;
  /** The run cannot go on (mesh setup failed, another process failed or vanished): stop the local workers. */
  fail(error: Error): void;
}

export class ProcessCoordinator {
  private mesh: ProcessMesh | undefined;
  private readonly relay: ExchangeRelay;
  private readonly frontiers: MeshFrontiers | undefined;
  private readonly stallWatch: MeshStallWatch | undefined;
  private readonly setup = new AbortController();
  private readonly readyPeers = new Set<number>();
  private readonly finishedPeers = new Set<number>();
  private outgoing: ExchangeMessage[] = [];
  private localReady = false;
  private sentReady = false;
  private started = false;
  /** Local workers all finished well: later trouble elsewhere cannot change this process's results. */
  private localDone = false;
  private failed = false;
  private closed = false;
  private resolveFinished!: () => void;
  private readonly allFinished = new Promise<void>((resolve) => (this.resolveFinished = resolve));

  constructor(private readonly options: CoordinatorOptions, private readonly callbacks: CoordinatorCallbacks) {
    if (options.onStall || options.frontiers) {
      const frontiers = new MeshFrontiers(options.hosts, options.workers, options.processes);
      this.frontiers = frontiers;
      if (options.onStall) this.stallWatch = new MeshStallWatch(frontiers, options.stallAfterMs ?? 10_000, options.onStall);
      options.frontiers?.(() => frontiers.snapshot());
    }
    // Joined before any worker can start, so the first progress message already has a relay.
    this.relay = new ExchangeRelay(options.channel, options.workers, (message) => this.queueProgress(message));
    ProcessMesh.connect(
      { ...options, signal: this.setup.signal },
      { frame: (from, frame) => this.onFrame(from, frame), lost: (error) => this.onPeerGone(error.peer, error) },
    ).then(
      (mesh) => {
        this.mesh = mesh;
        if (this.closed) mesh.close();
        else this.maybeStart();
      },
      (error: Error) => {
        if (!this.failed) this.callbacks.fail(error);
      },
    );
  }

  /**
   * Local progress leaves in one frame per turn of the event loop: a frame (and a write) per message would make
   * the main thread the bottleneck of a fast replay. Order is kept, and 'done' flushes first.
   */
  private queueProgress(message: ExchangeMessage): void {
    this.observe(message);
    if (this.outgoing.push(message) === 1) setImmediate(() => this.flushProgress());
  }

  private observe(message: ExchangeMessage): void {
    if (!this.frontiers) return;
    this.frontiers.observe(message);
    this.stallWatch?.poke();
  }

  private flushProgress(): void {
    if (this.outgoing.length === 0) return;
    const messages = this.outgoing;
    this.outgoing = [];
    this.mesh?.broadcast({ type: 'progress', messages });
  }

  /** Every local worker loaded its job and opened its channel. */
  workersReady(): void {
    this.localReady = true;
    this.maybeStart();
  }

  private maybeStart(): void {
    if (!this.mesh || !this.localReady || this.failed) return;
    if (!this.sentReady) {
      this.sentReady = true;
      this.mesh.broadcast({ type: 'ready' });
    }
    if (!this.started && this.readyPeers.size === this.options.processes - 1) {
      this.started = true;
      this.callbacks.start();
    }
  }

  private onFrame(from: number, frame: MeshFrame): void {
    switch (frame.type) {
      case 'ready':
        this.readyPeers.add(from);
        return this.maybeStart();
      case 'progress':
        if (this.frontiers) for (const message of frame.messages) this.observe(message);
        if (!this.localDone) this.relay.deliver(frame.messages);
        return;
      case 'done':
        return this.peerFinished(from);
      case 'failed':
        return this.onPeerGone(from, new PeerProcessError(from, this.addressOf(from), `failed: ${frame.reason}`));
      case 'reject': // it accepted our hello, but we did not accept its answer
        return this.onPeerGone(from, new PeerProcessError(from, this.addressOf(from), `refused this process: ${frame.reason}`));
      default:
        return; // a second hello: ignored
    }
  }

  private onPeerGone(peer: number, error: PeerProcessError): void {
    if (this.localDone) return this.peerFinished(peer);
    if (!this.failed) this.callbacks.fail(error);
  }

  private peerFinished(peer: number): void {
    this.finishedPeers.add(peer);
    if (this.finishedPeers.size === this.options.processes - 1) this.resolveFinished();
  }

  private addressOf(peer: number): string {
    return this.options.hosts[peer] ?? '?';
  }

  /** The local run failed or was stopped: tell the other processes (they stop too) and stop connecting. */
  abort(reason: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.setup.abort(reason);
    this.mesh?.broadcast({ type: 'failed', reason: `${reason.name}: ${reason.message}` });
  }

  /** Local workers all exited with results: forward their last progress, say 'done', wait for everyone's. */
  async finish(): Promise<void> {
    await this.relay.allClosed;
    this.localDone = true;
    this.flushProgress();
    this.mesh?.broadcast({ type: 'done' });
    await this.allFinished;
    this.close();
  }

  /** Ends the connections and leaves the channel; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stallWatch?.stop();
    this.setup.abort(new Error('the run ended'));
    this.relay.close();
    this.mesh?.close();
  }
}
