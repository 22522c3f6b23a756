/**
 * Makes kafkajs's protocol Encoder grow its buffer without zero-filling it.
 *
 * kafkajs (2.2.x) builds a Produce request in nested Encoders that start small and double as they fill, each
 * time with `Buffer.alloc` (zeroed) — for 8 KiB records that is a 16 KiB zeroed buffer per record and several
 * zeroed megabytes per 512 KiB batch: the largest single cost of a kafkajs producer after its JavaScript CRC32C
 * (see kafkajs-native-crc.ts), about a sixth of its CPU. The zeroes are never seen: every Encoder method writes
 * the bytes before it advances `offset`, growth copies the bytes below `offset`, and `buffer` is
 * `buf.slice(0, offset)`. So growing with `Buffer.allocUnsafe` yields the same bytes.
 *
 * kafkajs has no option for this. The method is replaced on the Encoder's prototype only if its source is
 * exactly kafkajs 2.2's; any other version keeps its own, and `kafkaJsEncoderGrowth` says why.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface KafkaJsEncoder {
  offset: number;
  buf: Buffer;
}
interface KafkaJsEncoderClass {
  prototype: { ensureAvailable(this: KafkaJsEncoder, length: number): void };
  nextPowerOfTwo(value: number): number;
}

/** kafkajs 2.2's method, whitespace aside: what the replacement is known to be equivalent to. */
const KNOWN_SOURCE =
  'ensureAvailable(length) { if (this.offset + length > this.buf.length) { const newLength = Encoder.nextPowerOfTwo(this.offset + length) ' +
  'const newBuffer = Buffer.alloc(newLength) this.buf.copy(newBuffer, 0, 0, this.offset) this.buf = newBuffer } }';

const squash = (source: string) => source.replace(/\s+/g, ' ').trim();

export interface EncoderGrowthStatus {
  readonly installed: boolean;
  readonly reason?: string;
}

/** kafkajs's own method, kept for tests that compare both. */
export let originalEnsureAvailable: ((this: KafkaJsEncoder, length: number) => void) | undefined;

function install(): EncoderGrowthStatus {
  let Encoder: KafkaJsEncoderClass;
  try {
    Encoder = require('kafkajs/src/protocol/encoder.js') as KafkaJsEncoderClass;
  } catch (error) {
    return { installed: false, reason: `kafkajs keeps its Encoder elsewhere (${(error as Error).message.split('\n')[0]})` };
  }
  const original = Encoder.prototype.ensureAvailable;
  if (typeof original !== 'function' || squash(original.toString()) !== KNOWN_SOURCE) {
    return { installed: false, reason: 'kafkajs\'s Encoder.ensureAvailable is not the one this replacement was checked against' };
  }
  originalEnsureAvailable = original;
  Encoder.prototype.ensureAvailable = function ensureAvailable(this: KafkaJsEncoder, length: number): void {
    if (this.offset + length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(this.offset + length));
      this.buf.copy(grown, 0, 0, this.offset);
      this.buf = grown;
    }
  };
  return { installed: true };
}

export const kafkaJsEncoderGrowth: EncoderGrowthStatus = install();
