/**
 * Small helpers shared by the group handlers (src/broker/handlers/{join-group,sync-group,...}.ts).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { RequestContext } from '../context.js';
import type { GroupCoordinator } from './coordinator.js';
import './service.js';

/** The running coordinator, or COORDINATOR_NOT_AVAILABLE (retriable) while it is not started. */
export function coordinatorOf(ctx: RequestContext): GroupCoordinator {
  const groups = ctx.broker.services.groups;
  if (!groups) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the group coordinator is not running on this broker');
  return groups;
}

/** Kafka reports a member's host as "/<address>". */
export function clientHostOf(ctx: RequestContext): string {
  const peer = ctx.peer;
  const bracket = peer.startsWith('[') ? peer.indexOf(']') : -1;
  const host = bracket > 0 ? peer.slice(1, bracket) : peer.includes(':') && peer.indexOf(':') === peer.lastIndexOf(':') ? peer.slice(0, peer.lastIndexOf(':')) : peer;
  return `/${host}`;
}

/** Protocol bytes are kept beyond the request, so they get their own memory (not a view of the frame). */
export function ownBytes(buf: Buffer): Buffer {
  return Buffer.from(buf);
}
