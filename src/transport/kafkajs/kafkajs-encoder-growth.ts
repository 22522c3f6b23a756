/**
 * Makes kafkajs's protocol Encoder grow its buffer without zero-filling it.
 *
 * kafkajs (2.2.x) builds every request in nested Encoders that start small and double as they fill, each
 * time with `Buffer.alloc` (zeroed) — for 8 KiB records that is a 16 KiB zeroed buffer per record and several
 * zeroed megabytes per 512 KiB batch: the largest single cost of a kafkajs producer after its JavaScript CRC32C
 * (see kafkajs-native-crc.ts), about a sixth of its CPU. The zeroes are never seen: every Encoder method writes
 * the bytes before it advances `offset`, growth copies the bytes below `offset`, `buffer` is
 * `buf.slice(0, offset)`, and no other kafkajs 2.2 module reads `buf` (`writeEncoder` only checks that it is a
 * Buffer). So growing with `Buffer.allocUnsafe` yields the same bytes.
 *
 * That argument rests on every method of the Encoder, so the guard checks all of them: each method, accessor
 * and static function on the live class must be kafkajs 2.2's (source fingerprints below; a method added or
 * changed by another version, or replaced by someone else, refuses the patch and names it), and so must the
 * class text (its constructor). Nothing happens on import: `installEncoderGrowth()` (kafkajs-patches.ts) does
 * it, once, on the Encoder of the kafkajs this module resolves.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { PatchStatus } from './kafkajs-native-crc.js';

const require = createRequire(import.meta.url);

interface KafkaJsEncoder {
  offset: number;
  buf: Buffer;
}
type EnsureAvailable = (this: KafkaJsEncoder, length: number) => void;
interface KafkaJsEncoderClass {
  prototype: { ensureAvailable: EnsureAvailable };
  nextPowerOfTwo(value: number): number;
}

/**
 * kafkajs 2.2.4's Encoder: the first 16 hex digits of the SHA-256 of each member's source, whitespace squashed.
 * `class` is the whole class text (constructor included); the rest are the live members.
 */
export const KNOWN_ENCODER: Readonly<Record<string, string>> = {
  class: 'd8be4fb0057ca3ab',
  writeBufferInternal: '984760411c99921b',
  ensureAvailable: '20fac0be7e17bfc1',
  'get buffer': '8fad655567140e9d',
  writeInt8: '5f8c7d2ed6b94bcb',
  writeInt16: '25005cf587e4c6c2',
  writeInt32: '0fbbafc90520644d',
  writeUInt32: '99471d3de8c81f88',
  writeInt64: 'e5fa0464ebc939cf',
  writeDouble: '2c504210a343f5f9',
  writeBoolean: '6e2368659f74f39b',
  writeString: 'f4bab123b53063dc',
  writeVarIntString: '284e118be8a5a9f4',
  writeUVarIntString: '97be033d1de31190',
  writeBytes: '111fa4aea8e4d67e',
  writeVarIntBytes: '78c674a7b584a7a7',
  writeUVarIntBytes: '60e5fa8327e6dd12',
  writeEncoder: '8355cf7ee4119eb1',
  writeEncoderArray: '1bcfbd16c297da3c',
  writeBuffer: 'ec1833b31a591270',
  writeNullableArray: 'eef34d515c1c3bc1',
  writeArray: '027355e818b51f7b',
  writeVarIntArray: '71663661e02856a8',
  writeUVarIntArray: 'ed2f82c6adaa27d3',
  writeVarInt: '7288ac48377aa9e6',
  writeUVarInt: 'bfbe86944757e5d6',
  writeVarLong: '318f912bdde060b4',
  size: 'eb4e06c49e3ccbbd',
  toJSON: '37754c1c1b371894',
  'static encodeZigZag': 'ffc43dc5c4e43deb',
  'static encodeZigZag64': '6a4c155af31266cf',
  'static sizeOfVarInt': '858c3e6dc14cce44',
  'static sizeOfVarLong': '8b20a0fab71b4f40',
  'static sizeOfVarIntBytes': 'b3acca62a69c19d9',
  'static nextPowerOfTwo': 'c397fbc66b3afdc2',
};

