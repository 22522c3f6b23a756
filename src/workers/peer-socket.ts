/**
 * One TCP connection to another process of the run: frames out (corked header + body) and frames in, handed one
 * at a time to whichever handler is current, so the handshake can hand over to the run between two frames of a chunk.
 */
import type { Socket } from 'node:net';
import { encodeFrame, FrameDecoder, type MeshFrame } from './mesh-frames.js';

export class PeerSocket {
  private readonly decoder: FrameDecoder;
  /** Receives each decoded frame; replaced after the handshake. */
  onFrame: (frame: MeshFrame) => void = () => {};
  /** A frame could not be decoded or was too large; the socket is destroyed afterwards. */
  onBadData: (error: Error) => void = () => {};

  constructor(readonly socket: Socket, maxFrameBytes: number) {
    this.decoder = new FrameDecoder(maxFrameBytes);
    socket.on('data', (chunk: Buffer) => {
      let frames: MeshFrame[];
      try {
        frames = this.decoder.push(chunk);
      } catch (error) {
        this.onBadData(error as Error);
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        if (socket.destroyed) return;
        this.onFrame(frame);
      }
    });
  }

  /** Raises (or lowers) the frame size limit, e.g. once the peer said a valid hello. */
  set maxFrameBytes(bytes: number) {
    this.decoder.maxFrameBytes = bytes;
  }

  send(frame: MeshFrame): void {
    this.write(encodeFrame(frame));
  }

  /** Writes an already encoded frame (encoded once for every peer). */
  write([header, body]: [Buffer, Buffer]): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.cork();
    this.socket.write(header);
    this.socket.write(body);
    this.socket.uncork();
  }
}
