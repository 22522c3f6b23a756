import { decompressFrameSync } from 'lz4-napi';
import { lz4ZeroBomb } from '../test/broker/limits/produce-helpers.ts';
import { lz4InflatedSize } from '../src/protocol/compression/lz4-frame-size.ts';
for (const n of [10, 11, 24, 25, 26, 100, 70000, 4 * 1024 * 1024, 5_000_000, 20_000_000]) {
  const f = lz4ZeroBomb(n);
  const out = decompressFrameSync(f);
  console.log(n, f.length, out.length, out.every((b) => b === 0), lz4InflatedSize(f, 1e9));
}
console.log('1.8GB bomb size', lz4ZeroBomb(1800 * 1024 * 1024).length);
