/**
 * LM worker process: connects to Temporal, registers search attributes, runs its workers until a signal.
 * In the `agent` role (scripts/start.sh agent) it joins an existing cluster: it refuses to start when the cluster
 * does not answer or another machine already serves this agent's queue, instead of waiting or competing.
 */
import { Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig, type LmConfig } from '../common/config';
import { createLogger, type Logger } from '../common/logger';
import { describeReadModel } from '../common/read-model/open-read-model';
import { ensureSearchAttributes } from '../common/search-attribute-registration';
import { retryUntilConnected } from '../common/wait-for-temporal';
import { agentPresenceTaskQueue, agentTaskQueue, WORKFLOW_TASK_QUEUE } from '../workflows/model/task-queues';
import { announceLeaving, otherMachineOnQueue, queueTakenMessage } from './agent-registration';
import { createWorkers } from './create-workers';
import { temporalLogger } from './temporal-logger';

/** How long the agent role waits for the cluster to answer before it gives up. */
const JOIN_TIMEOUT_MS = 10_000;

/** How long a stopping LM tries to tell its presence workflow before it closes its connection. */
const LEAVING_TIMEOUT_MS = 2_000;

/** A refusal to start, told to the user as is. */
class JoinRefused extends Error {}

async function connectClient(config: LmConfig, logger: Logger): Promise<Connection> {
  const { address } = config.temporal;
  if (config.role === 'full') return retryUntilConnected(() => Connection.connect({ address }), address, logger);
  try {
    const connection = await Connection.connect({ address, connectTimeout: JOIN_TIMEOUT_MS });
    await connection.withDeadline(Date.now() + JOIN_TIMEOUT_MS, () => connection.workflowService.getSystemInfo({}));
    return connection;
  } catch (err) {
    throw new JoinRefused(
      `cannot join the cluster: Temporal does not answer at ${address} (TEMPORAL_ADDRESS): ${err instanceof Error ? err.message : String(err)}. ` +
        'Start the leader first (scripts/start.sh there, with LM_BIND_ADDRESS set so other machines reach it) or fix TEMPORAL_ADDRESS.',
    );
  }
}

/**
 * On SIGINT/SIGTERM (which the Runtime also turns into a worker shutdown), tells the agent's presence workflow
 * that this LM is stopping. Returns what to await before the connection closes: bounded, and never failing.
 */
function sayLeavingOnStop(connection: NativeConnection, config: LmConfig, identity: string, logger: Logger): () => Promise<void> {
  let leaving: Promise<void> = Promise.resolve();
  const detach = () => {
    process.off('SIGINT', onStop);
    process.off('SIGTERM', onStop);
  };
  const onStop = () => {
    detach();
    leaving = connection
      .withDeadline(Date.now() + LEAVING_TIMEOUT_MS, () => announceLeaving(connection, config, identity))
      .catch((err: unknown) => logger.warn({ err: String(err) }, 'could not tell the presence workflow that this LM is stopping'));
  };
  process.once('SIGINT', onStop);
  process.once('SIGTERM', onStop);
  return () => {
    detach();
    return leaving;
  };
}

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
  // The Runtime turns these signals into a worker shutdown, which means nothing until the workers exist.
  const stopBeforeWorkers = () => process.exit(0);
  process.once('SIGINT', stopBeforeWorkers);
  process.once('SIGTERM', stopBeforeWorkers);

  const client = await connectClient(config, logger);
  try {
    const added = await ensureSearchAttributes(client, namespace);
    if (added.length > 0) logger.info({ added }, 'registered search attributes');
  } catch (err) {
    // An agent may lack the operator rights; its cluster's full LM registers them.
    if (config.role === 'full') throw err;
    logger.warn({ err: String(err) }, "could not register the search attributes; the cluster's full LM does");
  }
  const holder = await otherMachineOnQueue(client, config);
  await client.close();
  if (holder !== null) throw new JoinRefused(queueTakenMessage(config, holder));

  const connection = await retryUntilConnected(() => NativeConnection.connect({ address }), address, logger);
  try {
    const { all, watcher, sweep, readModel, identity } = await createWorkers(connection, config, logger);
    process.off('SIGINT', stopBeforeWorkers);
    process.off('SIGTERM', stopBeforeWorkers);
    const saidLeaving = sayLeavingOnStop(connection, config, identity, logger);
    const queues = [
      ...(config.role === 'full' ? [WORKFLOW_TASK_QUEUE] : []),
      agentTaskQueue(config.hostIp),
      agentPresenceTaskQueue(config.hostIp),
    ];
    const projectsInto = readModel === null ? {} : { readModel: describeReadModel(config.readModel) };
    logger.info({ address, namespace, role: config.role, queues, mode: config.mode, ...projectsInto }, 'LM worker running');
    try {
      await Promise.all(all.map((worker) => worker.run()));
    } finally {
      watcher?.stop();
      sweep.stop();
      await readModel?.close();
      await saidLeaving();
    }
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof JoinRefused) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
