/**
 * zstd (codec 4) through @bokuweb/zstd-wasm (Node 20's zlib has no zstd). The wasm module loads
 * asynchronously: it starts loading when this module is imported, and `zstdReady()` resolves once it can be
 * used; calling the sync functions before that throws a clear error.
 *
 * Java clients (zstd-jni streaming) write frames without a content size, so decompression cannot always
 * size its output up front: it then grows the output buffer until the frame fits or the limit is reached.
 * Large frames are inflated in a worker thread (zstd-worker.ts) so the event loop keeps serving.
 * One frame per batch is supported, which is what Kafka clients write.
 */
import { compress, decompress, init } from '@bokuweb/zstd-wasm';
import { CompressionError, type CompressOptions } from './types.js';
import { zstdInWorker } from './zstd-worker.js';

const ZSTD_MAGIC = 0xfd2fb528;
const DEFAULT_LEVEL = 3;

let loaded = false;
let loadError: unknown;
const loading: Promise<void> = init().then(
  () => {
    loaded = true;
  },
  (e: unknown) => {
    loadError = e;
  },
);

/** Resolves when zstd can be used; rejects if the wasm module failed to load. */
export async function zstdReady(): Promise<void> {
  await loading;
  if (!loaded) throw new CompressionError('zstd', 'the zstd wasm module failed to load', false, { cause: loadError });
}

function assertLoaded(): void {
  if (!loaded) {
    throw new CompressionError('zstd', 'zstd is still loading: `await initCompression()` once before using zstd');
  }
}

/**
 * The Frame_Content_Size the frame header declares (RFC 8878 §3.1.1.1), or undefined when absent.
 * Throws if the input is not a zstd frame.
 */
export function zstdDeclaredSize(data: Buffer): number | undefined {
  if (data.length < 6 || data.readUInt32LE(0) !== ZSTD_MAGIC) throw new CompressionError('zstd', 'not a zstd frame (bad magic)');
  const descriptor = data[4]!;
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const dictIdSize = [0, 1, 2, 4][descriptor & 3]!;
  const fcsSize = fcsFlag === 0 ? singleSegment : [0, 2, 4, 8][fcsFlag]!;
  if (fcsSize === 0) return undefined;
  const at = 5 + (singleSegment ? 0 : 1) + dictIdSize;
  if (data.length < at + fcsSize) throw new CompressionError('zstd', 'frame header truncated');
  switch (fcsSize) {
    case 1:
      return data[at]!;
    case 2:
      return data.readUInt16LE(at) + 256;
    case 4:
      return data.readUInt32LE(at);
    default:
      return Number(data.readBigUInt64LE(at));
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function zstdCompress(data: Buffer, options: CompressOptions = {}): Buffer {
  assertLoaded();
  return asBuffer(compress(data, options.level ?? DEFAULT_LEVEL));
}

/** The first output capacity to try: the declared size, or a generous guess (checked against the limit). */
function firstCapacity(data: Buffer, maxBytes: number): { capacity: number; exact: boolean } {
  const declared = zstdDeclaredSize(data);
  if (declared !== undefined) {
    if (declared > maxBytes) throw new CompressionError('zstd', `frame declares ${declared} bytes, over the ${maxBytes} limit`, true);
    return { capacity: declared, exact: true };
  }
  return { capacity: Math.min(maxBytes, Math.max(1 << 20, data.length * 8)), exact: false };
}

/**
 * After a failed attempt at `capacity` bytes: the next capacity to try, doubling up to `maxBytes` while zstd
 * says only that the output is too small; otherwise throws. zstd never writes past the capacity it is
 * given, so the limit holds while inflating, not after.
 */
function nextCapacity(e: unknown, exact: boolean, capacity: number, maxBytes: number): number {
  const message = (e as Error).message;
  if (exact || zstdErrorCode(message) !== ZSTD_ERROR_DST_SIZE_TOO_SMALL) throw new CompressionError('zstd', message, false, { cause: e });
  if (capacity >= maxBytes) throw new CompressionError('zstd', `inflates beyond the ${maxBytes} byte limit`, true, { cause: e });
  return Math.min(maxBytes, capacity * 2);
}

export function zstdDecompress(data: Buffer, maxBytes: number): Buffer {
  assertLoaded();
  const { capacity: first, exact } = firstCapacity(data, maxBytes);
  for (let capacity = first; ; ) {
    try {
      return asBuffer(decompress(data, { defaultHeapSize: capacity }));
    } catch (e) {
      capacity = nextCapacity(e, exact, capacity, maxBytes);
    }
  }
}

/** Frames that declare at most this many bytes are inflated in place: a worker round trip costs more. */
const INLINE_MAX_BYTES = 256 * 1024;

/** As zstdDecompress; frames that may inflate past INLINE_MAX_BYTES are inflated in a worker thread. */
export async function zstdDecompressAsync(data: Buffer, maxBytes: number): Promise<Buffer> {
  assertLoaded();
  const start = firstCapacity(data, maxBytes);
  if ((start.exact && start.capacity <= INLINE_MAX_BYTES) || maxBytes <= INLINE_MAX_BYTES) return zstdDecompress(data, maxBytes);
  let capacity = start.capacity;
  if (!start.exact) {
    // No declared size (Java clients): most batches are small, so try in place within INLINE_MAX_BYTES first.
    try {
      return asBuffer(decompress(data, { defaultHeapSize: INLINE_MAX_BYTES }));
    } catch (e) {
      capacity = Math.max(capacity, nextCapacity(e, false, INLINE_MAX_BYTES, maxBytes));
    }
  }
  for (;;) {
    try {
      return await zstdInWorker(data, capacity);
    } catch (e) {
      capacity = nextCapacity(e, start.exact, capacity, maxBytes);
    }
  }
}

/** zstd's error enum value for "destination buffer is too small" (zstd_errors.h, ZSTD_error_dstSize_tooSmall). */
const ZSTD_ERROR_DST_SIZE_TOO_SMALL = 70;

/** The zstd error number in zstd-wasm's error message ("... with code -70"), if present. */
function zstdErrorCode(message: string): number | undefined {
  const match = /code (-?\d+)/.exec(message);
  return match ? Math.abs(Number(match[1])) : undefined;
}
