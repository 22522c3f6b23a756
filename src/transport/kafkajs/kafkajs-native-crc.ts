/**
 * Makes kafkajs checksum the record batches it produces with the native CRC32C of @node-rs/crc32 instead of
 * its JavaScript loop, which costs about a third of a kafkajs producer's CPU (8 KiB records, 512 KiB batches).
 *
 * kafkajs (2.2.x) has no supported hook for this: its record batch encoder
 * (`src/protocol/recordBatch/v0/index.js`) calls `require('../crc32C')`. kafkajs is CommonJS, so putting a
 * module with the same contract (Buffer in, unsigned 32-bit CRC32C out) into Node's require cache under that
 * file's path, before the encoder is first loaded, is enough. kafkajs loads that encoder lazily, at its first
 * Produce request, so installing when a KafkaJsTransport is created works even after `import 'kafkajs'`.
 * Nothing happens on import: `installNativeCrc32C()` (called by kafkajs-patches.ts) does it, once. If the file
 * is not where kafkajs 2.2 keeps it, or the encoder was loaded already (this kafkajs produced before), nothing
 * is replaced and kafkajs keeps its own (correct, slower) implementation; the status says why.
 *
 * Only the kafkajs this module resolves is touched (the require cache is keyed by file path); another copy of
 * kafkajs elsewhere in node_modules is not.
 */
import Module, { createRequire } from 'node:module';
import { crc32c } from '@node-rs/crc32';

const require = createRequire(import.meta.url);

/** kafkajs's CRC32C module (what `require('../crc32C')` resolves to) and its record batch encoder. */
const CRC_MODULE = 'kafkajs/src/protocol/recordBatch/crc32C/index.js';
const ENCODER_MODULE = 'kafkajs/src/protocol/recordBatch/v0/index.js';

export interface PatchStatus {
  readonly installed: boolean;
  /** Why not, when it is not. */
  readonly reason?: string;
}

let calls = 0;

/** The replacement: the same values as kafkajs's `crc32C/index.js` (unsigned), computed natively. */
export function nativeCrc32C(buffer: Buffer): number {
  calls++;
  return crc32c(buffer);
}

/** Batches kafkajs checksummed through the native function so far (tests use it to see the hook is live). */
export function nativeCrc32CCalls(): number {
  return calls;
}

let status: PatchStatus | undefined;

/** Whether the native CRC32C is installed, without installing it. */
export function nativeCrc32CStatus(): PatchStatus {
  return status ?? { installed: false, reason: 'not requested (no KafkaJsTransport with patchKafkaJs was created)' };
}

/** Installs the native CRC32C into kafkajs's require cache, once; later calls return the first outcome. */
export function installNativeCrc32C(): PatchStatus {
  status ??= install();
  return status;
}

function install(): PatchStatus {
  // The check value of CRC-32C (RFC 3720, B.4): if the native module disagrees, leave kafkajs alone.
  if (crc32c(Buffer.from('123456789')) !== 0xe3069283) return { installed: false, reason: '@node-rs/crc32 crc32c failed its check value' };
  let crcPath: string;
  let encoderPath: string;
  try {
    crcPath = require.resolve(CRC_MODULE);
    encoderPath = require.resolve(ENCODER_MODULE);
  } catch (error) {
    return { installed: false, reason: `kafkajs keeps its CRC32C elsewhere (${(error as Error).message.split('\n')[0]})` };
  }
  if (require.cache[encoderPath]) return { installed: false, reason: 'kafkajs loaded its record batch encoder before the hook was installed (it produced already)' };
  const replacement = new Module(crcPath);
  replacement.filename = crcPath;
  replacement.loaded = true;
  replacement.exports = nativeCrc32C;
  require.cache[crcPath] = replacement;
  return { installed: true };
}
