import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { lz4InflatedSize } from '/work/wt-h2-produce-validation/src/protocol/compression/lz4-frame-size.ts';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
for (const n of [0, 1, 10, 1000, 65536, 65537, 300000, 5_000_000]) {
  const data = Buffer.concat([randomBytes(n >> 2), Buffer.alloc(n - (n >> 2), 7)]);
  const c = compressFrameSync(data);
  const s = lz4InflatedSize(c, 1e9);
  // lz4 CLI writes linked blocks, content checksums, maybe content size
  const c2 = execFileSync('lz4', ['-c', '-BD', '--content-size'], { input: data, maxBuffer: 1e9 });
  const s2 = lz4InflatedSize(c2, 1e9);
  const c3 = execFileSync('lz4', ['-c', '-9', '-BX'], { input: data, maxBuffer: 1e9 });
  const s3 = lz4InflatedSize(c3, 1e9);
  console.log(n, s, s2, s3, decompressFrameSync(c2).length, decompressFrameSync(c3).length);
}
// concatenated frames
const two = Buffer.concat([compressFrameSync(Buffer.from('hello')), compressFrameSync(Buffer.from('world!'))]);
console.log('two', lz4InflatedSize(two, 100), decompressFrameSync(two).length);
try { lz4InflatedSize(compressFrameSync(Buffer.alloc(1e6)), 1000); } catch (e) { console.log((e as Error).message, (e as any).tooLarge); }
