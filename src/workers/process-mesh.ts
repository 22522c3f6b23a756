/**
 * The TCP mesh between the processes of one run, as timely_communication's: process p listens on its own
 * address, connects to every lower-indexed process (retrying until they listen) and accepts every higher-indexed
 * one, so each pair shares exactly one connection. Both ends first exchange a hello that identifies the run
 * (-n and -w must match); a mismatched peer is refused with a reason both sides report.
 */
import net from 'node:net';
import { parseAddress } from './hosts.js';
import { MeshSetupError, PeerProcessError } from './mesh-errors.js';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, HELLO_MAX_FRAME_BYTES, MESH_MAGIC, MESH_VERSION, type HelloFrame, type MeshFrame } from './mesh-frames.js';
import { PeerSocket } from './peer-socket.js';

export interface MeshOptions {
  /** `host:port` of every process. */
  hosts: readonly string[];
  process: number;
  processes: number;
  workers: number;
  /** How long to wait for every process to be reachable and connected. */
  connectTimeoutMs: number;
  /**
   * A connected process that sends nothing (not even its heartbeat) for this long is lost: a frozen machine or a
   * network partition never closes the socket, and TCP keepalive alone takes many minutes. Default 30,000 ms.
   */
  peerTimeoutMs?: number;
  maxFrameBytes?: number;
  /** Aborts the setup (e.g. Ctrl-C while waiting for the others). */
  signal?: AbortSignal;
}

export interface MeshEvents {
  /** A frame from a connected process after its hello; may arrive before `connect` resolves. */
  frame(from: number, frame: MeshFrame): void;
  /** A connected process went away without saying 'done' or 'failed', or sent bad data. */
  lost(error: PeerProcessError): void;
}

interface Link {
  peer: number;
  address: string;
  socket: PeerSocket;
  /** The peer said 'done' or 'failed': its closing the connection is expected. */
  finished: boolean;
  /** When its last frame arrived (epoch ms). */
  heardAt: number;
  /** Closed here because it went silent. */
  silent: boolean;
}

/** Pause between attempts to reach a process that is not listening yet. */
const RETRY_MS = 200;
/** After a graceful close, how long a peer gets to close its end before the socket is destroyed. */
const CLOSE_GRACE_MS = 2000;

export class ProcessMesh {
  private readonly links = new Map<number, Link>();
  private closing = false;
  private heartbeat: NodeJS.Timeout | undefined;

  private constructor(private readonly options: MeshOptions, private readonly events: MeshEvents) {}

  /** Resolves once connected to every other process; rejects with a MeshSetupError naming the missing ones. */
  static async connect(options: MeshOptions, events: MeshEvents): Promise<ProcessMesh> {
    const mesh = new ProcessMesh(options, events);
    await mesh.establish();
    mesh.startHeartbeat();
    return mesh;
  }

  /** Sends a frame to every connected process (encoded once). */
  broadcast(frame: MeshFrame): void {
    const encoded = encodeFrame(frame);
    for (const link of this.links.values()) link.socket.write(encoded);
  }

  addressOf(peer: number): string {
    return this.options.hosts[peer] ?? '?';
  }

  /** Ends every connection after what was written; nothing here keeps the process alive afterwards. */
  close(): void {
    this.closing = true;
    clearInterval(this.heartbeat);
    for (const link of this.links.values()) {
      const socket = link.socket.socket;
      socket.end();
      socket.unref();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    }
  }

  private hello(): HelloFrame {
    const { process, processes, workers } = this.options;
    return { type: 'hello', magic: MESH_MAGIC, version: MESH_VERSION, process, processes, workers };
  }

