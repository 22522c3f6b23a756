/**
 * Schema-driven test helpers: the normalized Kafka schema model (loaded from the vendored schemas in
 * protocol/schemas with the generator's own loader), fast-check arbitraries
 * for any message/version, and the value a decoder must return for a generated value.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { defaultSchemaRoot, inRange, loadApiSpecs, type ApiSpec, type FieldSpec, type FieldType, type MessageSpec } from '../../../scripts/protocol/schema.js';
import { codecByApiKey } from '../../../src/protocol/messages/index.js';
import type { ApiCodec } from '../../../src/protocol/codec.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const schemaRoot = defaultSchemaRoot(repoRoot);

export function loadSchemas(): ApiSpec[] {
  return loadApiSpecs(schemaRoot);
}

export function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export interface Case {
  api: ApiSpec;
  codec: ApiCodec<unknown, unknown>;
  message: MessageSpec;
  direction: 'request' | 'response';
  version: number;
}

/** Every (API, version, direction) combination. */
export function allCases(apis: ApiSpec[]): Case[] {
  const cases: Case[] = [];
  for (const api of apis) {
    const codec = codecByApiKey.get(api.apiKey);
    if (!codec) throw new Error(`no codec for ${api.name}`);
    for (const direction of ['request', 'response'] as const) {
      const message = api[direction];
      for (let v = message.validVersions.min; v <= message.validVersions.max; v++) {
        cases.push({ api, codec, message, direction, version: v });
      }
    }
  }
  return cases;
}

export function encode(c: Case, value: unknown, w: import('../../../src/protocol/primitives.js').Writer): void {
  if (c.direction === 'request') c.codec.writeRequest(w, c.version, value);
  else c.codec.writeResponse(w, c.version, value);
}

export function decode(c: Case, r: import('../../../src/protocol/primitives.js').Reader): unknown {
  return c.direction === 'request' ? c.codec.readRequest(r, c.version) : c.codec.readResponse(r, c.version);
}

function structFields(message: MessageSpec, name: string): FieldSpec[] {
  const s = message.structs.find((x) => x.name === name);
  if (!s) throw new Error(`${message.name}: no struct ${name}`);
  return s.fields;
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** The value a field takes when absent (an independent reading of Kafka's default rules). */
export function defaultValue(message: MessageSpec, f: FieldSpec): unknown {
  const d = f.default;
  const nullable = f.nullableVersions !== null;
  const t = f.type;
  if (t.kind === 'array') return nullable && d === 'null' ? null : [];
  if (t.kind === 'struct') {
    if (nullable && d === 'null') return null;
    return Object.fromEntries(structFields(message, t.struct).map((g) => [camel(g.name), defaultValue(message, g)]));
  }
  switch (t.name) {
    case 'bool':
      return d === 'true';
    case 'int64':
      return BigInt(d === null || d === '' ? 0 : d);
    case 'string':
      return nullable && d === 'null' ? null : (d ?? '');
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
      return nullable && d === 'null' ? null : Buffer.alloc(0);
    case 'records':
      return null;
    default:
      return d === null || d === '' ? 0 : Number(d);
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function primitiveArb(name: string): fc.Arbitrary<unknown> {
  switch (name) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'uint32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double();
    case 'string':
      return fc.oneof({ arbitrary: fc.string({ maxLength: 8 }), weight: 3 }, { arbitrary: fc.string({ unit: 'grapheme', maxLength: 50 }), weight: 1 });
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
        const h = hex(b);
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      });
    case 'bytes':
    case 'records':
      // Mostly small; sometimes past the Writer's by-reference threshold (4 KiB), cheaply filled.
      return fc.oneof(
        { arbitrary: fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)), weight: 9 },
        { arbitrary: fc.integer({ min: 4090, max: 5000 }).map((n) => Buffer.alloc(n, n & 0xff)), weight: 1 },
      );
    default:
      throw new Error(`no arbitrary for ${name}`);
  }
}

/**
 * Arbitrary full values of a struct: every field gets a random value, including fields absent in the
 * version (the encoder must ignore those); null only where the field is nullable in `version`.
 */
export function structArb(message: MessageSpec, fields: FieldSpec[], version: number, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) record[camel(f.name)] = fieldArb(message, f, version, depth);
  return fc.record(record);
}

function fieldArb(message: MessageSpec, f: FieldSpec, version: number, depth: number): fc.Arbitrary<unknown> {
  const nullable = inRange(f.nullableVersions, version) || (f.type.kind === 'primitive' && f.type.name === 'records' && !inRange(f.versions, version));
  const base = typeArb(message, f.type, version, depth);
  return nullable ? fc.option(base, { nil: null, freq: 4 }) : base;
}

function typeArb(message: MessageSpec, t: FieldType, version: number, depth: number): fc.Arbitrary<unknown> {
  if (t.kind === 'primitive') return primitiveArb(t.name);
  if (t.kind === 'struct') return structArb(message, structFields(message, t.struct), version, depth + 1);
  const element = t.element.kind === 'primitive' ? primitiveArb(t.element.name) : structArb(message, structFields(message, t.element.struct), version, depth + 1);
  return fc.array(element, { maxLength: depth > 1 ? 2 : 3 });
}

export function messageArb(c: Case): fc.Arbitrary<Record<string, unknown>> {
  return structArb(c.message, c.message.fields, c.version);
}

/** What decode(encode(value)) must return: fields absent in the version replaced by their defaults. */
export function normalize(message: MessageSpec, fields: FieldSpec[], version: number, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const key = camel(f.name);
    if (!inRange(f.versions, version)) {
      out[key] = defaultValue(message, f);
      continue;
    }
    const v = value[key];
    const t = f.type;
    if (v === null) out[key] = null;
    else if (t.kind === 'struct') out[key] = normalize(message, structFields(message, t.struct), version, v as Record<string, unknown>);
    else if (t.kind === 'array' && t.element.kind === 'struct') {
      const fieldsOf = structFields(message, t.element.struct);
      out[key] = (v as Record<string, unknown>[]).map((e) => normalize(message, fieldsOf, version, e));
    } else out[key] = v;
  }
  return out;
}

/** Buffers as tagged hex strings, so deep equality stays fast on big byte fields. */
export function canon(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return `bytes:${value.toString('hex')}`;
  if (Array.isArray(value)) return value.map(canon);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canon(v)]));
  }
  return value;
}
