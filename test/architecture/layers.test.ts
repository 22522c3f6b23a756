/**
 * src/ has no import cycles and no import from a lower layer to a higher one (README "Source map"). The
 * graph is read with the TypeScript compiler's pre-processor; the checks below also prove on fixtures that
 * every import form is seen and that a cycle or an upward import is reported, so this cannot pass by
 * reading nothing.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { importCycles, importEdges, type ImportEdge } from './import-graph.js';
import { layerOf, layerViolations, moduleOf } from './layers.js';

const srcRoot = fileURLToPath(new URL('../../src/', import.meta.url));
const show = (edges: readonly { edge: ImportEdge; why: string }[]): string[] => edges.map(({ edge, why }) => `${edge.from} → ${edge.to}: ${why}`);

describe('src/ layers', () => {
  const graph = importEdges(srcRoot);

  it('reads the whole tree (a parser that finds nothing must not pass)', () => {
    expect(graph.files.length).toBeGreaterThan(200);
    expect(graph.edges.length).toBeGreaterThan(650);
    // Every layer's folder is present and has imports of its own.
    for (const module of ['protocol', 'dataflow', 'link', 'util', 'broker', 'client', 'transport', 'capture', 'replay', 'workers', 'cli']) {
      expect(graph.files.some((f) => moduleOf(f) === module), module).toBe(true);
    }
    for (const module of ['broker', 'client', 'transport', 'capture', 'replay', 'workers', 'cli', 'index.ts']) {
      expect(graph.edges.some((e) => moduleOf(e.from) === module && moduleOf(e.to) !== module), `${module} imports a lower layer`).toBe(true);
    }
    // A relative import the reader cannot place is a failure, not an edge quietly left out.
    expect(graph.unresolved).toEqual([]);
  });

  it('has no import cycles', () => {
    expect(importCycles(graph.files, graph.edges)).toEqual([]);
  });

  it('imports only downwards (type-only imports included)', () => {
    expect(show(layerViolations(graph.files, graph.edges))).toEqual([]);
  });
});

describe('the checker itself', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kafkaesque-layers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sees import, import type, export from, export type from, side-effect imports and import()', () => {
    const write = (file: string, text: string): void => {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    };
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) write(`transport/${name}.ts`, 'export const x = 1;\nexport type T = number;\n');
    write('transport/index.ts', 'export {};\n');
    write(
      'client/user.ts',
      [
        "import { x } from '../transport/a.js';",
        "import type { T } from '../transport/b.js';",
        "export { x as y } from '../transport/c.js';",
        "export type { T as U } from '../transport/d.js';",
        "import '../transport/e.js';",
        "export async function later(): Promise<unknown> { return import('../transport/f.js'); }",
        "export * from '../transport';",
        "import { readFileSync } from 'node:fs';",
        'export const z: T = x + readFileSync.length;',
      ].join('\n'),
    );
    const { edges, unresolved } = importEdges(dir);
    const targets = edges.filter((e) => e.from === 'client/user.ts').map((e) => e.to).sort();
    expect(targets).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'index'].map((n) => `transport/${n}.ts`));
    expect(unresolved).toEqual([]);
    // Each of them is an upward import (client is layer 2, transport layer 3).
    expect(layerViolations(['client/user.ts'], edges).length).toBe(7);
  });

  it('reports a cycle, and an upward, a sibling and a forbidden import', () => {
    const files = ['capture/a.ts', 'capture/b.ts', 'replay/r.ts', 'transport/t.ts', 'dataflow/d.ts', 'protocol/p.ts', 'util/u.ts', 'link/l.ts'];
    const edge = (from: string, to: string): ImportEdge => ({ from, to, specifier: to });
    const edges = [
      edge('capture/a.ts', 'capture/b.ts'),
      edge('capture/b.ts', 'capture/a.ts'),
      edge('transport/t.ts', 'capture/a.ts'),
      edge('capture/a.ts', 'replay/r.ts'),
      edge('dataflow/d.ts', 'protocol/p.ts'),
      edge('protocol/p.ts', 'dataflow/d.ts'),
      edge('dataflow/d.ts', 'util/u.ts'),
      edge('link/l.ts', 'protocol/p.ts'),
      edge('capture/a.ts', 'transport/t.ts'),
    ];
    expect(importCycles(files, edges).sort()).toEqual([
      ['capture/a.ts', 'capture/b.ts', 'transport/t.ts'],
      ['dataflow/d.ts', 'protocol/p.ts'],
    ]);
    expect(importCycles(['x/a.ts'], [edge('x/a.ts', 'x/a.ts')])).toEqual([['x/a.ts']]);
    expect(show(layerViolations(files, edges))).toEqual([
      'transport/t.ts → capture/a.ts: layer 3 (transport) imports layer 4 (capture)',
      'capture/a.ts → replay/r.ts: same-layer import capture → replay (layer 4) is not in SAME_LAYER_ALLOWED',
      'dataflow/d.ts → protocol/p.ts: dataflow knows nothing of Kafka',
      'protocol/p.ts → dataflow/d.ts: protocol and dataflow know nothing of each other',
    ]);
    expect(layerOf('index.ts')).toBe(6);
    expect(show(layerViolations(['newfolder/x.ts'], []))).toEqual(['newfolder/x.ts → newfolder/x.ts: module "newfolder" has no layer: add it to LAYERS']);
  });
});
