/**
 * The broker services started with the broker and stopped before its logs close (group coordinator, producer
 * ids, ...). A module registers itself with one line here; its starter (`ServiceStarter`, see context.ts) puts
 * its state on `broker.services` and may return a function that stops it.
 */
import type { ServiceStarter } from './context.js';
import { startDynamicBrokerConfigs } from './dynamic-configs.js';
import { startQuotas } from './quotas/throttle.js';
import { startGroupCoordinator } from './groups/service.js';
import { startConsoleApi } from './http/api/service.js';
import { startProducerServices } from './producers/service.js';
import { startTransactionCoordinator } from './txn/service.js';
import { startAuthorizer } from './acl/service.js';

export const serviceStarters: ServiceStarter[] = [startDynamicBrokerConfigs, startQuotas, startGroupCoordinator, startProducerServices, startTransactionCoordinator, startAuthorizer, startConsoleApi];
