/**
 * Accepted connections that read into buffers we choose (net's `onread` option).
 *
 * Node offers `onread` only for sockets built from options (`net.connect`, `new net.Socket`); a `net.Server`
 * builds accepted sockets itself, and each of their reads lands in a fresh 64 KiB allocation that the
 * garbage collector then has to reclaim (profile: ~26 full collections per 400 MB produced). With
 * `pauseOnConnect` an accepted socket has not read anything yet, so its handle can be moved into
 * `new net.Socket({ handle, onread })`, the same constructor call Node's own accept path makes.
 *
 * This relies on undocumented parts of Node's lib/net.js (checked against Node 20): the `handle` option,
 * the socket's `_handle`, and `server`/`_server`, the back-references through which a closing socket
 * decrements its server's connection count. When anything looks different, `adoptWithOnread` returns null
 * and the caller keeps the accepted socket and its 'data' events.
 */
import net from 'node:net';

export interface OnRead {
  /** Where the next read lands; must always return a buffer with room. */
  buffer: () => Uint8Array;
  /** `n` bytes were read into `target`; returning false stops reading until `resume()`. */
  callback: (n: number, target: Uint8Array) => boolean;
}

interface SocketInternals {
  _handle?: { useUserBuffer?: unknown; readStart?: unknown; reading?: boolean } | null;
  server?: net.Server | null;
  _server?: net.Server | null;
}

/**
 * A socket that owns `accepted`'s connection and reads through `onread`, or null if `accepted` cannot be
 * converted (then nothing was changed). `accepted` must come from a server created with `pauseOnConnect`
 * and must not be used afterwards.
 */
export function adoptWithOnread(accepted: net.Socket, onread: OnRead): net.Socket | null {
  const old = accepted as unknown as SocketInternals;
  const handle = old._handle;
  if (
    !handle ||
    typeof handle.useUserBuffer !== 'function' ||
    typeof handle.readStart !== 'function' ||
    handle.reading === true ||
    accepted.bytesRead !== 0 ||
    accepted.destroyed ||
    !('_server' in old)
  ) {
    return null;
  }
  let socket: net.Socket;
  try {
    socket = new net.Socket({ handle, onread, readable: true, writable: true } as net.SocketConstructorOpts);
  } catch {
    return null;
  }
  // The old wrapper must never touch the handle again; the new one closes it and settles the server count.
  old._handle = null;
  const adopted = socket as unknown as SocketInternals;
  adopted.server = old.server ?? null;
  adopted._server = old._server ?? null;
  old.server = null;
  old._server = null;
  return socket;
}
