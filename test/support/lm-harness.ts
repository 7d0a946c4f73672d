/**
 * A whole LM in the test process, on the real Temporal dev server of the run and the real Docker engine:
 * both workers (workflow queue + this agent's queue) and the Express API on a random port.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import axios, { type AxiosInstance } from 'axios';
import { createApiContext } from '../../api/api-context';
import { createApp } from '../../api/app';
import { loadConfig, type LmConfig } from '../../common/config';
import { createLogger } from '../../common/logger';
import { ensureSearchAttributes } from '../../common/search-attribute-registration';
import { createWorkers } from '../../worker/create-workers';
import { removeContainersOf } from './docker-state';
import type { RuntimeEventFollower } from '../../activities/runtime/runtime-events';

export interface LmHarness {
  config: LmConfig;
  client: Client;
  api: AxiosInstance;
  baseUrl: string;
  /** Instance uuids the test made: `stop()` removes their containers, whatever state the test left them in. */
  made: string[];
  /** Removes what the test made, then stops the API and the workers. */
  stop(): Promise<void>;
}

let bundle: Promise<{ code: string }> | null = null;
let runtimeInstalled = false;

/** Bundling is the slow part of a worker start: once per test file. */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
  return bundle;
}

export function testTemporalAddress(): string {
  const address = process.env.LM_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('LM_TEST_TEMPORAL_ADDRESS is not set: run the tests through jest (global setup starts Temporal)');
  return address;
}

export interface HarnessOptions {
  /** False: the API only; workers run elsewhere (e.g. a worker process the test kills). */
  workers?: boolean;
}

export async function startLm(env: Record<string, string> = {}, options: HarnessOptions = {}): Promise<LmHarness> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
    runtimeInstalled = true;
  }
  const config = loadConfig({
    STANDALONE_MODE: 'True',
    TEMPORAL_ADDRESS: testTemporalAddress(),
    LM_LOG_LEVEL: 'warn',
    LM_AGENT_TIMEOUT_S: '20',
    LM_WAIT_TIMEOUT_S: '120',
    // Suites assert on exact timelines and peer calls: observation runs only where a test turns it on.
    LM_OBSERVE_INTERVAL_S: '0',
    LM_WATCH_DOCKER_EVENTS: 'false',
    LM_WATCH_KUBERNETES: 'false',
    ...env,
  });
  const logger = createLogger('lm-test', config.logLevel);
  const connection = await Connection.connect({ address: config.temporal.address });
  await ensureSearchAttributes(connection, config.temporal.namespace);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  const workers: Worker[] = [];
  let watcher: RuntimeEventFollower | null = null;
  if (options.workers !== false) {
    const { workflowWorker, agentWorker, watcher: follower } = await createWorkers(nativeConnection, config, logger, {
      workflowBundle: await workflowBundle(),
    });
    workers.push(workflowWorker, agentWorker);
    watcher = follower;
  }
  const running: Array<Promise<void>> = workers.map((worker) => worker.run());

  const app = createApp(createApiContext(config, logger, client));
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const api = axios.create({ baseURL: baseUrl, validateStatus: () => true, timeout: 180_000 });

  const made: string[] = [];
  return {
    config,
    client,
    api,
    baseUrl,
    made,
    async stop() {
      await removeContainersOf(made);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      watcher?.stop();
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.allSettled(running);
      await nativeConnection.close();
      await connection.close();
    },
  };
}
