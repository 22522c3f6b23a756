/**
 * The config model's pieces without a broker: value parsing by Kafka type (property tests), every topic
 * config having a default its own checks accept, and the README naming every config that has no effect.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { javaDouble, parseConfigValue } from '../../../src/broker/config-values.js';
import { canonicalTopicConfig, validateTopicConfigs } from '../../../src/broker/topic-configs.js';
import { TOPIC_CONFIG_DEFS } from '../../../src/broker/topic-config-defs.js';

describe('config values', () => {
  it('canonical forms are fixed points, and longs are exact to Long.MAX', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.constantFrom('', ' ', '  '), (n, pad) => {
        const once = parseConfigValue('x', 'long', `${pad}${n}${pad}`);
        expect(once.text).toBe(n.toString());
        expect(parseConfigValue('x', 'long', once.text).text).toBe(once.text);
      }),
    );
    expect(() => parseConfigValue('x', 'long', '9223372036854775808')).toThrow(/long/);
    expect(() => parseConfigValue('x', 'int', '2147483648')).toThrow(/int/);
    fc.assert(
      fc.property(fc.array(fc.constantFrom('compact', 'delete'), { maxLength: 3 }), (items) => {
        const text = parseConfigValue('x', 'list', items.join(' , ')).text;
        expect(text).toBe(items.join(','));
      }),
    );
    expect(javaDouble(0.5)).toBe('0.5');
    expect(javaDouble(1)).toBe('1.0');
    expect(javaDouble(0.0001)).toBe('1.0E-4');
    expect(parseConfigValue('x', 'boolean', ' TRUE ').text).toBe('true');
  });

  it('every topic config accepts its own default; names are unique', () => {
    expect(new Set(TOPIC_CONFIG_DEFS.map((d) => d.name)).size).toBe(TOPIC_CONFIG_DEFS.length);
    for (const d of TOPIC_CONFIG_DEFS) expect(canonicalTopicConfig(d.name, d.default), d.name).toEqual({ value: d.default });
    const all = validateTopicConfigs(TOPIC_CONFIG_DEFS.map((d) => ({ name: d.name, value: d.default })));
    expect('configs' in all).toBe(true);
  });

  it('the README lists every config that has no effect', () => {
    const readme = fs.readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const d of TOPIC_CONFIG_DEFS.filter((x) => x.effect)) expect(readme, d.name).toContain(`\`${d.name}\``);
  });
});
