/**
 * Parsing and printing config values by Kafka's config types (ConfigDef.Type), so a value given as
 * " 100 " or "TRUE" is checked as Kafka checks it and stored and described in Kafka's canonical form
 * ("100", "true", "compact,delete", "0.5"). Long values are checked with BigInt: Long.MAX
 * (9223372036854775807) is a common value (flush.ms, max.compaction.lag.ms) and exceeds a JS number.
 */

/** DescribeConfigs ConfigType values (KIP-569). */
export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 } as const;
export type ConfigTypeName = 'boolean' | 'string' | 'int' | 'long' | 'double' | 'list';

export const TYPE_CODE: Record<ConfigTypeName, number> = {
  boolean: ConfigType.BOOLEAN,
  string: ConfigType.STRING,
  int: ConfigType.INT,
  long: ConfigType.LONG,
  double: ConfigType.DOUBLE,
  list: ConfigType.LIST,
};

export const LONG_MAX = 9223372036854775807n;
const LONG_MIN = -9223372036854775808n;
const INT_MAX = 2147483647n;
const INT_MIN = -2147483648n;

/** A config value that does not parse or is out of range; the message names the config and what is allowed. */
export class ConfigValueError extends Error {}

function fail(name: string, value: string, why: string): never {
  throw new ConfigValueError(`invalid value '${value}' for config ${name}: ${why}`);
}

function parseWhole(name: string, value: string, min: bigint, max: bigint, typeName: string): bigint {
  const t = value.trim();
  if (!/^[+-]?\d+$/.test(t)) fail(name, value, `not a number of type ${typeName}`);
  const n = BigInt(t);
  if (n < min || n > max) fail(name, value, `not a number of type ${typeName}`);
  return n;
}

/** Java's Double.toString for the values configs use: 0.5 -> "0.5", 1 -> "1.0", 1e-4 -> "1.0E-4". */
export function javaDouble(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e7) return `${n}.0`;
  const abs = Math.abs(n);
  if (abs >= 1e-3 && abs < 1e7) return String(n);
  const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
  const m = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return `${m}E${exponent.replace('+', '')}`;
}

/** The canonical string of a value of `type`, or ConfigValueError. Numbers are returned for range checks. */
export function parseConfigValue(name: string, type: ConfigTypeName, value: string): { text: string; number?: bigint | number; list?: string[] } {
  switch (type) {
    case 'boolean': {
      const t = value.trim().toLowerCase();
      if (t !== 'true' && t !== 'false') fail(name, value, 'expected true or false');
      return { text: t };
    }
    case 'string':
      return { text: value.trim() };
    case 'int': {
      const n = parseWhole(name, value, INT_MIN, INT_MAX, 'int');
      return { text: n.toString(), number: n };
    }
    case 'long': {
      const n = parseWhole(name, value, LONG_MIN, LONG_MAX, 'long');
      return { text: n.toString(), number: n };
    }
    case 'double': {
      const t = value.trim();
      const n = Number(t);
      if (t === '' || !Number.isFinite(n)) fail(name, value, 'not a number of type double');
      return { text: javaDouble(n), number: n };
    }
    case 'list': {
      const items = value.trim() === '' ? [] : value.split(',').map((s) => s.trim());
      return { text: items.join(','), list: items };
    }
  }
}
