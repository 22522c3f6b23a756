/**
 * Other real clients against SASL listeners: kcat (librdkafka) over SASL_SSL with SCRAM-SHA-512,
 * @platformatic/kafka with SCRAM and PLAIN, our own wire transport (capture and replay) over SASL_SSL, the
 * kafkajs transport and the `topics` CLI with kcat-like flags, and the broker's ready lines per listener.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureFrom } from '../../src/capture/capture.js';
import { messages, progress, type Event } from '../../src/dataflow/event.js';
import { replay } from '../../src/replay/replay.js';
import { KafkaJsTransport } from '../../src/transport/kafkajs/kafkajs-transport.js';
import { WireTransport } from '../../src/transport/wire/wire-transport.js';
import { readyLines } from '../../src/cli/broker.js';
import { collect as collectEvents, extract } from '../replay/helpers.js';
import { hasKcat, startTestBroker, tempDir, type TestBroker } from '../broker/helpers.js';
import { collect, runCli } from '../broker/child.js';
import { hasOpenssl, makeCerts, type TestCerts } from './certs.js';

const run = promisify(execFile);
const available = hasOpenssl();
const kcat = available && hasKcat();
let broker: TestBroker;
let certs: TestCerts;
let dir: string;

beforeAll(async () => {
  if (!available) return;
  dir = tempDir();
  certs = makeCerts(dir);
  const users = path.join(dir, 'users.json');
  fs.writeFileSync(users, JSON.stringify({ alice: 'alice-secret' }));
  fs.writeFileSync(path.join(dir, 'password'), 'alice-secret\n');
  broker = await startTestBroker({ listeners: 'SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0', sslCert: certs.serverCert, sslKey: certs.serverKey, usersFile: users });
}, 60_000);
afterAll(async () => {
  await broker?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function address(protocol: string): string {
  const l = broker.listeners.find((x) => x.protocol === protocol)!;
  return `${l.host}:${l.port}`;
}

function events(epochs: number): Event<number, number>[] {
  const out: Event<number, number>[] = [];
  for (let t = 0; t < epochs; t++) {
    out.push(messages(t, Float64Array.from({ length: 500 }, (_, i) => t * 1000 + i)));
    out.push(progress(t + 1 < epochs ? [[t, -1], [t + 1, 1]] : [[t, -1]]));
  }
  return out;
}

describe.skipIf(!kcat)('kcat (librdkafka) over SASL_SSL', () => {
  it('produces and consumes with SCRAM-SHA-512, trusting the openssl-made CA', async () => {
    const common = ['-b', address('SASL_SSL'), '-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanism=SCRAM-SHA-512', '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-secret', '-X', `ssl.ca.location=${certs.caCert}`];
    await new Promise<void>((resolve, reject) => {
      const p = spawn('kcat', [...common, '-P', '-t', 'kcat-sasl'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${err}`))));
      p.stdin.end(Array.from({ length: 100 }, (_, i) => `m${i}`).join('\n') + '\n');
    });
    const { stdout } = await run('kcat', [...common, '-C', '-t', 'kcat-sasl', '-o', 'beginning', '-e', '-q']);
    expect(stdout.trim().split('\n')).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
  }, 30_000);

  it('a wrong password is refused', async () => {
    const r = await run('kcat', ['-b', address('SASL_SSL'), '-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanism=SCRAM-SHA-512', '-X', 'sasl.username=alice', '-X', 'sasl.password=nope', '-X', `ssl.ca.location=${certs.caCert}`, '-L', '-m', '3']).then(
      () => null,
      (e: { stderr: string }) => e.stderr,
    );
    expect(r).toMatch(/Authentication failed|SASL authentication error/i);
  }, 30_000);
});

describe.skipIf(!available)('other clients', () => {
  it('@platformatic/kafka authenticates with SCRAM-SHA-256 over SASL_SSL and PLAIN over SASL_PLAINTEXT', async () => {
    const tls = { ca: fs.readFileSync(certs.caCert), servername: 'localhost' };
    const admin = new Admin({ clientId: 'plt', bootstrapBrokers: [address('SASL_SSL')], tls, sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-secret' } });
    await admin.createTopics({ topics: ['plt-sasl'], partitions: 1, replicas: 1 });
    expect(await admin.listTopics()).toContain('plt-sasl');
    await admin.close();
    const producer = new Producer({ clientId: 'plt', bootstrapBrokers: [address('SASL_PLAINTEXT')], serializers: stringSerializers, sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } });
    const result = await producer.send({ messages: [{ topic: 'plt-sasl', value: 'v' }] });
    expect(result.offsets?.map((o) => Number(o.offset))).toEqual([0]);
    await producer.close();
  }, 30_000);

  it('our wire transport captures and replays over SASL_SSL with SCRAM-SHA-512', async () => {
    const security = { ssl: { ca: fs.readFileSync(certs.caCert) }, sasl: { mechanism: 'SCRAM-SHA-512' as const, username: 'alice', password: 'alice-secret' } };
    const transport = new WireTransport({ brokers: [address('SASL_SSL')], ...security });
    try {
      const input = events(3);
      await captureFrom(input, await transport.pusher<number, number>('wire-sasl-0'));
      const out = await collectEvents(replay([transport.iterator<number, number>('wire-sasl-0')]));
      expect(extract(out)).toEqual(extract(input));
    } finally {
      await transport.close();
    }
    const wrong = new WireTransport({ brokers: [address('SASL_SSL')], ...security, sasl: { ...security.sasl, password: 'nope' } });
    await expect(wrong.pusher('wire-sasl-1')).rejects.toThrow(/SASL_AUTHENTICATION_FAILED/);
    await wrong.close();
  }, 30_000);

  it('the kafkajs transport hands ssl/sasl to kafkajs', async () => {
    const transport = new KafkaJsTransport({ brokers: [address('SASL_SSL')], ssl: { ca: fs.readFileSync(certs.caCert), servername: 'localhost' }, sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-secret' } });
    try {
      const input = events(2);
      await captureFrom(input, await transport.pusher<number, number>('kjs-sasl-0'));
      const out = await collectEvents(replay([transport.iterator<number, number>('kjs-sasl-0')]));
      expect(extract(out)).toEqual(extract(input));
    } finally {
      await transport.close();
    }
  }, 30_000);

  it('the topics CLI takes kcat-like flags; the password only from a file or the environment', async () => {
    const flags = ['--brokers', address('SASL_SSL'), '--security-protocol', 'SASL_SSL', '--sasl-mechanism', 'SCRAM-SHA-512', '--sasl-username', 'alice', '--ssl-ca', certs.caCert];
    const created = await collect(runCli(['topics', 'create', 'cli-sasl', ...flags, '--sasl-password-file', path.join(dir, 'password')]));
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const listed = await collect(runCli(['topics', 'list', '--json', ...flags, '--sasl-password-file', path.join(dir, 'password')]));
    expect(JSON.parse(listed.stdout).map((t: { name: string }) => t.name)).toContain('cli-sasl');
    const noPassword = await collect(runCli(['topics', 'list', ...flags]));
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toMatch(/--sasl-password-file FILE or the environment variable KAFKAESQUE_SASL_PASSWORD/);
    const bareFlag = await collect(runCli(['topics', 'list', ...flags, '--sasl-password', 'alice-secret']));
    expect(bareFlag.code).toBe(2);
  }, 60_000);
});

describe('ready lines', () => {
  it('one PLAINTEXT listener keeps the historical line; several get one line each with the protocol', () => {
    expect(readyLines([{ protocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }])).toBe('kafkaesque broker listening on 127.0.0.1:9092\n');
    expect(readyLines([{ protocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }, { protocol: 'SASL_SSL', host: '0.0.0.0', port: 9093 }])).toBe(
      'kafkaesque broker listening on 127.0.0.1:9092 (PLAINTEXT)\nkafkaesque broker listening on 0.0.0.0:9093 (SASL_SSL)\n',
    );
    expect(readyLines([{ protocol: 'SSL', host: '127.0.0.1', port: 9093 }])).toBe('kafkaesque broker listening on 127.0.0.1:9093 (SSL)\n');
  });
});
