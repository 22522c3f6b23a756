/**
 * Process addresses, as Timely's `-h/--hostfile` (communication/src/initialize.rs): one `host:port` per line,
 * line p is process p; lines past `-n` are ignored. Without a hostfile process p is at 127.0.0.1:(2101 + p),
 * Timely's default. Beyond Timely: blank lines and `#` comments are skipped, and every address is checked.
 */
import fs from 'node:fs';
import { WorkerArgsError } from './args-error.js';

/** Timely's first default port: process p listens on 2101 + p. */
export const DEFAULT_BASE_PORT = 2101;

export interface HostAddress {
  host: string;
  port: number;
}

export function defaultHosts(processes: number): string[] {
  return Array.from({ length: processes }, (_, p) => `127.0.0.1:${DEFAULT_BASE_PORT + p}`);
}

/** Splits `host:port` (or `[v6]:port`); throws a WorkerArgsError saying where the bad address came from. */
export function parseAddress(text: string, where = 'address'): HostAddress {
  const colon = text.lastIndexOf(':');
  const rawHost = colon > 0 ? text.slice(0, colon) : '';
  const host = rawHost.startsWith('[') && rawHost.endsWith(']') ? rawHost.slice(1, -1) : rawHost;
  const portText = colon > 0 ? text.slice(colon + 1) : '';
  const port = Number(portText);
  if (host === '' || !/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new WorkerArgsError(`${where}: ${JSON.stringify(text)} is not host:port (e.g. 10.0.0.5:2101, port 1-65535)`);
  }
  return { host, port };
}

/** The addresses in a hostfile's text; `source` names the file in errors. */
export function parseHostfile(text: string, source: string): string[] {
  const hosts: string[] = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    const entry = line.trim();
    if (entry === '' || entry.startsWith('#')) continue;
    parseAddress(entry, `${source} line ${i + 1}`);
    hosts.push(entry);
  }
  return hosts;
}

export function readHostfile(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new WorkerArgsError(`cannot read hostfile ${file}: ${(error as Error).message}`);
  }
  return parseHostfile(text, file);
}

/** Checks there is one valid address per process (extra ones are ignored, as Timely does) and returns those. */
export function checkHosts(hosts: readonly string[], processes: number, source = 'hosts'): string[] {
  if (hosts.length < processes) {
    throw new WorkerArgsError(`${source} has ${hosts.length} address(es) but -n is ${processes}: give one host:port per process`);
  }
  const used = hosts.slice(0, processes);
  for (const [p, address] of used.entries()) parseAddress(address, `${source}, process ${p}`);
  const seen = new Map<string, number>();
  for (const [p, address] of used.entries()) {
    const earlier = seen.get(address);
    if (earlier !== undefined) throw new WorkerArgsError(`${source}: processes ${earlier} and ${p} share the address ${address}; each process needs its own port`);
    seen.set(address, p);
  }
  return used;
}
