/**
 * Starts the transaction coordinator with the broker: loads `transactions.log`, completes transactions a
 * killed broker left in Prepare*, and re-arms the timeout of ongoing ones. Registered in services.ts.
 */
import { coalescedAppend } from '../append-coalescer.js';
import type { BrokerContext, ServiceStop } from '../context.js';
import '../groups/service.js';
import '../producers/service.js';
import { TransactionCoordinator } from './coordinator.js';
import { TxnLog } from './txn-log.js';

declare module '../context.js' {
  interface BrokerServices {
    transactions: TransactionCoordinator;
  }
}

/** Test hook: set to 1 to leave EndTxn'd transactions in Prepare* (documented in coordinator.ts). */
export const HOLD_MARKERS_ENV = 'KAFKAESQUE_TEST_HOLD_TXN_MARKERS';

export function startTransactionCoordinator(broker: BrokerContext): ServiceStop {
  const ids = broker.services.producerIds;
  if (!ids) throw new Error('the transaction coordinator needs the producer-id service; start it first (services.ts)');
  const { log, txns } = TxnLog.open(broker.config.dataDir, { fsync: broker.config.fsync === 'always' });
  const coordinator = new TransactionCoordinator(
    {
      ids,
      log,
      partitionOf: (topic, partition) => broker.topics.partition(topic, partition),
      append: (partitionLog, batch) => coalescedAppend(partitionLog, batch),
      groups: () => broker.services.groups,
      logger: broker.logger.child({ component: 'transactions' }),
      maxTimeoutMs: broker.config.transactionMaxTimeoutMs,
      expirationMs: broker.config.transactionalIdExpirationMs,
      holdMarkers: process.env[HOLD_MARKERS_ENV] === '1',
    },
    txns,
  );
  broker.services.transactions = coordinator;
  return async () => {
    await coordinator.close();
    await log.close();
  };
}
