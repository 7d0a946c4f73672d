/**
 * More agents on this one machine, as a multi-machine cluster has them: each with its own Docker engine (a private
 * dockerd), its own HOST_IP on loopback and its own LM in the agent role, started the way a user joins one
 * (`scripts/start.sh agent`, from the built dist/), against the test run's Temporal. `remove()` takes all of it away.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';
import { startPrivateEngine, type PrivateEngine } from './private-docker-engine';
import { runStartScript, type StartScript } from './start-script';
import { BUSYBOX_IMAGE } from './test-images';

export interface ExtraAgent {
  ip: string;
  engine: PrivateEngine;
  /** Its REST API. */
  apiUrl: string;
  /** The pid of its LM worker, while it runs. */
  workerPid(): number | null;
  /** Starts its LM (again), and waits until it runs. */
  startLm(): Promise<void>;
  /** SIGKILLs its LM worker, as a crash would (its start.sh then stops its API and exits). */
  killLm(): Promise<void>;
  /** Stops its LM as Ctrl-C does. */
  stopLm(): Promise<void>;
  remove(): Promise<void>;
}

export interface ExtraAgentOptions {
  temporalAddress: string;
  /** Loopback addresses, one agent each. */
  ips: string[];
  /** More environment for each agent's LM (LM_AGENT_LOST_S, tokens…). */
  env?: Record<string, string>;
  images?: string[];
  /**
   * Every agent's API on this port, each on its own HOST_IP (LM_API_ADDRESS), as machines of their own share
   * LM_PORT; by default each on a free port of its own, on every interface.
   */
  sharedApiPort?: number;
}

async function startAgent(ip: string, index: number, options: ExtraAgentOptions): Promise<ExtraAgent> {
  const engine = await startPrivateEngine({ name: `${process.pid % 100_000}x${index}`, images: options.images ?? [BUSYBOX_IMAGE] });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `lm-agent-${ip}-`));
  const apiPort = options.sharedApiPort ?? (await freePort());
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DOCKER_HOST', 'KUBECONFIG', 'LM_METRICS_ADDRESS']) delete base[name];
  const env: NodeJS.ProcessEnv = {
    ...base,
    TEMPORAL_ADDRESS: options.temporalAddress,
    HOST_IP: ip,
    DOCKER_SOCKET: engine.socket,
    LM_PORT: String(apiPort),
    ...(options.sharedApiPort === undefined ? {} : { LM_API_ADDRESS: ip }),
    // One metrics port per machine would collide here.
    LM_METRICS_ADDRESS: '',
    LM_DATA_DIR: dataDir,
    WORKING_DIR_VOLUME: path.join(dataDir, 'compose'),
    STANDALONE_MODE: 'True',
    ...options.env,
  };
  let script: StartScript | null = null;
  let workerPid: number | null = null;

  const startLm = async (): Promise<void> => {
    if (script !== null && script.process.exitCode === null) throw new Error(`the LM of agent ${ip} runs already`);
    const started = runStartScript(['agent'], env);
    script = started;
    await started.waitFor(`LM agent ${ip} is running`, 120_000);
    workerPid = Number(/worker pid (\d+)/.exec(started.output())?.[1] ?? NaN);
  };
  const stopLm = async (): Promise<void> => {
    await script?.stop();
    workerPid = null;
  };

  try {
    await startLm();
  } catch (err) {
    await stopLm();
    await engine.remove();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    ip,
    engine,
    apiUrl: `http://${options.sharedApiPort === undefined ? '127.0.0.1' : ip}:${apiPort}`,
    workerPid: () => workerPid,
    startLm,
    stopLm,
    async killLm() {
      if (workerPid === null) throw new Error(`the LM of agent ${ip} does not run`);
      process.kill(workerPid, 'SIGKILL');
      workerPid = null;
      await script?.exited;
    },
    async remove() {
      await stopLm();
      await engine.remove();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts them one after the other (each start.sh checks the build; the first one builds if needed). */
export async function startExtraAgents(options: ExtraAgentOptions): Promise<ExtraAgent[]> {
  const agents: ExtraAgent[] = [];
  try {
    for (const [index, ip] of options.ips.entries()) agents.push(await startAgent(ip, index, options));
  } catch (err) {
    await removeExtraAgents(agents);
    throw err;
  }
  return agents;
}

export async function removeExtraAgents(agents: ExtraAgent[]): Promise<void> {
  await Promise.allSettled(agents.map((agent) => agent.remove()));
}
