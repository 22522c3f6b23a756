/**
 * Scrapes /metrics and parses it with a real Prometheus text-format parser (parse-prometheus-text-format,
 * prom2json-compatible output), so the tests read what Prometheus would, not our own formatting.
 */
// @ts-expect-error: the package ships no type declarations; its output shape is typed below.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { expect } from 'vitest';

export interface ParsedSample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}
export interface ParsedFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: ParsedSample[];
}

export class Scrape {
  constructor(
    readonly families: ParsedFamily[],
    readonly text: string,
  ) {}

  /** The family `name` (untyped histogram lines come in several runs of one name: merged here). */
  family(name: string): ParsedFamily {
    const found = this.families.filter((x) => x.name === name);
    if (found.length === 0) throw new Error(`metric ${name} is missing from /metrics`);
    return { ...found[0]!, metrics: found.flatMap((f) => f.metrics) };
  }

  /** Samples of `name` whose labels include `match`. */
  samples(name: string, match: Record<string, string | number> = {}): ParsedSample[] {
    return this.family(name).metrics.filter((m) => Object.entries(match).every(([k, v]) => m.labels?.[k] === String(v)));
  }

  /** The one sample of `name` matching `match` (fails if there is none or several). */
  value(name: string, match: Record<string, string | number> = {}): number {
    const found = this.samples(name, match);
    expect(found, `${name} ${JSON.stringify(match)}`).toHaveLength(1);
    return Number(found[0]!.value);
  }

  /** Sum over the samples of `name` matching `match` (0 when none). */
  sum(name: string, match: Record<string, string | number> = {}): number {
    return this.samples(name, match).reduce((s, m) => s + Number(m.value), 0);
  }
}

/**
 * The parser flattens a histogram into one sample and drops its labels when it has labels besides `le` (it
 * follows an old client_python parser). So histograms are read a second time with their TYPE line made
 * `untyped`: the parser then gives every `_bucket`, `_sum` and `_count` line as a sample with its labels.
 */
function histogramsAsUntyped(text: string): ParsedFamily[] {
  return parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped')) as ParsedFamily[];
}

export async function scrape(http: { host: string; port: number }, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(`http://${http.host}:${http.port}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const families = parsePrometheusTextFormat(text) as ParsedFamily[];
  const histogramLines = histogramsAsUntyped(text).filter((f) => /_(bucket|sum|count)$/.test(f.name) && families.some((h) => h.type === 'HISTOGRAM' && f.name.startsWith(h.name)));
  return new Scrape([...families, ...histogramLines], text);
}
