/**
 * snappy (codec 2). Kafka clients write one of two forms:
 * - raw snappy (librdkafka, kcat): one snappy block;
 * - xerial framing (the Java client, via snappy-java's SnappyOutputStream): the 8-byte magic
 *   `\x82SNAPPY\x00`, int32 version, int32 compatible version, then `[int32 length][raw snappy block]...`.
 * We read both and write either; raw is the default, as Java consumers read it too.
 *
 * Output limit: every raw block starts with the length it inflates to, and the decoder allocates exactly
 * that and fails if the block disagrees, so the declared lengths are summed and checked before any block is
 * inflated.
 */
import { compressSync, uncompress, uncompressSync } from 'snappy';
import { CompressionError, type CompressOptions } from './types.js';

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_VERSION = 1;
const XERIAL_COMPATIBLE_VERSION = 1;
/** snappy-java's default block size; each block is compressed on its own. */
const XERIAL_BLOCK_SIZE = 32 * 1024;

export function isXerialFramed(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0;
}

export function snappyCompress(data: Buffer, options: CompressOptions = {}): Buffer {
  if (options.snappyFraming !== 'xerial') return compressSync(data);
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(XERIAL_VERSION, 8);
  header.writeInt32BE(XERIAL_COMPATIBLE_VERSION, 12);
  parts.push(header);
  for (let pos = 0; pos < data.length; pos += XERIAL_BLOCK_SIZE) {
    const block = compressSync(data.subarray(pos, Math.min(pos + XERIAL_BLOCK_SIZE, data.length)));
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/** The uncompressed length a raw snappy block declares in its preamble (unsigned varint, <= 5 bytes). */
function declaredLength(block: Buffer): number {
  let value = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const b = block[i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return value;
  }
  throw new CompressionError('snappy', 'block preamble is truncated or too long');
}

function checkLength(block: Buffer, maxBytes: number): number {
  const length = declaredLength(block);
  if (length > maxBytes) throw new CompressionError('snappy', `block declares ${length} bytes, over the ${maxBytes} limit`, true);
  return length;
}

function snappyError(e: unknown): CompressionError {
  return new CompressionError('snappy', (e as Error).message, false, { cause: e });
}

/** The raw blocks of `data` (one unless xerial-framed), each checked against what is left of `maxBytes`. */
function blocksWithin(data: Buffer, maxBytes: number): { blocks: Buffer[]; total: number } {
  if (!isXerialFramed(data)) return { blocks: [data], total: checkLength(data, maxBytes) };
  const blocks: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (data.length - pos < 4) throw new CompressionError('snappy', `xerial block length truncated at ${pos}`);
    const length = data.readInt32BE(pos);
    pos += 4;
    if (length < 0 || length > data.length - pos) {
      throw new CompressionError('snappy', `xerial block of ${length} bytes at ${pos} exceeds the ${data.length - pos} left`);
    }
    const block = data.subarray(pos, pos + length);
    total += checkLength(block, maxBytes - total);
    blocks.push(block);
    pos += length;
  }
  return { blocks, total };
}

export function snappyDecompress(data: Buffer, maxBytes: number): Buffer {
  const { blocks, total } = blocksWithin(data, maxBytes);
  try {
    const out = blocks.map((b) => uncompressSync(b, { asBuffer: true }) as Buffer);
    return out.length === 1 ? out[0]! : Buffer.concat(out, total);
  } catch (e) {
    throw snappyError(e);
  }
}

/** As snappyDecompress, inflating on the libuv thread pool. */
export async function snappyDecompressAsync(data: Buffer, maxBytes: number): Promise<Buffer> {
  const { blocks, total } = blocksWithin(data, maxBytes);
  try {
    const out = (await Promise.all(blocks.map((b) => uncompress(b, { asBuffer: true })))) as Buffer[];
    return out.length === 1 ? out[0]! : Buffer.concat(out, total);
  } catch (e) {
    throw snappyError(e);
  }
}