const fingerprint = (source: string): string => createHash('sha256').update(source.replace(/\s+/g, ' ').trim()).digest('hex').slice(0, 16);

/** Every member of the live class with its fingerprint, named as in KNOWN_ENCODER. */
export function encoderFingerprints(Encoder: Function): Record<string, string> {
  const out: Record<string, string> = { class: fingerprint(Function.prototype.toString.call(Encoder)) };
  const proto = (Encoder as { prototype: object }).prototype;
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(proto, name)!;
    if (d.get) out[`get ${name}`] = fingerprint(d.get.toString());
    if (d.set) out[`set ${name}`] = fingerprint(d.set.toString());
    if (typeof d.value === 'function') out[name] = fingerprint((d.value as Function).toString());
    else if (!d.get && !d.set) out[`field ${name}`] = 'not a method';
  }
  for (const name of Object.getOwnPropertyNames(Encoder)) {
    const value = (Encoder as unknown as Record<string, unknown>)[name];
    if (typeof value === 'function') out[`static ${name}`] = fingerprint(value.toString());
  }
  return out;
}

/** The members that differ from kafkajs 2.2.4's (added, missing or changed); empty when all match. */
export function encoderDifferences(actual: Readonly<Record<string, string>>, known: Readonly<Record<string, string>> = KNOWN_ENCODER): string[] {
  const names = new Set([...Object.keys(known), ...Object.keys(actual)]);
  return [...names].filter((name) => actual[name] !== known[name]).sort();
}

/** Why the growth patch must not be installed on this Encoder, or undefined if it may. */
export function encoderGuard(Encoder: Function, kafkaJsVersion: string): string | undefined {
  // Other modules could start reading `buf` in another version even if the Encoder stayed the same.
  if (!/^2\.2\./.test(kafkaJsVersion)) return `kafkajs ${kafkaJsVersion} is not 2.2.x, the version whose modules were checked`;
  const differences = encoderDifferences(encoderFingerprints(Encoder));
  if (differences.length > 0) return `kafkajs's Encoder differs from the one this replacement was checked against in: ${differences.join(', ')}`;
  return undefined;
}

/** kafkajs's own method, kept for tests that compare both. */
export let originalEnsureAvailable: EnsureAvailable | undefined;

/** The replacement: kafkajs's growth, without zero-filling the new buffer. */
function growthFor(Encoder: KafkaJsEncoderClass): EnsureAvailable {
  return function ensureAvailable(this: KafkaJsEncoder, length: number): void {
    if (this.offset + length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(this.offset + length));
      this.buf.copy(grown, 0, 0, this.offset);
      this.buf = grown;
    }
  };
}

let status: PatchStatus | undefined;

/** Whether the growth patch is installed, without installing it. */
export function encoderGrowthStatus(): PatchStatus {
  return status ?? { installed: false, reason: 'not requested (no KafkaJsTransport with patchKafkaJs was created)' };
}

/** Replaces kafkajs's Encoder growth if every member is kafkajs 2.2.4's, once; later calls return the first outcome. */
export function installEncoderGrowth(): PatchStatus {
  status ??= install();
  return status;
}

function install(): PatchStatus {
  let Encoder: KafkaJsEncoderClass;
  let version: string;
  try {
    Encoder = require('kafkajs/src/protocol/encoder.js') as KafkaJsEncoderClass;
    version = (require('kafkajs/package.json') as { version: string }).version;
  } catch (error) {
    return { installed: false, reason: `kafkajs keeps its Encoder elsewhere (${(error as Error).message.split('\n')[0]})` };
  }
  const refused = encoderGuard(Encoder as unknown as Function, version);
  if (refused) return { installed: false, reason: refused };
  originalEnsureAvailable = Encoder.prototype.ensureAvailable;
  Encoder.prototype.ensureAvailable = growthFor(Encoder);
  return { installed: true };
}
