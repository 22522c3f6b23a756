/**
 * The import graph of src/, read with the TypeScript compiler's own pre-processor, so every form counts:
 * `import`, `import type`, `export … from`, `export type … from`, side-effect imports and dynamic `import()`.
 * Only relative specifiers are edges (packages and node: builtins are outside src/).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** Paths relative to the root, with forward slashes, e.g. `capture/capture.ts`. */
  readonly from: string;
  readonly to: string;
  readonly specifier: string;
}

export function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(full);
    }
  };
  walk(root);
  return out;
}

/** `./x.js` → the `.ts` file it names (ESM imports name the emitted file); a directory → its index.ts. */
function resolveSpecifier(fromFile: string, specifier: string, known: ReadonlySet<string>): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, path.join(base, 'index.ts')];
  return candidates.find((c) => known.has(c));
}

export function importEdges(root: string): { files: string[]; edges: ImportEdge[]; unresolved: ImportEdge[] } {
  const absRoot = path.resolve(root);
  const files = sourceFiles(absRoot);
  const known = new Set(files);
  const rel = (f: string): string => path.relative(absRoot, f).split(path.sep).join('/');
  const edges: ImportEdge[] = [];
  const unresolved: ImportEdge[] = [];
  for (const file of files) {
    // readImportFiles + detectJavaScriptImports: static imports, export-from and import() with a literal.
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: specifier } of info.importedFiles) {
      if (!specifier.startsWith('.')) continue;
      const target = resolveSpecifier(file, specifier, known);
      const edge = { from: rel(file), to: target ? rel(target) : specifier, specifier };
      (target ? edges : unresolved).push(edge);
    }
  }
  return { files: files.map(rel), edges, unresolved };
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function importCycles(files: readonly string[], edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (next.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return cycles;
}
