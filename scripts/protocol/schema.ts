/**
 * Loads Apache Kafka's JSON message schemas (clients/src/main/resources/common/message/*.json: JSON with
 * `//` comments) into a normalized model shared by the code generator and the protocol tests.
 *
 * Schema semantics follow Kafka's own generator (generator/src/main/java/org/apache/kafka/message):
 * version ranges "N", "N-M", "N+" and "none"; struct types declared inline (a field with "fields") or in
 * "commonStructs"; tagged fields exist only in flexible versions.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Inclusive version range; max is MAX_VERSION for open ranges ("N+"). */
export interface VersionRange {
  min: number;
  max: number;
}

export const MAX_VERSION = 0x7fff;

export type PrimitiveName =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'uuid'
  | 'bytes'
  | 'records';

export const PRIMITIVES: readonly PrimitiveName[] = [
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'uuid',
  'bytes',
  'records',
];

export type FieldType =
  | { kind: 'primitive'; name: PrimitiveName }
  | { kind: 'struct'; struct: string }
  | { kind: 'array'; element: { kind: 'primitive'; name: PrimitiveName } | { kind: 'struct'; struct: string } };

export interface FieldSpec {
  /** Schema name, PascalCase, e.g. "TopicData". */
  name: string;
  type: FieldType;
  versions: VersionRange | null;
  nullableVersions: VersionRange | null;
  taggedVersions: VersionRange | null;
  tag: number | null;
  /** Overrides the message's flexibleVersions for this field (only the request header's ClientId). */
  flexibleVersions?: VersionRange | null;
  /** The schema's default as written ("-1", "0x7fffffff", "null", "true"), or null when absent. */
  default: string | null;
  ignorable: boolean;
  mapKey: boolean;
  about: string;
}

export interface StructSpec {
  name: string;
  versions: VersionRange | null;
  fields: FieldSpec[];
}

export interface MessageSpec {
  /** e.g. "ProduceRequest". */
  name: string;
  type: 'request' | 'response' | 'header';
  apiKey: number | null;
  validVersions: VersionRange;
  flexibleVersions: VersionRange | null;
  deprecatedVersions: VersionRange | null;
  fields: FieldSpec[];
  /** Every struct type the message uses, in order of first appearance. */
  structs: StructSpec[];
  /** The schema file name, e.g. "ProduceRequest.json". */
  file: string;
}

export interface ApiSpec {
  apiKey: number;
  /** e.g. "Produce". */
  name: string;
  request: MessageSpec;
  response: MessageSpec;
}

/** Removes `//` line comments outside strings so the text parses as JSON. */
export function stripJsonComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else out += c;
  }
  return out;
}

export function parseVersions(spec: unknown, what: string): VersionRange | null {
  if (spec === undefined || spec === null) return null;
  const s = String(spec).trim();
  if (s === 'none' || s === '') return null;
  let m = /^(\d+)\+$/.exec(s);
  if (m) return { min: Number(m[1]), max: MAX_VERSION };
  m = /^(\d+)-(\d+)$/.exec(s);
  if (m) return { min: Number(m[1]), max: Number(m[2]) };
  m = /^(\d+)$/.exec(s);
  if (m) return { min: Number(m[1]), max: Number(m[1]) };
  throw new Error(`${what}: cannot parse version range '${s}'`);
}

export function inRange(r: VersionRange | null, v: number): boolean {
  return r !== null && v >= r.min && v <= r.max;
}

export function intersect(a: VersionRange | null, b: VersionRange | null): VersionRange | null {
  if (a === null || b === null) return null;
  const min = Math.max(a.min, b.min);
  const max = Math.min(a.max, b.max);
  return min <= max ? { min, max } : null;
}

function parseType(raw: string, what: string): FieldType {
  const element = (name: string): { kind: 'primitive'; name: PrimitiveName } | { kind: 'struct'; struct: string } =>
    (PRIMITIVES as readonly string[]).includes(name)
      ? { kind: 'primitive', name: name as PrimitiveName }
      : /^[A-Z][A-Za-z0-9]*$/.test(name)
        ? { kind: 'struct', struct: name }
        : (() => {
            throw new Error(`${what}: unknown type '${name}'`);
          })();
  if (raw.startsWith('[]')) return { kind: 'array', element: element(raw.slice(2)) };
  return element(raw);
}

interface RawField {
  name?: string;
  type?: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  flexibleVersions?: string;
  default?: string | boolean | number;
  ignorable?: boolean;
  mapKey?: boolean;
  about?: string;
  fields?: RawField[];
}

interface RawMessage {
  apiKey?: number;
  type?: string;
  name?: string;
  validVersions?: string;
  flexibleVersions?: string;
  deprecatedVersions?: string;
  fields?: RawField[];
  commonStructs?: { name: string; versions?: string; fields?: RawField[] }[];
}

