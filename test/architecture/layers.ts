/**
 * The layer order of src/ (DESIGN.md "Layout", README source map). A module is a top-level folder of src/
 * (`src/index.ts` is its own). Each imports only modules of a lower layer, plus the few same-layer
 * imports listed in SAME_LAYER_ALLOWED. Type-only imports count the same as value imports.
 */
import type { ImportEdge } from './import-graph.js';

export const LAYERS: ReadonlyArray<readonly string[]> = [
  /* 1 */ ['protocol', 'dataflow', 'link', 'util'],
  /* 2 */ ['broker', 'client'],
  /* 3 */ ['transport'],
  /* 4 */ ['capture', 'replay', 'connectors'],
  /* 5 */ ['workers'],
  /* 6 */ ['cli', 'index.ts'],
];

/** Same-layer imports that are fine: small shared modules with no I/O. */
export const SAME_LAYER_ALLOWED: ReadonlyArray<readonly [from: string, to: string]> = [
  ['protocol', 'util'],
  ['dataflow', 'util'],
  ['link', 'util'],
  // The link's shapes carry Kafka error codes.
  ['link', 'protocol'],
];

/** Modules whose imports are limited beyond the layer order: dataflow knows nothing of Kafka. */
export const FORBIDDEN: ReadonlyArray<readonly [from: string, to: string, why: string]> = [
  ['dataflow', 'protocol', 'dataflow knows nothing of Kafka'],
  ['dataflow', 'link', 'dataflow knows nothing of Kafka'],
  ['dataflow', 'broker', 'dataflow knows nothing of Kafka'],
  ['dataflow', 'client', 'dataflow knows nothing of Kafka'],
  ['dataflow', 'transport', 'dataflow knows nothing of Kafka'],
  ['protocol', 'dataflow', 'protocol and dataflow know nothing of each other'],
  ['client', 'dataflow', 'the client knows nothing of events'],
];

export function moduleOf(file: string): string {
  const slash = file.indexOf('/');
  return slash < 0 ? file : file.slice(0, slash);
}

export function layerOf(module: string): number | undefined {
  const i = LAYERS.findIndex((names) => names.includes(module));
  return i < 0 ? undefined : i + 1;
}

export interface LayerViolation {
  readonly edge: ImportEdge;
  readonly why: string;
}

export function layerViolations(files: readonly string[], edges: readonly ImportEdge[]): LayerViolation[] {
  const out: LayerViolation[] = [];
  for (const file of files) {
    if (layerOf(moduleOf(file)) === undefined) {
      out.push({ edge: { from: file, to: file, specifier: '' }, why: `module "${moduleOf(file)}" has no layer: add it to LAYERS` });
    }
  }
  for (const edge of edges) {
    const from = moduleOf(edge.from);
    const to = moduleOf(edge.to);
    if (from === to) continue;
    const lf = layerOf(from);
    const lt = layerOf(to);
    if (lf === undefined || lt === undefined) continue;
    const forbidden = FORBIDDEN.find(([f, t]) => f === from && t === to);
    if (forbidden) out.push({ edge, why: forbidden[2] });
    else if (lt > lf) out.push({ edge, why: `layer ${lf} (${from}) imports layer ${lt} (${to})` });
    else if (lt === lf && !SAME_LAYER_ALLOWED.some(([f, t]) => f === from && t === to)) {
      out.push({ edge, why: `same-layer import ${from} → ${to} (layer ${lf}) is not in SAME_LAYER_ALLOWED` });
    }
  }
  return out;
}
