/**
 * Broker services started with the broker and stopped before its logs close (group coordinator, producer
 * ids, ...). A module registers itself with one line in `serviceStarters`; its starter puts its state on
 * `broker.services` (typed through `BrokerServices` declaration merging, see context.ts) and may return a
 * function that stops it.
 */
import type { BrokerContext } from './context.js';
import { startGroupCoordinator } from './groups/service.js';
import { startProducerServices } from './producers/service.js';

export type ServiceStop = () => void | Promise<void>;
export type ServiceStarter = (broker: BrokerContext) => void | ServiceStop | Promise<void | ServiceStop>;

export const serviceStarters: ServiceStarter[] = [startGroupCoordinator, startProducerServices];
