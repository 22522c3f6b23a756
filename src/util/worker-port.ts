/**
 * The MessagePorts execute() handed to this worker thread (`ExecuteOptions.ports`), by name. Any module in the
 * worker can look one up, so a transport finds its main-thread service without the job passing it along.
 */
import { isMainThread, workerData, type MessagePort } from 'node:worker_threads';

export function workerPort(name: string): MessagePort | undefined {
  if (isMainThread) return undefined;
  const ports = (workerData as { ports?: Record<string, MessagePort> } | null)?.ports;
  return ports?.[name];
}