  /** Why a hello does not belong to this run (undefined when it does), in words both ends can print. */
  private mismatch(hello: HelloFrame, expected: (peer: number) => boolean): string | undefined {
    const { process: me, processes, workers } = this.options;
    if (hello.version !== MESH_VERSION) return `process ${hello.process} speaks mesh version ${hello.version}, process ${me} version ${MESH_VERSION}: run the same kafkaesque everywhere`;
    if (hello.processes !== processes || hello.workers !== workers) {
      return (
        `mismatched run: process ${hello.process} has -n ${hello.processes} -w ${hello.workers}, process ${me} has -n ${processes} -w ${workers}; ` +
        `start every process with the same -n, -w and hostfile`
      );
    }
    if (!expected(hello.process) || this.links.has(hello.process)) {
      return `process ${me} expected another process than -p ${hello.process} on this connection (two processes with the same -p, or a wrong hostfile line?)`;
    }
    return undefined;
  }

  private establish(): Promise<void> {
    const { hosts, process: me, processes, connectTimeoutMs, signal } = this.options;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let server: net.Server | undefined;
      const pending = new Set<net.Socket>();
      const retries = new Set<NodeJS.Timeout>();
      const lastError = new Map<number, string>();

      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
        for (const timer of retries) clearTimeout(timer);
        server?.close();
        server?.unref();
        for (const socket of pending) socket.destroy();
        if (!error) return resolve();
        // Processes already connected learn why, rather than seeing this one vanish.
        this.links.forEach((link) => link.socket.send({ type: 'failed', reason: `${error.name}: ${error.message}` }));
        this.close();
        reject(error);
      };
      const onAbort = (): void => finish(signal?.reason instanceof Error ? signal.reason : new MeshSetupError('the run was stopped while connecting to the other processes'));

