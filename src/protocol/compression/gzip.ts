/** gzip (codec 1): a plain gzip stream (RFC 1952), as every Kafka client writes it. */
import { gunzipSync, gzipSync } from 'node:zlib';
import { CompressionError, type CompressOptions } from './types.js';

export function gzipCompress(data: Buffer, options: CompressOptions = {}): Buffer {
  return gzipSync(data, options.level === undefined ? {} : { level: options.level });
}

export function gzipDecompress(data: Buffer, maxBytes: number): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: maxBytes });
  } catch (e) {
    const tooLarge = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new CompressionError('gzip', tooLarge ? `inflates beyond ${maxBytes} bytes` : String((e as Error).message), tooLarge, { cause: e });
  }
}
