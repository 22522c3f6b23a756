/**
 * The exact number of bytes an LZ4 frame inflates to, found by walking its block headers and the sequence
 * tokens inside each block, without writing any output. lz4-napi has no output limit, so this is how an lz4
 * batch gets one: the walk stops as soon as the running total passes the limit, and only a frame within the
 * limit is handed to the decoder. Cost: one pass over the compressed bytes, no allocation.
 *
 * Formats: LZ4 Frame Format 1.6.x (frame descriptor, blocks, EndMark, skippable frames) and the LZ4 Block
 * Format (token, literal length, literals, 2-byte offset, match length; the last sequence has literals
 * only), as specified in lz4's doc/lz4_Frame_format.md and doc/lz4_Block_format.md.
 */
import { CompressionError } from './types.js';

const FRAME_MAGIC = 0x184d2204;
/** Skippable frames use magics 0x184D2A50..0x184D2A5F. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const MIN_MATCH = 4;
/** Block Maximum Size by the BD byte's bits 4-6 (values 4..7). */
const BLOCK_MAX_SIZE = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

function corrupt(message: string): CompressionError {
  return new CompressionError('lz4', message);
}

/**
 * Bytes the frame(s) in `data` decode to. Throws CompressionError (tooLarge) once that passes `maxBytes`,
 * and CompressionError for anything malformed (a block larger than its declared maximum, a sequence that
 * runs past its block, a content size that disagrees with the blocks).
 */
export function lz4InflatedSize(data: Buffer, maxBytes: number): number {
  let total = 0;
  let pos = 0;
  if (data.length < 7 || data.readUInt32LE(0) !== FRAME_MAGIC) throw corrupt('not an LZ4 frame (bad magic)');
  while (pos < data.length) {
    if (data.length - pos < 8) throw corrupt(`truncated frame header at byte ${pos}`);
    const magic = data.readUInt32LE(pos);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      pos += 8 + data.readUInt32LE(pos + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) throw corrupt(`bad frame magic at byte ${pos}`);
    const flg = data[pos + 4]!;
    const bd = data[pos + 5]!;
    if (flg >> 6 !== 1) throw corrupt(`unsupported frame version ${flg >> 6}`);
    const blockChecksum = (flg & 0x10) !== 0;
    const hasContentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const hasDictId = (flg & 0x01) !== 0;
    const blockMax = BLOCK_MAX_SIZE[(bd >> 4) & 7]!;
    if (blockMax === 0) throw corrupt(`invalid block maximum size code ${(bd >> 4) & 7}`);
    let p = pos + 6;
    let declared: number | undefined;
    if (hasContentSize) {
      if (data.length - p < 8) throw corrupt('truncated content size');
      const size = data.readBigUInt64LE(p);
      if (size > BigInt(maxBytes - total)) throw new CompressionError('lz4', `frame declares ${size} bytes, over the ${maxBytes} limit`, true);
      declared = Number(size);
      p += 8;
    }
    if (hasDictId) p += 4;
    p += 1; // header checksum (the decoder verifies it)
    const frameStart = total;
    for (;;) {
      if (data.length - p < 4) throw corrupt(`truncated block header at byte ${p}`);
      const word = data.readUInt32LE(p);
      p += 4;
      if (word === 0) break; // EndMark
      const size = word & 0x7fffffff;
      if (size > blockMax || size > data.length - p) throw corrupt(`block of ${size} bytes at byte ${p} does not fit`);
      const inflated = (word & 0x80000000) !== 0 ? size : blockInflatedSize(data, p, p + size, blockMax);
      total += inflated;
      if (total > maxBytes) throw new CompressionError('lz4', `inflates beyond the ${maxBytes} byte limit`, true);
      p += size + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) p += 4;
    if (p > data.length) throw corrupt('truncated frame');
    if (declared !== undefined && total - frameStart !== declared) {
      throw corrupt(`frame declares ${declared} bytes but its blocks hold ${total - frameStart}`);
    }
    pos = p;
  }
  return total;
}

/** Output bytes of one compressed block in data[start, end); at most `blockMax`. */
function blockInflatedSize(data: Buffer, start: number, end: number, blockMax: number): number {
  let out = 0;
  let p = start;
  while (p < end) {
    const token = data[p++]!;
    let literals = token >> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (p >= end) throw corrupt('literal length runs past its block');
        b = data[p++]!;
        literals += b;
      } while (b === 255);
    }
    p += literals;
    out += literals;
    if (p > end) throw corrupt('literals run past their block');
    if (p === end) break; // the last sequence carries literals only
    if (p + 2 > end) throw corrupt('sequence runs past its block');
    p += 2; // match offset
    let match = token & 15;
    if (match === 15) {
      let b: number;
      do {
        if (p >= end) throw corrupt('match length runs past its block');
        b = data[p++]!;
        match += b;
      } while (b === 255);
    }
    out += match + MIN_MATCH;
    if (out > blockMax) throw corrupt(`block inflates beyond its ${blockMax} byte maximum`);
  }
  if (out > blockMax) throw corrupt(`block inflates beyond its ${blockMax} byte maximum`);
  return out;
}
