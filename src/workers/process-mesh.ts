/**
 * The TCP mesh between the processes of one run, as timely_communication's: process p listens on its own
 * address, connects to every lower-indexed process (retrying until they listen) and accepts every higher-indexed
 * one, so each pair shares exactly one connection. Both ends first exchange a hello that identifies the run
 * (-n and -w must match); a mismatched peer is refused with a reason both sides report.
 *
 * With a mesh secret both ends also prove they know it (mesh-auth.ts) before any other frame is trusted; a
 * connection that fails the proof, or does not finish its handshake in time, is dropped without failing the run
 * (anyone who can reach the port could otherwise end it). Without a secret the mesh must stay on loopback
 * addresses. Optionally every connection is TLS (`tls`).
 */
import net from 'node:net';
import tls from 'node:tls';
import { parseAddress } from './hosts.js';
import { channelBinding, isLoopbackHost, isNonce, MESH_SECRET_ENV, newNonce, proof, verifyProof } from './mesh-auth.js';
import { MeshSetupError, PeerProcessError } from './mesh-errors.js';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, HELLO_MAX_FRAME_BYTES, MESH_MAGIC, MESH_VERSION, type HelloFrame, type MeshFrame } from './mesh-frames.js';
import { PeerSocket } from './peer-socket.js';

