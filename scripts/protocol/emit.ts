/**
 * Emits one TypeScript module per API (request and response together) from the schema model.
 *
 * Generated decoders read fields in schema order with a version check per field (cheap, predictable
 * branches), build each struct as one object literal (a stable hidden class), and pass every read the field
 * path so a malformed message fails with a ProtocolDecodeError that names it.
 */
import {
  MAX_VERSION,
  intersect,
  inRange,
  type ApiSpec,
  type FieldSpec,
  type FieldType,
  type MessageSpec,
  type PrimitiveName,
  type StructSpec,
  type VersionRange,
} from './schema.js';

export const GENERATOR = 'scripts/generate-protocol.ts';

export function kebabCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** TypeScript interface name of a struct: prefixed by its message so request and response never clash. */
export function structTypeName(message: MessageSpec, struct: string): string {
  const api = message.name.replace(/(Request|Response)$/, '');
  // Only strip whole words: FetchableTopicResponse must not become FetchResponseableTopicResponse.
  const wordAfter = (prefix: string): boolean => struct.startsWith(prefix) && /^[A-Z]/.test(struct.slice(prefix.length));
  if (wordAfter(message.name)) return struct;
  if (wordAfter(api)) return message.name + struct.slice(api.length);
  return message.name + struct;
}

type Flag = true | false | string; // constant, or a boolean expression in `version`

function rangeCond(range: VersionRange | null, scope: VersionRange): Flag {
  const r = intersect(range, scope);
  if (r === null) return false;
  const parts: string[] = [];
  if (r.min > scope.min) parts.push(`version >= ${r.min}`);
  if (r.max < scope.max) parts.push(`version <= ${r.max}`);
  return parts.length === 0 ? true : parts.join(' && ');
}

function and(a: Flag, b: Flag): Flag {
  if (a === false || b === false) return false;
  if (a === true) return b;
  if (b === true) return a;
  return `${a} && ${b}`;
}

function choose(flag: Flag, yes: string, no: string): string {
  if (flag === true) return yes;
  if (flag === false) return no;
  return `${/^[\w$]+$/.test(flag) ? flag : `(${flag})`} ? ${yes} : ${no}`;
}

/** `if (cond)` around statements; a single braced block becomes the if's body. */
function guard(cond: string, body: string[], indent: string): string[] {
  if (body.length === 1) return [`${indent}if (${cond}) ${body[0]!.trim()}`];
  const first = body[0]!.trim();
  const last = body[body.length - 1]!.trim();
  if (first === '{' && last === '}') {
    const inner = body.slice(1, -1).map((l) => l.slice(2));
    return [`${indent}if (${cond}) {`, ...inner, `${indent}}`];
  }
  return [`${indent}if (${cond}) {`, ...body, `${indent}}`];
}

