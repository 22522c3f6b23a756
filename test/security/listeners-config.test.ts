/** `--listeners` / `--advertised-listeners` parsing and checks, the bind warning, and the SCRAM primitives. */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { resolveConfig } from '../../src/broker/config.js';
import { advertisedByListener, checkListenerRequirements, configuredListeners, parseListenerList } from '../../src/broker/security/listeners.js';
import { parseSaslMechanisms } from '../../src/broker/security/sasl-session.js';
import { decodeSaslName, encodeSaslName } from '../../src/protocol/sasl-scram.js';
import { securityFromFlags } from '../../src/client/security.js';
import { startTestBroker } from '../broker/helpers.js';

describe('listeners', () => {
  it('parses PROTOCOL://HOST:PORT lists, IPv6 and an empty host', () => {
    expect(parseListenerList('PLAINTEXT://127.0.0.1:9092, sasl_ssl://[::1]:9093,SSL://:9094', 'listeners')).toEqual([
      { protocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 },
      { protocol: 'SASL_SSL', host: '::1', port: 9093 },
      { protocol: 'SSL', host: '0.0.0.0', port: 9094 },
    ]);
    expect(configuredListeners(resolveConfig({ host: '127.0.0.2', port: 1234 }))).toEqual([{ protocol: 'PLAINTEXT', host: '127.0.0.2', port: 1234 }]);
  });

  it.each([
    ['PLAINTEXT://127.0.0.1', /PROTOCOL:\/\/HOST:PORT/],
    ['HTTP://127.0.0.1:80', /unknown protocol "HTTP"/],
    ['SSL://a:1,SSL://b:2', /SSL is listed twice/],
    ['PLAINTEXT://a:70000', /above 65535/],
    ['', /no listener given/],
  ])('refuses %j', (text, message) => {
    expect(() => parseListenerList(text, 'listeners')).toThrow(message);
  });

  it('advertised listeners must name configured listeners and a reachable host', () => {
    const config = resolveConfig({ listeners: 'PLAINTEXT://0.0.0.0:9092', advertisedListeners: 'SASL_SSL://x:1' });
    expect(() => advertisedByListener(config, configuredListeners(config))).toThrow(/SASL_SSL is not among the listeners/);
    const wildcard = resolveConfig({ listeners: 'PLAINTEXT://0.0.0.0:9092', advertisedListeners: 'PLAINTEXT://0.0.0.0:9092' });
    expect(() => advertisedByListener(wildcard, configuredListeners(wildcard))).toThrow(/cannot connect to/);
  });

  it('TLS listeners need a certificate and key; client auth needs a CA', () => {
    const config = resolveConfig({ listeners: 'SASL_SSL://127.0.0.1:0' });
    expect(() => checkListenerRequirements(config, configuredListeners(config))).toThrow(/need --ssl-cert and --ssl-key/);
    const mtls = resolveConfig({ listeners: 'SSL://127.0.0.1:0', sslCert: 'c', sslKey: 'k', sslClientAuth: 'required' });
    expect(() => checkListenerRequirements(mtls, configuredListeners(mtls))).toThrow(/needs --ssl-ca/);
    expect(() => parseSaslMechanisms('PLAIN,GSSAPI')).toThrow(/unknown mechanism "GSSAPI"/);
  });

  it('binding a non-loopback address without authentication logs one warning; loopback does not', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) }));
    const open = await startTestBroker({ host: '0.0.0.0', logger });
    await open.stop();
    expect(lines.filter((l) => l.includes('has no authentication'))).toHaveLength(1);
    lines.length = 0;
    const local = await startTestBroker({ logger });
    await local.stop();
    expect(lines.filter((l) => l.includes('has no authentication'))).toHaveLength(0);
  });
});

describe('SCRAM names and client flags', () => {
  it('saslname escapes round-trip', () => {
    for (const name of ['alice', 'a,b', 'x=y', '=2C', ',=,']) expect(decodeSaslName(encodeSaslName(name))).toBe(name);
    expect(() => decodeSaslName('bad=41')).toThrow();
  });

  it('security flags: the password only from a file or the environment, flags must match the protocol', () => {
    expect(securityFromFlags({})).toEqual({});
    expect(securityFromFlags({ 'security-protocol': 'SASL_PLAINTEXT', 'sasl-username': 'u' }, { KAFKAESQUE_SASL_PASSWORD: 'p' })).toEqual({ sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' } });
    expect(() => securityFromFlags({ 'security-protocol': 'SASL_SSL', 'sasl-username': 'u' }, {})).toThrow(/KAFKAESQUE_SASL_PASSWORD/);
    expect(() => securityFromFlags({ 'sasl-username': 'u' }, {})).toThrow(/needs --security-protocol SASL_PLAINTEXT or SASL_SSL/);
    expect(() => securityFromFlags({ 'ssl-ca': 'x' }, {})).toThrow(/needs --security-protocol SSL or SASL_SSL/);
    expect(() => securityFromFlags({ 'security-protocol': 'SASL_PLAINTEXT', 'sasl-username': 'u', 'sasl-mechanism': 'GSSAPI' }, { KAFKAESQUE_SASL_PASSWORD: 'p' })).toThrow(/--sasl-mechanism/);
  });
});
