/**
 * An LM on a private Docker engine of its own, for suites that stop and start the engine: its events followed, as in
 * production (their stream coming back is how the agent looks at what the engine's restore left), and Docker calls
 * cut at 5 s so a stopped engine is found quickly.
 */
import { startLm, type LmHarness } from './lm-harness';
import { startPrivateEngine, type PrivateEngine } from './private-docker-engine';
import { BUSYBOX_IMAGE } from './test-images';

export interface LmOnPrivateEngine {
  engine: PrivateEngine;
  lm: LmHarness;
}

/** `prefix`: a few letters that, with the process id, name the engine's bridge and directories; `env`: more LM settings. */
export async function startLmOnPrivateEngine(prefix: string, env: Record<string, string> = {}): Promise<LmOnPrivateEngine> {
  const engine = await startPrivateEngine({ name: `${prefix}${process.pid % 100_000}`, images: [BUSYBOX_IMAGE] });
  const lm = await startLm({ DOCKER_SOCKET: engine.socket, LM_DOCKER_TIMEOUT_MS: '5000', LM_WATCH_DOCKER_EVENTS: 'true', ...env });
  return { engine, lm };
}

/** Either may be missing when the suite's setup failed part-way. */
export async function stopLmOnPrivateEngine(stack: Partial<LmOnPrivateEngine>): Promise<void> {
  await stack.lm?.stop();
  await stack.engine?.remove();
}