function describeRange(r: VersionRange | null): string {
  if (r === null) return 'none';
  if (r.max === MAX_VERSION) return `${r.min}+`;
  return r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`;
}

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const FIXED_SIZE: Partial<Record<PrimitiveName, number>> = {
  bool: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  float64: 8,
  uuid: 16,
};

const READ_FIXED: Partial<Record<PrimitiveName, string>> = {
  bool: 'boolean',
  int8: 'int8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  float64: 'float64',
  uuid: 'uuid',
};

interface FieldInfo {
  field: FieldSpec;
  prop: string;
  local: string;
  /** Dotted path used in decode errors. */
  path: string;
  /** Versions (within scope) in which the field is in the regular, positional part. */
  regular: VersionRange | null;
  /** Versions (within scope) in which the field is a tagged field. */
  tagged: VersionRange | null;
  /** Whether null is part of the TS type. */
  nullableType: boolean;
}

class MessageEmitter {
  private readonly structs = new Map<string, StructSpec>();
  /** Versions in which each struct's read/write code can run. */
  private readonly scopes = new Map<string, VersionRange>();
  private readonly paths = new Map<string, string>();
  /** Structs that need an is<Struct>Default() helper (non-null tagged struct fields). */
  private readonly needsIsDefault = new Set<string>();
  readonly out: string[] = [];

  constructor(readonly msg: MessageSpec) {
    for (const s of msg.structs) this.structs.set(s.name, s);
    this.computeScopes(msg.fields, msg.validVersions, '');
    for (const s of msg.structs) {
      if (!this.scopes.has(s.name)) this.scopes.set(s.name, intersect(s.versions, msg.validVersions) ?? msg.validVersions);
    }
    const names = new Set<string>([msg.name]);
    for (const s of msg.structs) {
      const n = structTypeName(msg, s.name);
      if (names.has(n)) throw new Error(`${msg.file}: struct type name ${n} is not unique`);
      names.add(n);
    }
  }

  private computeScopes(fields: FieldSpec[], scope: VersionRange, prefix: string): void {
    for (const f of fields) {
      const struct = structOf(f.type);
      if (struct === null) continue;
      const present = intersect(f.versions, scope);
      if (present === null) continue;
      const old = this.scopes.get(struct);
      const merged = old ? { min: Math.min(old.min, present.min), max: Math.max(old.max, present.max) } : present;
      if (!this.paths.has(struct)) this.paths.set(struct, prefix + camelCase(f.name));
      if (!old || old.min !== merged.min || old.max !== merged.max) {
        this.scopes.set(struct, merged);
        const s = this.structs.get(struct);
        if (!s) throw new Error(`${this.msg.file}: unknown struct ${struct}`);
        this.computeScopes(s.fields, merged, prefix + camelCase(f.name) + '.');
      }
    }
  }

  private typeName(struct: string): string {
    return structTypeName(this.msg, struct);
  }

  private fieldFlexible(f: FieldSpec): VersionRange | null {
    return f.flexibleVersions !== undefined ? f.flexibleVersions : this.msg.flexibleVersions;
  }

  private info(f: FieldSpec, scope: VersionRange, pathPrefix: string): FieldInfo {
    const present = intersect(f.versions, scope);
    let tagged: VersionRange | null = null;
    let regular = present;
    if (f.taggedVersions !== null) {
      tagged = intersect(intersect(f.taggedVersions, present), this.msg.flexibleVersions);
      if (tagged !== null) {
        if (f.taggedVersions.max !== MAX_VERSION) throw new Error(`${this.msg.file} ${f.name}: closed taggedVersions`);
        regular = present && tagged.min > present.min ? { min: present.min, max: tagged.min - 1 } : null;
      }
    }
    const prop = camelCase(f.name);
    return {
      field: f,
      prop,
      local: `$${prop}`,
      path: pathPrefix + prop,
      regular,
      tagged,
      nullableType: f.nullableVersions !== null || f.type.kind === 'primitive' && f.type.name === 'records',
    };
  }

  // ---------- types and defaults ----------

  private tsElementType(t: FieldType): string {
    if (t.kind === 'struct') return this.typeName(t.struct);
    if (t.kind === 'array') throw new Error('nested array');
    switch (t.name) {
      case 'bool':
        return 'boolean';
      case 'int64':
        return 'bigint';
      case 'string':
      case 'uuid':
        return 'string';
      case 'bytes':
      case 'records':
        return 'Buffer';
      default:
        return 'number';
    }
  }

  private tsType(fi: FieldInfo): string {
    const t = fi.field.type;
    const base = t.kind === 'array' ? `${this.tsElementType(t.element)}[]` : this.tsElementType(t);
    return fi.nullableType ? `${base} | null` : base;
  }

  /** TS expression for the field's default value (a fresh object/array each time). */
  private defaultExpr(f: FieldSpec): string {
    const d = f.default;
    const nullable = f.nullableVersions !== null;
    const t = f.type;
    if (t.kind === 'array') return nullable && d === 'null' ? 'null' : '[]';
    if (t.kind === 'struct') return nullable && d === 'null' ? 'null' : `create${this.typeName(t.struct)}()`;
    switch (t.name) {
      case 'bool':
        if (d === null || d === 'false') return 'false';
        if (d === 'true') return 'true';
        throw new Error(`${this.msg.file} ${f.name}: bad boolean default ${d}`);
      case 'int8':
      case 'int16':
      case 'uint16':
      case 'int32':
      case 'uint32':
        return String(parseIntDefault(d, f, this.msg));
      case 'int64':
        return `${d === null || d === '' ? '0' : BigInt(d).toString()}n`;
      case 'float64':
        return d === null || d === '' ? '0' : String(Number(d));
      case 'string':
        if (nullable && d === 'null') return 'null';
        return quote(d ?? '');
      case 'uuid':
        if (d !== null && d !== '' && d !== '0' && d !== 'AAAAAAAAAAAAAAAAAAAAAA') {
          throw new Error(`${this.msg.file} ${f.name}: unsupported uuid default ${d}`);
        }
        return 'ZERO_UUID';
      case 'bytes':
        return nullable && d === 'null' ? 'null' : 'EMPTY_BUFFER';
      case 'records':
        return 'null';
    }
  }

  /** Expression that is true when `expr` differs from the field's default (decides whether to write a tag). */
  private differsFromDefault(f: FieldSpec, expr: string): string {
    const def = this.defaultExpr(f);
    const t = f.type;
    const nullable = f.nullableVersions !== null;
    if (def === 'null') return `${expr} !== null`;
    const orNull = (cond: string): string => (nullable ? `(${expr} === null || ${cond})` : cond);
    if (t.kind === 'array') return orNull(`${expr}.length !== 0`);
    if (t.kind === 'struct') {
      this.needsIsDefault.add(t.struct);
      return orNull(`!is${this.typeName(t.struct)}Default(${expr})`);
    }
    if (t.name === 'bytes') return orNull(`${expr}.length !== 0`);
    return `${expr} !== ${def}`;
  }

  // ---------- sizes ----------

  private minStructSize(struct: string, range: VersionRange): number {
    const s = this.structs.get(struct)!;
    let best = Infinity;
    const max = Math.min(range.max, this.msg.validVersions.max);
    for (let v = range.min; v <= max; v++) {
      let size = inRange(this.msg.flexibleVersions, v) ? 1 : 0;
      for (const f of s.fields) {
        if (!inRange(f.versions, v)) continue;
        if (f.taggedVersions !== null && inRange(f.taggedVersions, v) && inRange(this.msg.flexibleVersions, v)) continue;
        size += this.minFieldSize(f, v);
      }
      best = Math.min(best, size);
    }
    return best === Infinity ? 0 : best;
  }

  private minFieldSize(f: FieldSpec, v: number): number {
    const flexible = inRange(this.fieldFlexible(f), v);
    const t = f.type;
    if (t.kind === 'array') return flexible ? 1 : 4;
    if (t.kind === 'struct') {
      return inRange(f.nullableVersions, v) ? 1 : this.minStructSize(t.struct, { min: v, max: v });
    }
    return this.minElementSize(t, v, flexible);
  }

  private minElementSize(t: { kind: 'primitive'; name: PrimitiveName } | { kind: 'struct'; struct: string }, v: number, flexible: boolean): number {
    if (t.kind === 'struct') return this.minStructSize(t.struct, { min: v, max: v });
    const fixed = FIXED_SIZE[t.name];
    if (fixed !== undefined) return fixed;
    if (t.name === 'string') return flexible ? 1 : 2;
    return flexible ? 1 : 4;
  }

  // ---------- reading ----------

  /** Expression reading one non-array value. `flexible`/`nullable` are constants or version conditions. */
  private readValue(t: { kind: 'primitive'; name: PrimitiveName } | { kind: 'struct'; struct: string }, flexible: Flag, nullable: Flag, path: string): string {
    const p = quote(path);
    if (t.kind === 'struct') {
      const read = `read${this.typeName(t.struct)}(r, version)`;
      return choose(nullable, `r.int8(${p}) < 0 ? null : ${read}`, read);
    }
    const fixed = READ_FIXED[t.name];
    if (fixed !== undefined) return `r.${fixed}(${p})`;
    const kind = t.name === 'string' ? 'String' : 'Bytes';
    const compact = choose(nullable, `r.compactNullable${kind}(${p})`, `r.compact${kind}(${p})`);
    const classic = choose(nullable, `r.nullable${kind}(${p})`, `r.${kind.toLowerCase()}(${p})`);
    return choose(flexible, compact, classic);
  }

  /** Statements assigning the field's decoded value to `target`. */
  private readInto(fi: FieldInfo, range: VersionRange, target: string, flexible: Flag, nullable: Flag, indent: string): string[] {
    const t = fi.field.type;
    if (t.kind !== 'array') return [`${indent}${target} = ${this.readValue(t, flexible, nullable, fi.path)};`];
    const p = quote(fi.path);
    const elementSizes: number[] = [];
    for (let v = range.min; v <= Math.min(range.max, this.msg.validVersions.max); v++) {
      elementSizes.push(this.minElementSize(t.element, v, inRange(this.fieldFlexible(fi.field), v)));
    }
    const minSize = Math.max(1, Math.min(...elementSizes));
    const nullArg = nullable === true ? 'true' : nullable === false ? 'false' : `${nullable}`;
    const len = choose(flexible, `r.compactArrayLength(${p}, ${minSize}, ${nullArg})`, `r.arrayLength(${p}, ${minSize}, ${nullArg})`);
    const elementType = this.tsElementType(t.element);
    const element = this.readValue(t.element, flexible, false, fi.path);
    const lines = [`${indent}{`, `${indent}  const n = ${len};`];
    const fill = [`const a: ${elementType}[] = [];`, `for (let i = 0; i < n; i++) a.push(${element});`, `${target} = a;`];
    if (nullable === false) {
      lines.push(...fill.map((l) => `${indent}  ${l}`));
    } else {
      lines.push(`${indent}  if (n < 0) ${target} = null;`, `${indent}  else {`, ...fill.map((l) => `${indent}    ${l}`), `${indent}  }`);
    }
    lines.push(`${indent}}`);
    return lines;
  }

  private emitRead(fnName: string, typeName: string, fields: FieldSpec[], scope: VersionRange, pathPrefix: string): void {
    const out = this.out;
    const flexible = rangeCond(this.msg.flexibleVersions, scope);
    out.push(`function ${fnName}(r: Reader, version: number): ${typeName} {`);
    if (typeof flexible === 'string') out.push(`  const flexible = ${flexible};`);
    const flexFlag: Flag = typeof flexible === 'string' ? 'flexible' : flexible;
    const infos = fields.map((f) => this.info(f, scope, pathPrefix));
    for (const fi of infos) {
      const f = fi.field;
      const fieldFlex: Flag = f.flexibleVersions !== undefined ? rangeCond(f.flexibleVersions, scope) : flexFlag;
      const type = this.tsType(fi);
      if (fi.regular === null) {
        if (fi.tagged !== null) out.push(`  let ${fi.local}: ${type} = ${this.defaultExpr(f)};`);
        continue;
      }
      const present = rangeCond(fi.regular, scope);
      // Conditions relative to the versions in which this read runs at all.
      const nullFlag = rangeCond(f.nullableVersions, fi.regular);
      if (present === true && f.type.kind !== 'array') {
        out.push(`  const ${fi.local}: ${type} = ${this.readValue(f.type, fieldFlex, nullFlag, fi.path)};`);
      } else if (present === true) {
        out.push(`  let ${fi.local}: ${type};`);
        out.push(...this.readInto(fi, fi.regular, fi.local, fieldFlex, nullFlag, '  '));
      } else {
        out.push(`  let ${fi.local}: ${type} = ${this.defaultExpr(f)};`);
        out.push(...guard(present as string, this.readInto(fi, fi.regular, fi.local, fieldFlex, nullFlag, '    '), '  '));
      }
    }
    // Tagged fields.
    const tagged = infos.filter((fi) => fi.tagged !== null).sort((a, b) => a.field.tag! - b.field.tag!);
    const tagPath = quote(pathPrefix + '_tagged_fields');
    if (flexible !== false) {
      const body: string[] = [];
      if (tagged.length === 0) body.push(`r.taggedFields(${tagPath});`);
      else {
        body.push(`const tagCount = r.taggedFieldCount(${tagPath});`);
        body.push('for (let t = 0; t < tagCount; t++) {');
        body.push(`  const tag = r.unsignedVarint(${tagPath});`);
        body.push(`  const end = r.taggedFieldEnd(${tagPath});`);
        body.push('  switch (tag) {');
        for (const fi of tagged) {
          body.push(`    case ${fi.field.tag}:`);
          const when = rangeCond(fi.tagged, intersect(scope, this.msg.flexibleVersions)!); // inside the flexible-only section
          const nullable = rangeCond(fi.field.nullableVersions, fi.tagged!);
          const read = this.readInto(fi, fi.tagged!, fi.local, true, nullable, '      ');
          if (when === true) body.push(...read);
          else body.push(...guard(when as string, read.map((l) => '  ' + l), '      '));
          body.push('      break;');
        }
        body.push('    default:', '      break;', '  }', `  r.finishTaggedField(end, ${tagPath});`, '}');
      }
      if (flexible === true) out.push(...body.map((l) => '  ' + l));
      else out.push('  if (flexible) {', ...body.map((l) => '    ' + l), '  }');
    }
    out.push('  return {');
    for (const fi of infos) {
      const value = fi.regular === null && fi.tagged === null ? this.defaultExpr(fi.field) : fi.local;
      out.push(`    ${fi.prop}: ${value},`);
    }
    out.push('  };', '}', '');
  }

  // ---------- writing ----------

  private nullError(path: string): string {
    return `throwNullField(${quote(this.msg.name)}, version, ${quote(path)})`;
  }

  /** Statements writing one value (`expr`) of the field with writer `w`. */
  private writeValue(fi: FieldInfo, expr: string, w: string, flexible: Flag, nullable: Flag, indent: string): string[] {
    const t = fi.field.type;
    const nonNull = (e: string): string => (fi.nullableType ? `(${e} ?? ${this.nullError(fi.path)})` : e);
    if (t.kind === 'struct') {
      const write = (e: string): string => `write${this.typeName(t.struct)}(${w}, version, ${e});`;
      const withPresence = [
        `${indent}if (${expr} === null) ${w}.int8(-1);`,
        `${indent}else {`,
        `${indent}  ${w}.int8(1);`,
        `${indent}  ${write(expr)}`,
        `${indent}}`,
      ];
      if (nullable === true) return withPresence;
      if (nullable === false) return [`${indent}${write(nonNull(expr))}`];
      return [`${indent}if (${nullable}) {`, ...withPresence.map((l) => '  ' + l), `${indent}} else ${write(nonNull(expr))}`];
    }
    if (t.kind === 'primitive') {
      const fixed = READ_FIXED[t.name];
      if (fixed !== undefined) return [`${indent}${w}.${fixed}(${expr});`];
      const kind = t.name === 'string' ? 'String' : 'Bytes';
      const pick = (compact: boolean, isNullable: Flag): string => {
        const nul = compact ? `${w}.compactNullable${kind}(${expr});` : `${w}.nullable${kind}(${expr});`;
        const plain = compact ? `${w}.compact${kind}(${nonNull(expr)});` : `${w}.${kind.toLowerCase()}(${nonNull(expr)});`;
        if (isNullable === true) return nul;
        if (isNullable === false) return plain;
        return `if (${isNullable}) ${nul} else ${plain}`;
      };
      if (flexible === true) return [indent + pick(true, nullable)];
      if (flexible === false) return [indent + pick(false, nullable)];
      if (typeof nullable === 'string') {
        return [`${indent}if (${flexible}) {`, `${indent}  ${pick(true, nullable)}`, `${indent}} else {`, `${indent}  ${pick(false, nullable)}`, `${indent}}`];
      }
      return [`${indent}if (${flexible}) ${pick(true, nullable)}`, `${indent}else ${pick(false, nullable)}`];
    }
    // Arrays.
    const element = t.element;
    const writeElement = (e: string): string => {
      if (element.kind === 'struct') return `write${this.typeName(element.struct)}(${w}, version, ${e});`;
      const fixed = READ_FIXED[element.name];
      if (fixed !== undefined) return `${w}.${fixed}(${e});`;
      const kind = element.name === 'string' ? 'String' : 'Bytes';
      const lower = kind.toLowerCase();
      if (flexible === true) return `${w}.compact${kind}(${e});`;
      if (flexible === false) return `${w}.${lower}(${e});`;
      return `if (${flexible}) ${w}.compact${kind}(${e}); else ${w}.${lower}(${e});`;
    };
    const lengthLine = (n: string): string =>
      flexible === true
        ? `${w}.compactArrayLength(${n});`
        : flexible === false
          ? `${w}.arrayLength(${n});`
          : `if (${flexible}) ${w}.compactArrayLength(${n}); else ${w}.arrayLength(${n});`;
    const nullLine =
      flexible === true ? `${w}.unsignedVarint(0);` : flexible === false ? `${w}.int32(-1);` : `if (${flexible}) ${w}.unsignedVarint(0); else ${w}.int32(-1);`;
    const lines = [`${indent}{`];
    if (fi.nullableType) {
      lines.push(`${indent}  const a = ${expr};`);
      lines.push(`${indent}  if (a === null) {`);
      if (nullable === false) lines.push(`${indent}    ${this.nullError(fi.path)};`);
      else {
        if (nullable !== true) lines.push(`${indent}    if (!(${nullable})) ${this.nullError(fi.path)};`);
        lines.push(`${indent}    ${nullLine}`);
      }
      lines.push(`${indent}  } else {`, `${indent}    ${lengthLine('a.length')}`, `${indent}    for (const e of a) ${writeElement('e')}`, `${indent}  }`);
    } else {
      lines.push(`${indent}  const a = ${expr};`, `${indent}  ${lengthLine('a.length')}`, `${indent}  for (const e of a) ${writeElement('e')}`);
    }
    lines.push(`${indent}}`);
    return lines;
  }

  private emitWrite(fnName: string, typeName: string, fields: FieldSpec[], scope: VersionRange, pathPrefix: string): void {
    const out = this.out;
    const flexible = rangeCond(this.msg.flexibleVersions, scope);
    out.push(`function ${fnName}(w: Writer, version: number, v: ${typeName}): void {`);
    if (typeof flexible === 'string') out.push(`  const flexible = ${flexible};`);
    const flexFlag: Flag = typeof flexible === 'string' ? 'flexible' : flexible;
    const infos = fields.map((f) => this.info(f, scope, pathPrefix));
    for (const fi of infos) {
      if (fi.regular === null) continue;
      const f = fi.field;
      const fieldFlex: Flag = f.flexibleVersions !== undefined ? rangeCond(f.flexibleVersions, scope) : flexFlag;
      const present = rangeCond(fi.regular, scope);
      const nullable = rangeCond(f.nullableVersions, fi.regular);
      if (present === true) out.push(...this.writeValue(fi, `v.${fi.prop}`, 'w', fieldFlex, nullable, '  '));
      else {
        out.push(...guard(present as string, this.writeValue(fi, `v.${fi.prop}`, 'w', fieldFlex, nullable, '    '), '  '));
      }
    }
    const tagged = infos.filter((fi) => fi.tagged !== null).sort((a, b) => a.field.tag! - b.field.tag!);
    if (flexible !== false) {
      const body: string[] = [];
      if (tagged.length === 0) body.push('w.taggedFields();');
      else {
        const flags: string[] = [];
        tagged.forEach((fi, i) => {
          const when = rangeCond(fi.tagged, intersect(scope, this.msg.flexibleVersions)!); // inside the flexible-only section
          const cond = and(when, this.differsFromDefault(fi.field, `v.${fi.prop}`));
          body.push(`const tag${i} = ${cond === true ? 'true' : cond === false ? 'false' : cond};`);
          flags.push(`(tag${i} ? 1 : 0)`);
        });
        body.push(`w.unsignedVarint(${flags.join(' + ')});`);
        tagged.forEach((fi, i) => {
          const nullable = rangeCond(fi.field.nullableVersions, fi.tagged!);
          const inner = this.writeValue(fi, `v.${fi.prop}`, 't', true, nullable, '  ');
          body.push(`if (tag${i}) {`, `  w.taggedField(${fi.field.tag}, (t) => {`, ...inner.map((l) => '  ' + l), '  });', '}');
        });
      }
      if (flexible === true) out.push(...body.map((l) => '  ' + l));
      else out.push('  if (flexible) {', ...body.map((l) => '    ' + l), '  }');
    }
    out.push('}', '');
  }

  // ---------- whole message ----------

  private emitInterface(typeName: string, fields: FieldSpec[], about: string): void {
    const out = this.out;
    out.push(`/** ${about} */`);
    out.push(`export interface ${typeName} {`);
    for (const f of fields) {
      const fi = this.info(f, this.msg.validVersions, '');
      const notes = [`versions ${describeRange(f.versions)}`];
      if (f.nullableVersions) notes.push(`nullable ${describeRange(f.nullableVersions)}`);
      if (f.taggedVersions) notes.push(`tag ${f.tag} in ${describeRange(f.taggedVersions)}`);
      if (f.default !== null) notes.push(`default ${f.default}`);
      if (f.ignorable) notes.push('ignorable');
      if (f.mapKey) notes.push('map key');
      const doc = (f.about ? f.about.replace(/\*\//g, '* /').replace(/\s+/g, ' ') + ' ' : '') + `(${notes.join(', ')})`;
      out.push(`  /** ${doc} */`);
      out.push(`  ${fi.prop}: ${this.tsType(fi)};`);
    }
    out.push('}', '');
  }

  private emitCreate(typeName: string, fields: FieldSpec[]): void {
    const out = this.out;
    out.push(`/** A ${typeName} with every field at its schema default, overridden by \`fields\`. */`);
    out.push(`export function create${typeName}(fields: Partial<${typeName}> = {}): ${typeName} {`);
    out.push('  return {');
    for (const f of fields) out.push(`    ${camelCase(f.name)}: ${this.defaultExpr(f)},`);
    out.push('    ...fields,', '  };', '}', '');
  }

  private emitIsDefault(struct: StructSpec): void {
    const typeName = this.typeName(struct.name);
    const checks = struct.fields.map((f) => `!(${this.differsFromDefault(f, `v.${camelCase(f.name)}`)})`);
    this.out.push(`function is${typeName}Default(v: ${typeName}): boolean {`);
    this.out.push(`  return ${checks.length === 0 ? 'true' : checks.join(' &&\n    ')};`);
    this.out.push('}', '');
  }

  emit(): void {
    const msg = this.msg;
    this.emitInterface(msg.name, msg.fields, `${msg.name}, versions ${describeRange(msg.validVersions)} (flexible ${describeRange(msg.flexibleVersions)}).`);
    for (const s of msg.structs) this.emitInterface(this.typeName(s.name), s.fields, `${msg.name} struct ${s.name}.`);
    this.emitCreate(msg.name, msg.fields);
    for (const s of msg.structs) this.emitCreate(this.typeName(s.name), s.fields);
    this.emitRead(`read${msg.name}`, msg.name, msg.fields, msg.validVersions, '');
    this.emitWrite(`write${msg.name}`, msg.name, msg.fields, msg.validVersions, '');
    for (const s of msg.structs) {
      const scope = this.scopes.get(s.name)!;
      const prefix = (this.paths.get(s.name) ?? camelCase(s.name)) + '.';
      this.emitRead(`read${this.typeName(s.name)}`, this.typeName(s.name), s.fields, scope, prefix);
      this.emitWrite(`write${this.typeName(s.name)}`, this.typeName(s.name), s.fields, scope, prefix);
    }
    // is<Struct>Default helpers may require others (nested structs); emit until closed.
    const done = new Set<string>();
    for (;;) {
      const next = [...this.needsIsDefault].find((s) => !done.has(s));
      if (next === undefined) break;
      done.add(next);
      this.emitIsDefault(this.structs.get(next)!);
    }
  }
}

function structOf(t: FieldType): string | null {
  if (t.kind === 'struct') return t.struct;
  if (t.kind === 'array' && t.element.kind === 'struct') return t.element.struct;
  return null;
}

function parseIntDefault(d: string | null, f: FieldSpec, msg: MessageSpec): number {
  if (d === null || d === '') return 0;
  const n = /^-?0x/i.test(d) ? (d.startsWith('-') ? -parseInt(d.slice(3), 16) : parseInt(d.slice(2), 16)) : Number(d);
  if (!Number.isInteger(n)) throw new Error(`${msg.file} ${f.name}: bad integer default ${d}`);
  return n;
}

function flexibleFrom(msg: MessageSpec): string {
  const f = msg.flexibleVersions;
  return f === null ? 'Number.POSITIVE_INFINITY' : String(f.min);
}

/** The source of `src/protocol/messages/<kebab-name>.ts` for one API. */
export function emitApiModule(api: ApiSpec): string {
  const { request, response } = api;
  if (describeRange(request.validVersions) !== describeRange(response.validVersions)) {
    throw new Error(`${api.name}: request and response valid versions differ`);
  }
  if (describeRange(request.flexibleVersions) !== describeRange(response.flexibleVersions)) {
    throw new Error(`${api.name}: request and response flexible versions differ`);
  }
  const body: string[] = [];
  for (const msg of [request, response]) {
    const e = new MessageEmitter(msg);
    e.emit();
    body.push(`// ---------- ${msg.name} ----------`, '', ...e.out);
  }
  const min = request.validVersions.min;
  const max = request.validVersions.max;
  body.push(
    `export const ${api.name}: ApiCodec<${request.name}, ${response.name}> = {`,
    `  apiKey: ${api.apiKey},`,
    `  name: '${api.name}',`,
    `  minVersion: ${min},`,
    `  maxVersion: ${max},`,
    `  flexibleFrom: ${flexibleFrom(request)},`,
    `  writeRequest(w: Writer, version: number, v: ${request.name}): void {`,
    `    checkWriteVersion('${request.name}', version, ${min}, ${max});`,
    `    write${request.name}(w, version, v);`,
    '  },',
    `  readRequest(r: Reader, version: number): ${request.name} {`,
    `    checkReadVersion(r, '${request.name}', version, ${min}, ${max});`,
    `    return read${request.name}(r, version);`,
    '  },',
    `  writeResponse(w: Writer, version: number, v: ${response.name}): void {`,
    `    checkWriteVersion('${response.name}', version, ${min}, ${max});`,
    `    write${response.name}(w, version, v);`,
    '  },',
    `  readResponse(r: Reader, version: number): ${response.name} {`,
    `    checkReadVersion(r, '${response.name}', version, ${min}, ${max});`,
    `    return read${response.name}(r, version);`,
    '  },',
    '};',
    '',
  );
  const text = body.join('\n');
  const primitives = ['EMPTY_BUFFER', 'ZERO_UUID'].filter((n) => new RegExp(`\\b${n}\\b`).test(text));
  const header = [
    `// GENERATED by ${GENERATOR} from ${request.file}, ${response.file} — do not edit.`,
    '// Source schemas: Apache Kafka clients/src/main/resources/common/message (Apache-2.0).',
    '/* eslint-disable */',
    "import { checkReadVersion, checkWriteVersion, type ApiCodec } from '../codec.js';",
  ];
  if (/\bthrowNullField\b/.test(text)) header.push("import { throwNullField } from '../decode-error.js';");
  header.push(`import { ${[...primitives, 'type Reader', 'type Writer'].join(', ')} } from '../primitives.js';`);
  return [...header, '', text].join('\n');
}

/** The source of `src/protocol/messages/index.ts`. */
export function emitIndexModule(apis: ApiSpec[]): string {
  const lines = [`// GENERATED by ${GENERATOR} — do not edit.`, "import type { ApiCodec } from '../codec.js';"];
  for (const api of apis) lines.push(`import { ${api.name} } from './${kebabCase(api.name)}.js';`);
  lines.push('');
  for (const api of apis) lines.push(`export * from './${kebabCase(api.name)}.js';`);
  lines.push('', '/** Every generated codec, by API key. */');
  lines.push('export const allCodecs: readonly ApiCodec<unknown, unknown>[] = [');
  for (const api of apis) lines.push(`  ${api.name} as ApiCodec<unknown, unknown>,`);
  lines.push('];', '');
  lines.push('export const codecByApiKey: Map<number, ApiCodec<unknown, unknown>> = new Map(allCodecs.map((c) => [c.apiKey, c]));', '');
  return lines.join('\n');
}