/** PEM certificate and key of this process, and the CA that signed every process's (mutual TLS when given). */
export interface MeshTlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  /** Without it the certificates are not verified: the secret's proofs, bound to the TLS session, authenticate. */
  ca?: string | Buffer;
}

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
  /** The run's shared secret: every process proves it knows it. Required when a host is not a loopback address. */
  secret?: Buffer;
  /** TLS for every mesh connection. */
  tls?: MeshTlsOptions;
  /**
   * A connection must finish its handshake (TLS, hello, proofs) within this long, or it is dropped (Kafka has no
   * such setting for a mesh; 10,000 ms leaves a loaded machine room and frees a stuck connection soon).
   */
  handshakeTimeoutMs?: number;
  /** Aborts the setup (e.g. Ctrl-C while waiting for the others). */
  signal?: AbortSignal;
}

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

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
    const exposed = options.secret ? [] : options.hosts.slice(0, options.processes).filter((address) => !isLoopbackHost(parseAddress(address).host));
    if (options.processes > 1 && exposed.length > 0) {
      throw new MeshSetupError(
        `the mesh would listen on or connect to ${exposed.join(', ')}, which ${exposed.length === 1 ? 'is not a loopback address' : 'are not loopback addresses'}, ` +
          `and no mesh secret was given: anyone who can reach those ports could join the run and end it with wrong results. ` +
          `Give every process the same secret (--mesh-secret-file FILE or the environment variable ${MESH_SECRET_ENV}), or run on 127.0.0.1`,
      );
    }
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
    const { hosts, process: me, processes, connectTimeoutMs, signal, secret } = this.options;
    const handshakeMs = this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const tlsOptions = this.options.tls;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let server: net.Server | undefined;
      const pending = new Set<net.Socket>();
      const timers = new Set<NodeJS.Timeout>();
      const lastError = new Map<number, string>();
      /** Why connections were dropped (said when the setup gives up): a count and the last few reasons only, so knocking cannot grow memory. */
      let refusedCount = 0;
      const refusedReasons: string[] = [];
      const refuse = (reason: string): void => {
        refusedCount++;
        if (!refusedReasons.includes(reason)) refusedReasons.push(reason);
        if (refusedReasons.length > 3) refusedReasons.shift();
      };

      const later = (ms: number, fn: () => void): NodeJS.Timeout => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          fn();
        }, ms);
        timers.add(timer);
        return timer;
      };
      const cancel = (timer: NodeJS.Timeout | undefined): void => {
        if (timer === undefined) return;
        clearTimeout(timer);
        timers.delete(timer);
      };

      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
        for (const timer of timers) clearTimeout(timer);
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
        if (refusedCount > 0) missing.push(`refused ${refusedCount} connection(s): ${refusedReasons.join('; ')}`);
        const first = [...Array(processes).keys()].find((p) => p !== me && !this.links.has(p));
        finish(
          new MeshSetupError(
            `process ${me} gave up after ${connectTimeoutMs} ms: ${missing.join('; ')}. ` +
              `Start every process with the same -n, hostfile and mesh secret, check the addresses and firewalls, or raise connectTimeoutMs`,
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
        const socket: net.Socket = tlsOptions
          ? tls.connect({
              host,
              port,
              cert: tlsOptions.cert,
              key: tlsOptions.key,
              ...(tlsOptions.ca ? { ca: tlsOptions.ca } : {}),
              rejectUnauthorized: tlsOptions.ca !== undefined,
              // Processes are named by the hostfile, often by IP: the CA and the secret identify them, not a hostname.
              checkServerIdentity: () => undefined,
            })
          : net.connect({ host, port });
        pending.add(socket);
        let answered = false;
        let retried = false;
        const retry = (reason: string): void => {
          cancel(handshake);
          pending.delete(socket);
          socket.destroy();
          if (answered || retried || settled) return;
          retried = true;
          lastError.set(peer, reason);
          later(RETRY_MS, () => dial(peer));
        };
        // Connected but no answer (a frozen process, or something that accepts and says nothing): try again.
        const handshake = later(handshakeMs, () => retry(`connected, but no handshake answer within ${handshakeMs} ms`));
        socket.on('error', (error) => retry(error.message));
        socket.on('close', () => retry('closed the connection during the handshake'));
        socket.once(tlsOptions ? 'secureConnect' : 'connect', () => {
          const peerSocket = new PeerSocket(socket, HELLO_MAX_FRAME_BYTES);
          const myNonce = secret ? newNonce() : undefined;
          const fail = (message: string): void => {
            answered = true;
            cancel(handshake);
            finish(new MeshSetupError(message, peer, address));
          };
          peerSocket.onBadData = (error) => retry(`not a kafkaesque process: ${error.message}`);
          peerSocket.onFrame = (frame) => {
            answered = true;
            cancel(handshake);
            socket.removeAllListeners('error');
            socket.removeAllListeners('close');
            socket.on('error', () => {}); // settled below: linked (then watched) or destroyed
            if (frame.type === 'reject') return fail(`process ${peer} (${address}) refused this process: ${frame.reason}`);
            if (frame.type !== 'hello' || frame.magic !== MESH_MAGIC) {
              return fail(`${address} (process ${peer}) answered, but not as a kafkaesque process: is another program on that port?`);
            }
            if (secret && myNonce) {
              if (!isNonce(frame.nonce) || frame.proof === undefined) {
                peerSocket.send({ type: 'reject', reason: `process ${me} has a mesh secret and process ${peer} has none` });
                return fail(
                  `process ${peer} (${address}) runs without a mesh secret and this process has one: ` +
                    `give every process the same secret (--mesh-secret-file or ${MESH_SECRET_ENV})`,
                );
              }
              const binding = channelBinding(socket);
              if (!verifyProof(proof(secret, 'accept', myNonce, frame.nonce, binding), frame.proof)) {
                peerSocket.send({ type: 'reject', reason: `process ${me} could not verify this process's proof of the mesh secret: the secrets differ` });
                return fail(
                  `process ${peer} (${address}) could not prove that it knows this run's mesh secret: ` +
                    `the processes were given different secrets, or another program answers on that port`,
                );
              }
              peerSocket.send({ type: 'auth', proof: proof(secret, 'dial', myNonce, frame.nonce, binding) });
            }
            const problem = this.mismatch(frame, (p) => p === peer);
            if (problem) {
              peerSocket.send({ type: 'reject', reason: problem });
              return fail(problem);
            }
            link(peer, peerSocket);
          };
          peerSocket.send({ ...this.hello(), ...(myNonce ? { nonce: myNonce } : {}) });
        });
      };
      for (let peer = 0; peer < me; peer++) dial(peer);

      /** An accepted connection: hello (and with a secret, the proofs) before it is linked. */
      const accept = (socket: net.Socket): void => {
        if (settled) return void socket.destroy();
        pending.add(socket);
        socket.on('error', () => {}); // a half-made connection failing is not the run's failure
        socket.once('close', () => pending.delete(socket));
        const peerSocket = new PeerSocket(socket, HELLO_MAX_FRAME_BYTES);
        /** Drops an unauthenticated connection: said to it, remembered for the setup's error, never fatal. */
        const drop = (reason: string, tell: boolean): void => {
          cancel(handshake);
          refuse(reason);
          if (tell) {
            peerSocket.send({ type: 'reject', reason });
            socket.end();
            later(CLOSE_GRACE_MS, () => socket.destroy());
          } else socket.destroy();
        };
        const handshake = later(handshakeMs, () => drop(`a connection from ${socket.remoteAddress ?? '?'} did not finish its handshake within ${handshakeMs} ms`, false));
        socket.once('close', () => cancel(handshake));
        peerSocket.onBadData = (error) => drop(`a connection from ${socket.remoteAddress ?? '?'} sent data that is not the mesh protocol (${error.message})`, false);
        let hello: HelloFrame | undefined;
        let expectedProof: Buffer | undefined;

        /** Checks the run's identity; `answer` sends our hello (not yet sent without a secret). */
        const admit = (frame: HelloFrame, answer: boolean): void => {
          cancel(handshake);
          const problem = this.mismatch(frame, (p) => p > me && p < processes);
          if (problem) {
            peerSocket.send({ type: 'reject', reason: problem });
            socket.end();
            return finish(new MeshSetupError(problem, frame.process, socket.remoteAddress));
          }
          if (answer) peerSocket.send(this.hello());
          socket.removeAllListeners('close');
          link(frame.process, peerSocket);
        };

        peerSocket.onFrame = (frame) => {
          if (hello && expectedProof) {
            // The only frame trusted now is the dialer's proof.
            if (frame.type !== 'auth' || !verifyProof(expectedProof, frame.proof)) {
              const said = frame.type === 'reject' ? `: ${frame.reason}` : '';
              return drop(`process ${me} refused a connection claiming to be process ${hello.process}: it did not prove that it knows the mesh secret${said}`, frame.type !== 'reject');
            }
            return admit(hello, false);
          }
          // Something that does not say our hello (a port scanner, another program) is dropped, not fatal.
          if (frame.type !== 'hello' || frame.magic !== MESH_MAGIC) return drop(`a connection from ${socket.remoteAddress ?? '?'} did not speak the mesh protocol`, false);
          hello = frame;
          if (secret) {
            if (!isNonce(frame.nonce)) {
              return drop(
                `process ${me} requires the run's mesh secret and process ${frame.process} sent no challenge: ` +
                  `start every process with the same --mesh-secret-file or ${MESH_SECRET_ENV}`,
                true,
              );
            }
            const myNonce = newNonce();
            const binding = channelBinding(socket);
            expectedProof = proof(secret, 'dial', frame.nonce, myNonce, binding);
            peerSocket.send({ ...this.hello(), nonce: myNonce, proof: proof(secret, 'accept', frame.nonce, myNonce, binding) });
            return;
          }
          if (frame.nonce !== undefined) {
            // A process with a secret talking to one without: a misconfigured run, said at both ends.
            const problem = `process ${frame.process} has a mesh secret and process ${me} has none: give every process the same secret (--mesh-secret-file or ${MESH_SECRET_ENV})`;
            cancel(handshake);
            peerSocket.send({ type: 'reject', reason: problem });
            socket.end();
            return finish(new MeshSetupError(problem, frame.process, socket.remoteAddress));
          }
          admit(frame, true);
        };
      };

      // Higher-indexed processes: accept them.
      if (me < processes - 1) {
        const own = hosts[me] as string;
        const { host, port } = parseAddress(own);
        server = tlsOptions
          ? tls.createServer(
              {
                cert: tlsOptions.cert,
                key: tlsOptions.key,
                ...(tlsOptions.ca ? { ca: tlsOptions.ca, requestCert: true, rejectUnauthorized: true } : {}),
                handshakeTimeout: handshakeMs,
              },
              accept,
            )
          : net.createServer(accept);
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
        if (tlsOptions) server.on('tlsClientError', (error: Error) => refuse(`a TLS handshake failed: ${error.message}`));
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
