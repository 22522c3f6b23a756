/**
 * librdkafka through kcat: metadata, and thousands of messages produced and consumed with every codec.
 * Skips with a visible reason when kcat is missing locally; in CI (CI set) a missing kcat fails.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKcat, readAll, startTestBroker, type TestBroker } from './helpers.js';

const run = promisify(execFile);
const available = hasKcat();
if (!available) console.warn('SKIPPING kcat tests: kcat is not installed (apt-get install kcat)');

function kcatProduce(args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${err}`))));
    p.stdin.end(input);
  });
}

let broker: TestBroker;
beforeAll(async () => {
  if (available) broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

describe.skipIf(!available)('kcat (librdkafka)', () => {
  it('kcat -L lists this broker as controller', async () => {
    const { stdout } = await run('kcat', ['-L', '-b', broker.address]);
    expect(stdout).toContain(`broker 0 at ${broker.host}:${broker.port} (controller)`);
  });

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('produces and consumes 5,000 messages with %s', async (codec) => {
    const topic = `kcat-${codec}`;
    const lines = Array.from({ length: 5000 }, (_, i) => `${codec} message ${i} ${'payload'.repeat(i % 13)}`);
    await kcatProduce(['-P', '-b', broker.address, '-t', topic, '-z', codec, '-X', 'linger.ms=5'], lines.join('\n') + '\n');
    const { stdout } = await run('kcat', ['-C', '-b', broker.address, '-t', topic, '-o', 'beginning', '-e', '-q'], { maxBuffer: 64 << 20 });
    expect(stdout.trimEnd().split('\n')).toEqual(lines);
    // What librdkafka wrote is what our own decoder reads.
    expect((await readAll(broker, topic)).map((r) => r.value)).toEqual(lines);
  });

  it('keys and offsets survive the round trip', async () => {
    await kcatProduce(['-P', '-b', broker.address, '-t', 'kcat-keys', '-K', ':'], 'k1:v1\nk2:v2\nk3:v3\n');
    const { stdout } = await run('kcat', ['-C', '-b', broker.address, '-t', 'kcat-keys', '-o', '1', '-e', '-q', '-f', '%o %k %s\n']);
    expect(stdout.trim().split('\n')).toEqual(['1 k2 v2', '2 k3 v3']);
  });
});
