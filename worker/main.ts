/** LM worker process: connects to Temporal, registers search attributes, runs both workers until a signal. */
import { Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../common/config';
import { createLogger } from '../common/logger';
import { ensureSearchAttributes } from '../common/search-attribute-registration';
import { retryUntilConnected } from '../common/wait-for-temporal';
import { agentTaskQueue, WORKFLOW_TASK_QUEUE } from '../workflows/model/task-queues';
import { createWorkers } from './create-workers';
import { temporalLogger } from './temporal-logger';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('lm-worker', config.logLevel);
  Runtime.install({
    logger: temporalLogger(logger),
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    // The SDK's worker metrics and the LM's own (instance transitions, drift), on one Prometheus endpoint.
    ...(config.metricsAddress === null ? {} : { telemetryOptions: { metrics: { prometheus: { bindAddress: config.metricsAddress } } } }),
  });
  const { address, namespace } = config.temporal;

  const client = await retryUntilConnected(() => Connection.connect({ address }), address, logger);
  const added = await ensureSearchAttributes(client, namespace);
  if (added.length > 0) logger.info({ added }, 'registered search attributes');
  await client.close();

  const connection = await retryUntilConnected(() => NativeConnection.connect({ address }), address, logger);
  try {
    const { workflowWorker, agentWorker, watcher } = await createWorkers(connection, config, logger);
    logger.info(
      { address, namespace, queues: [WORKFLOW_TASK_QUEUE, agentTaskQueue(config.hostIp)], mode: config.mode },
      'LM worker running',
    );
    try {
      await Promise.all([workflowWorker.run(), agentWorker.run()]);
    } finally {
      watcher?.stop();
    }
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