      const deadline = setTimeout(() => {
        const missing: string[] = [];
        for (let peer = 0; peer < processes; peer++) {
          if (peer === me || this.links.has(peer)) continue;
          if (peer < me) missing.push(`could not reach process ${peer} at ${hosts[peer]} (${lastError.get(peer) ?? 'no answer'})`);
          else missing.push(`process ${peer} (${hosts[peer]}) did not connect`);
        }
        const first = [...Array(processes).keys()].find((p) => p !== me && !this.links.has(p));
        finish(
          new MeshSetupError(
            `process ${me} gave up after ${connectTimeoutMs} ms: ${missing.join('; ')}. ` +
              `Start every process with the same -n and hostfile, check the addresses and firewalls, or raise connectTimeoutMs`,
            first,
            first === undefined ? undefined : hosts[first],
          ),
        );
      }, connectTimeoutMs);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort);

      const link = (peer: number, socket: PeerSocket): void => {
        pending.delete(socket.socket);
        const entry: Link = { peer, address: hosts[peer] as string, socket, finished: false, heardAt: Date.now(), silent: false };
        this.links.set(peer, entry);
        socket.maxFrameBytes = this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
        this.attach(entry);
        socket.socket.setNoDelay(true); // progress is latency-bound, and frames are written whole
        socket.socket.setKeepAlive(true, 10_000);
        if (this.links.size === processes - 1) finish();
      };

      // Lower-indexed processes: dial until they answer.
      const dial = (peer: number): void => {
        if (settled) return;
        const address = hosts[peer] as string;
        const { host, port } = parseAddress(address);
        const socket = net.connect({ host, port });
        pending.add(socket);
        let answered = false;
        let retried = false;
        const retry = (reason: string): void => {
          pending.delete(socket);
          socket.destroy();
          if (answered || retried || settled) return;
          retried = true;
          lastError.set(peer, reason);
          const timer = setTimeout(() => {
            retries.delete(timer);
            dial(peer);
          }, RETRY_MS);
          retries.add(timer);
        };
        socket.on('error', (error) => retry(error.message));
        socket.on('close', () => retry('closed the connection during the handshake'));
        socket.once('connect', () => {
          const peerSocket = new PeerSocket(socket, HELLO_MAX_FRAME_BYTES);
          peerSocket.onBadData = (error) => retry(`not a kafkaesque process: ${error.message}`);
          peerSocket.onFrame = (frame) => {
            answered = true;
            socket.removeAllListeners('error');
            socket.removeAllListeners('close');
            socket.on('error', () => {}); // settled below: linked (then watched) or destroyed
            if (frame.type === 'reject') return finish(new MeshSetupError(`process ${peer} (${address}) refused this process: ${frame.reason}`, peer, address));
            if (frame.type !== 'hello' || frame.magic !== MESH_MAGIC) {
              return finish(new MeshSetupError(`${address} (process ${peer}) answered, but not as a kafkaesque process: is another program on that port?`, peer, address));
            }
            const problem = this.mismatch(frame, (p) => p === peer);
            if (problem) {
              peerSocket.send({ type: 'reject', reason: problem });
              return finish(new MeshSetupError(problem, peer, address));
            }
            link(peer, peerSocket);
          };
          peerSocket.send(this.hello());
        });
      };
      for (let peer = 0; peer < me; peer++) dial(peer);

      // Higher-indexed processes: accept them.
      if (me < processes - 1) {
        const own = hosts[me] as string;
        const { host, port } = parseAddress(own);
        server = net.createServer((socket) => {
          if (settled) return void socket.destroy();
          pending.add(socket);
          socket.on('error', () => {}); // a half-made connection failing is not the run's failure
          socket.once('close', () => pending.delete(socket));
          const peerSocket = new PeerSocket(socket, HELLO_MAX_FRAME_BYTES);
          peerSocket.onFrame = (frame) => {
            // Something that does not say our hello (a port scanner, another program) is dropped, not fatal.
            if (frame.type !== 'hello' || frame.magic !== MESH_MAGIC) return void socket.destroy();
            const problem = this.mismatch(frame, (p) => p > me && p < processes);
            if (problem) {
              peerSocket.send({ type: 'reject', reason: problem });
              socket.end();
              return finish(new MeshSetupError(problem, frame.process, socket.remoteAddress));
            }
            peerSocket.send(this.hello());
            socket.removeAllListeners('close');
            link(frame.process, peerSocket);
          };
        });
        server.once('error', (error) =>
          finish(
            new MeshSetupError(
              `process ${me} cannot listen on ${own}, its address in the hosts: ${error.message}; ` +
                `the host must be this machine's and the port free (another run on it?)`,
              me,
              own,
            ),
          ),
        );
        server.listen({ host, port, exclusive: true });
      }
      if (processes === 1) finish();
    });
  }

  /** After the hello: frames go to the run, and a close without 'done'/'failed' is a lost peer. */
  private attach(link: Link): void {
    const socket = link.socket.socket;
    let badData: Error | undefined;
    link.socket.onBadData = (error) => (badData = error);
    link.socket.onFrame = (frame) => {
      link.heardAt = Date.now();
      if (frame.type === 'ping') return;
      if (frame.type === 'done' || frame.type === 'failed' || frame.type === 'reject') link.finished = true;
      this.events.frame(link.peer, frame);
    };
    socket.on('error', () => {}); // 'close' follows and says what happened
    socket.once('close', () => {
      if (link.finished || this.closing) return;
      const reason = badData
        ? `sent data this process cannot read (${badData.message})`
        : link.silent
          ? `sent nothing for ${this.peerTimeoutMs} ms (frozen, or the network between us is down?)`
          : 'disconnected before its workers finished (crashed or killed?)';
      this.events.lost(new PeerProcessError(link.peer, link.address, reason));
    });
  }

  private get peerTimeoutMs(): number {
    return this.options.peerTimeoutMs ?? 30_000;
  }

  /** Pings every connection a few times per timeout, and drops the ones that have been silent for a whole one. */
  private startHeartbeat(): void {
    const timeout = this.peerTimeoutMs;
    this.heartbeat = setInterval(() => {
      this.broadcast({ type: 'ping' });
      const now = Date.now();
      for (const link of this.links.values()) {
        if (link.finished || now - link.heardAt <= timeout) continue;
        link.silent = true;
        link.socket.socket.destroy();
      }
    }, Math.max(10, Math.floor(timeout / 4)));
    this.heartbeat.unref();
  }
}
