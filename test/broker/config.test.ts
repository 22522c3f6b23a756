import { describe, expect, it } from 'vitest';
import { brokerOptionsHelp, ConfigError, CONFIG_OPTIONS, DEFAULT_CONFIG, parseBrokerArgs, resolveConfig } from '../../src/broker/config.js';

describe('broker config', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      host: '127.0.0.1',
      port: 9092,
      dataDir: './kafkaesque-data',
      advertisedHost: null,
      autoCreateTopics: true,
      numPartitions: 1,
      segmentBytes: 2 ** 30,
      segmentMs: 7 * 86_400_000,
      retentionMs: 7 * 86_400_000,
      retentionBytes: -1,
      retentionCheckIntervalMs: 300_000,
      fsync: 'never',
      maxMessageBytes: 1048588,
      maxRequestSize: 100 * 2 ** 20,
      maxConnections: 1000,
      connectionsMaxIdleMs: 600_000,
      logAppendTime: false,
      logLevel: 'info',
    });
  });

  it('parses flags with size and duration suffixes', () => {
    const c = parseBrokerArgs(['--port', '0', '--data-dir', '/tmp/x', '--segment-bytes', '64k', '--retention-ms', '2h', '--fsync', 'always', '--auto-create-topics', 'false']);
    expect(c).toMatchObject({ port: 0, dataDir: '/tmp/x', segmentBytes: 65536, retentionMs: 7_200_000, fsync: 'always', autoCreateTopics: false, help: false });
  });

  it.each([
    [['--port', '70000'], /--port.*between 0 and 65535/],
    [['--port', 'abc'], /--port.*integer/],
    [['--fsync', 'sometimes'], /never\|interval\|always/],
    [['--segment-bytes', '12q'], /not a number/],
    [['--retention-ms', '-2'], /-1 for unlimited/],
    [['--bogus', '1'], /Unknown option/],
    [['stray'], /positional|Unexpected argument/i],
    [['--max-message-bytes', '200m', '--max-request-size', '100m'], /cannot exceed/],
  ])('rejects %j', (args, message) => {
    expect(() => parseBrokerArgs(args)).toThrow(ConfigError);
    expect(() => parseBrokerArgs(args)).toThrow(message);
  });

  it('rejects unknown keys in library use', () => {
    expect(() => resolveConfig({ prot: 1 } as never)).toThrow(/unknown broker option "prot"/);
  });

  it('help lists every option with its default', () => {
    const help = brokerOptionsHelp();
    for (const o of CONFIG_OPTIONS) expect(help).toContain(`--${o.flag}`);
    expect(help).toMatch(/--segment-bytes.*\[default: 1g\]/);
    expect(help).toMatch(/--port.*\[default: 9092\]/);
  });
});