/** Parses one schema file's text into the model. */
export function parseMessage(text: string, file: string): MessageSpec {
  const raw = JSON.parse(stripJsonComments(text)) as RawMessage;
  if (!raw.name || !raw.type || raw.validVersions === undefined) throw new Error(`${file}: missing name/type/validVersions`);
  if (raw.type !== 'request' && raw.type !== 'response' && raw.type !== 'header') {
    throw new Error(`${file}: unsupported message type '${raw.type}'`);
  }
  const structs = new Map<string, StructSpec>();
  const common = new Map<string, { name: string; versions?: string; fields?: RawField[] }>();
  for (const cs of raw.commonStructs ?? []) common.set(cs.name, cs);

  const convertFields = (fields: RawField[], where: string): FieldSpec[] =>
    fields.map((f) => {
      const what = `${file} ${where}.${f.name ?? '?'}`;
      if (!f.name || !f.type) throw new Error(`${what}: field without name or type`);
      const type = parseType(f.type, what);
      const structName = type.kind === 'struct' ? type.struct : type.kind === 'array' && type.element.kind === 'struct' ? type.element.struct : null;
      const spec: FieldSpec = {
        name: f.name,
        type,
        versions: parseVersions(f.versions, what),
        nullableVersions: parseVersions(f.nullableVersions, what),
        taggedVersions: parseVersions(f.taggedVersions, what),
        tag: f.tag ?? null,
        default: f.default === undefined ? null : String(f.default),
        ignorable: f.ignorable === true,
        mapKey: f.mapKey === true,
        about: (f.about ?? '').trim(),
      };
      if (f.flexibleVersions !== undefined) spec.flexibleVersions = parseVersions(f.flexibleVersions, what);
      if ((spec.tag === null) !== (spec.taggedVersions === null)) throw new Error(`${what}: tag and taggedVersions must come together`);
      if (structName !== null) {
        if (f.fields) {
          if (structs.has(structName) || common.has(structName)) throw new Error(`${what}: struct ${structName} declared twice`);
          // Reserve the name before recursing so structs are listed in order of first appearance.
          const struct: StructSpec = { name: structName, versions: spec.versions, fields: [] };
          structs.set(structName, struct);
          struct.fields = convertFields(f.fields, `${where}.${f.name}`);
        } else if (!structs.has(structName)) {
          const cs = common.get(structName);
          if (!cs) throw new Error(`${what}: unknown struct type ${structName}`);
          const struct: StructSpec = { name: structName, versions: parseVersions(cs.versions ?? '0+', what), fields: [] };
          structs.set(structName, struct);
          struct.fields = convertFields(cs.fields ?? [], structName);
        }
      } else if (f.fields) throw new Error(`${what}: a ${f.type} field cannot have nested fields`);
      return spec;
    });

  const fields = convertFields(raw.fields ?? [], raw.name);
  const validVersions = parseVersions(raw.validVersions, file);
  if (validVersions === null) throw new Error(`${file}: no valid versions`);
  return {
    name: raw.name,
    type: raw.type,
    apiKey: raw.apiKey ?? null,
    validVersions,
    flexibleVersions: parseVersions(raw.flexibleVersions, file),
    deprecatedVersions: parseVersions(raw.deprecatedVersions, file),
    fields,
    structs: [...structs.values()],
    file,
  };
}

/**
 * Loads every request/response schema in `<root>/message` of each root and pairs them by API key, sorted by
 * key. An API described in two roots is an error, so a supplement can never shadow Kafka's own schema.
 */
export function loadApiSpecs(roots: string | readonly string[]): ApiSpec[] {
  const files = (typeof roots === 'string' ? [roots] : roots).flatMap((root) => {
    const dir = path.join(root, 'message');
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => ({ file: f, full: path.join(dir, f) }));
  });
  const requests = new Map<number, MessageSpec>();
  const responses = new Map<number, MessageSpec>();
  for (const { file, full } of files) {
    const message = parseMessage(fs.readFileSync(full, 'utf8'), file);
    if (message.type === 'header') continue;
    if (message.apiKey === null) throw new Error(`${file}: no apiKey`);
    const map = message.type === 'request' ? requests : responses;
    if (map.has(message.apiKey)) throw new Error(`${file}: duplicate ${message.type} for API key ${message.apiKey}`);
    map.set(message.apiKey, message);
  }
  const apis: ApiSpec[] = [];
  for (const [apiKey, request] of requests) {
    const response = responses.get(apiKey);
    if (!response) throw new Error(`${request.file}: no response schema for API key ${apiKey}`);
    if (!request.name.endsWith('Request') || response.name !== request.name.replace(/Request$/, 'Response')) {
      throw new Error(`${request.file}: request/response names do not pair (${request.name}, ${response.name})`);
    }
    apis.push({ apiKey, name: request.name.replace(/Request$/, ''), request, response });
  }
  for (const key of responses.keys()) {
    if (!requests.has(key)) throw new Error(`API key ${key}: response schema without a request`);
  }
  return apis.sort((a, b) => a.apiKey - b.apiKey);
}

/** The vendored schemas (protocol/schemas/message/*.json, Kafka 3.9.0; see protocol/schemas/NOTICE). */
export function defaultSchemaRoot(repoRoot: string): string {
  return path.resolve(repoRoot, 'protocol', 'schemas');
}
