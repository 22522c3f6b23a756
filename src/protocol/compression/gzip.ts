/** gzip (codec 1): a plain gzip stream (RFC 1952), as every Kafka client writes it. */
import { gunzip, gunzipSync, gzipSync } from 'node:zlib';
import { CompressionError, type CompressOptions } from './types.js';

export function gzipCompress(data: Buffer, options: CompressOptions = {}): Buffer {
  return gzipSync(data, options.level === undefined ? {} : { level: options.level });
}

function gzipError(e: unknown, maxBytes: number): CompressionError {
  const tooLarge = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
  return new CompressionError('gzip', tooLarge ? `inflates beyond ${maxBytes} bytes` : String((e as Error).message), tooLarge, { cause: e });
}

/** zlib stops inflating once the output passes `maxOutputLength`: it never holds more than that. */
export function gzipDecompress(data: Buffer, maxBytes: number): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (e) {
    throw gzipError(e, maxBytes);
  }
}

/** As gzipDecompress, inflating on the libuv thread pool in chunks (the limit is checked after each). */
export function gzipDecompressAsync(data: Buffer, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    gunzip(data, { maxOutputLength: Math.max(1, maxBytes) }, (err, out) => (err ? reject(gzipError(err, maxBytes)) : resolve(out)));
  });
}
