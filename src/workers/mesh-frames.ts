/**
 * What processes of one run say to each other over TCP, and how: a 4-byte big-endian length, then the frame
 * encoded with msgpackr (plain maps, no record extension, so every frame decodes on its own; bigints and nested
 * arrays survive, which progress timestamps need). The length is checked against a limit before any buffering.
 */
import { Packr, Unpackr } from 'msgpackr';

/** A progress message of one worker's exchange, as the workers' hub broadcasts it. */
export interface ExchangeMessage {
  name: string;
  from: number;
  changes: (readonly [unknown, number])[];
}

/** Sent first by both ends; the run's identity is checked against it. */
export interface HelloFrame {
  type: 'hello';
  magic: typeof MESH_MAGIC;
  version: number;
  process: number;
  processes: number;
  workers: number;
  /** The sender's challenge (mesh-auth.ts): present exactly when the sender was given a mesh secret. */
  nonce?: Uint8Array;
  /** In the accepting process's hello: its proof over both nonces (mesh-auth.ts). */
  proof?: Uint8Array;
}

export type MeshFrame =
  | HelloFrame
  /** The dialing process's proof over both nonces; the accepting process trusts nothing from it before. */
  | { type: 'auth'; proof: Uint8Array }
  /** The sender refuses the connection (mismatched run); `reason` says why. */
  | { type: 'reject'; reason: string }
  /** Every worker of the sender is ready and it is connected to every process. */
  | { type: 'ready' }
  /** Local workers' progress messages, batched per turn of the sender's event loop, in order. */
  | { type: 'progress'; messages: ExchangeMessage[] }
  /** Heartbeat: the sender is alive (sent a few times per peer timeout). */
  | { type: 'ping' }
  /** The sender's workers all finished; no more progress follows. */
  | { type: 'done' }
  /** The sender's run failed or was stopped; the receiver should stop too. */
  | { type: 'failed'; reason: string };

export const MESH_MAGIC = 'kafkaesque-process-mesh';
/** 2: hellos carry the mesh secret's challenge and proofs. */
export const MESH_VERSION = 2;
/** Progress frames are small; anything near this is a bug or not a peer of ours. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** Before the hello a connection may be anything (a port scanner): it gets only this much. */
export const HELLO_MAX_FRAME_BYTES = 4096;

const packr = new Packr({ useRecords: false });

/** The frame as [header, body], for one corked write (no copy of the body). */
export function encodeFrame(frame: MeshFrame): [Buffer, Buffer] {
  const body = packr.pack(frame);
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(body.length, 0);
  return [header, body];
}

export class FrameTooLargeError extends Error {
  override readonly name = 'FrameTooLargeError';
  constructor(readonly bytes: number, readonly limit: number) {
    super(`a frame of ${bytes} bytes is over the limit of ${limit} bytes`);
  }
}

/** Reassembles frames from socket chunks; copies only when a frame spans chunks. */
export class FrameDecoder {
  private readonly unpackr = new Unpackr({ useRecords: false });
  private chunks: Buffer[] = [];
  private buffered = 0;
  private bodyLength = -1;

  /** The largest frame accepted; may change between frames (small until the handshake is done). */
  constructor(public maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Returns the frames completed by `chunk`; throws FrameTooLargeError before buffering an oversized one. */
  push(chunk: Buffer): MeshFrame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: MeshFrame[] = [];
    for (;;) {
      if (this.bodyLength < 0) {
        if (this.buffered < 4) break;
        if ((this.chunks[0] as Buffer).length < 4) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
        const length = (this.chunks[0] as Buffer).readUInt32BE(0);
        if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
        this.bodyLength = length;
      }
      const end = 4 + this.bodyLength;
      if (this.buffered < end) break;
      const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.buffered);
      frames.push(this.unpackr.unpack(all.subarray(4, end)) as MeshFrame);
      const rest = all.subarray(end);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.bodyLength = -1;
    }
    return frames;
  }
}
