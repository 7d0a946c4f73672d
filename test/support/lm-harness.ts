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
import { openReadModel } from '../../common/read-model/open-read-model';
import type { ReadModelStore } from '../../common/read-model/read-model-store';
import { removeContainersOf } from './docker-state';
import { instanceIdOf } from '../../workflows/model/instance';
import type { RuntimeEventFollower } from '../../activities/runtime/runtime-events';
import type { WorkloadSweep } from '../../worker/workload-sweep';

export interface LmHarness {
  config: LmConfig;
  client: Client;
  api: AxiosInstance;
  baseUrl: string;
  /** Instance uuids the test made: `stop()` removes their containers and ends their workflows, whatever state the test left them in. */
  made: string[];
  /** The API's connection to the read model. */
  readModel: ReadModelStore;
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
  /**
   * True: the API listens where its configuration says (LM_PORT, on LM_API_ADDRESS or loopback), as its own
   * process would; by default on a random loopback port (LM_PORT then only names other agents' LMs' port).
   */
  listenOnConfigPort?: boolean;
}

/** The SDK's runtime, once per process: quiet, and not stopped by the signals jest handles. */
export function ensureTestRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  runtimeInstalled = true;
}

export async function startLm(env: Record<string, string> = {}, options: HarnessOptions = {}): Promise<LmHarness> {
  ensureTestRuntime();
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
    // Suites that leave workloads on purpose must not see them reaped: the periodic sweep (and its reaper) runs
    // where a test turns it on.
    LM_SWEEP_INTERVAL_S: '0',
    // The run's read model (the global setup's data directory), where processes a test spawns write too.
    ...(process.env.LM_DATA_DIR ? { LM_DATA_DIR: process.env.LM_DATA_DIR } : {}),
    ...env,
  });
  const logger = createLogger('lm-test', config.logLevel);
  const connection = await Connection.connect({ address: config.temporal.address });
  await ensureSearchAttributes(connection, config.temporal.namespace);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  const workers: Worker[] = [];
  const stores: ReadModelStore[] = [];
  let watcher: RuntimeEventFollower | null = null;
  let sweep: WorkloadSweep | null = null;
  if (options.workers !== false) {
    const created = await createWorkers(nativeConnection, config, logger, { workflowBundle: await workflowBundle() });
    workers.push(...created.all);
    watcher = created.watcher;
    sweep = created.sweep;
    if (created.readModel !== null) stores.push(created.readModel);
  }
  const running: Array<Promise<void>> = workers.map((worker) => worker.run());

  // The API's own connection to the read model, as in its own process.
  const readModel = await openReadModel(config.readModel);
  stores.push(readModel);
  const app = createApp(createApiContext(config, logger, client, readModel));
  const server: Server = await new Promise((resolve) => {
    const port = options.listenOnConfigPort === true ? config.port : 0;
    const listening = app.listen(port, config.apiAddress ?? '127.0.0.1', () => resolve(listening));
  });
  const baseUrl = `http://${config.apiAddress ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  const api = axios.create({ baseURL: baseUrl, validateStatus: () => true, timeout: 180_000 });

  const made: string[] = [];
  return {
    config,
    client,
    api,
    baseUrl,
    made,
    readModel,
    async stop() {
      // Their workflows end first, so none deploys again what is removed next; a later suite's agent coming and
      // going would otherwise wake them all.
      await Promise.allSettled(made.map((uuid) => client.workflow.getHandle(instanceIdOf(uuid)).terminate('the test is over')));
      await removeContainersOf(made);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      watcher?.stop();
      sweep?.stop();
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.allSettled(running);
      await Promise.allSettled(stores.map((store) => store.close()));
      await nativeConnection.close();
      await connection.close();
    },
  };
}
