/**
 * Starts the authorizer when the broker runs with `--authorizer acl`: opens the ACL store in the data dir
 * and exposes the authorizer to the handlers as `ctx.broker.services.authorizer`. Without the flag nothing
 * is started, and the handlers' checks (check.ts) find no authorizer and allow everything.
 */
import type { BrokerContext, ServiceStop } from '../context.js';
import { AclStore } from './acl-store.js';
import { Authorizer } from './authorizer.js';
import { parseSuperUsers } from './principals.js';

declare module '../context.js' {
  interface BrokerServices {
    authorizer: Authorizer;
  }
}

export function startAuthorizer(broker: BrokerContext): ServiceStop | undefined {
  const config = broker.config;
  if (config.authorizer !== 'acl') {
    if (config.superUsers !== null || config.allowEveryoneIfNoAclFound) broker.logger.warn('--super-users and --allow-everyone-if-no-acl-found have no effect without --authorizer acl');
    return undefined;
  }
  const { store, truncatedBytes } = AclStore.open(config.dataDir, { fsync: config.fsync === 'always' });
  if (truncatedBytes > 0) broker.logger.warn({ truncatedBytes }, 'ACL log had a torn or corrupt tail; truncated it (the last ACL change may be lost)');
  const superUsers = parseSuperUsers(config.superUsers);
  broker.services.authorizer = new Authorizer(store, { superUsers, allowEveryoneIfNoAclFound: config.allowEveryoneIfNoAclFound });
  broker.logger.info({ acls: store.size, superUsers, allowEveryoneIfNoAclFound: config.allowEveryoneIfNoAclFound }, 'ACL authorizer on');
  // --fsync interval: ACL changes reach the disk within flush.ms, like the data logs (always: every change).
  const flusher =
    config.fsync === 'interval'
      ? setInterval(() => {
          store.flush().catch((err: unknown) => broker.logger.error({ err }, 'flushing the ACL log failed'));
        }, config.flushIntervalMs)
      : null;
  flusher?.unref();
  return async () => {
    if (flusher) clearInterval(flusher);
    delete broker.services.authorizer;
    await store.close();
  };
}
