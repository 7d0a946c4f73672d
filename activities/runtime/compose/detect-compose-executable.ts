/**
 * Which compose the agent has: the `docker compose` v2 plugin when present, else the standalone `docker-compose`
 * v1 (Debian's 1.29). Detected once per process; a miss is not remembered, so installing compose needs no restart.
 */
import { FailureType } from '../../../workflows/model/failures';
import { failure } from '../../failures';
import { runCommand } from './run-command';

const PROBE_TIMEOUT_MS = 15_000;

/** How to run compose: `file` with `prefix` before compose's own arguments. */
export interface ComposeExecutable {
  file: string;
  prefix: string[];
}

let detected: Promise<ComposeExecutable> | null = null;

async function works(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    return (await runCommand(file, args, { timeoutMs: PROBE_TIMEOUT_MS, env })).exitCode === 0;
  } catch {
    return false; // not installed
  }
}

async function detect(env: NodeJS.ProcessEnv, agent: string): Promise<ComposeExecutable> {
  if (await works('docker', ['compose', 'version'], env)) return { file: 'docker', prefix: ['compose'] };
  if (await works('docker-compose', ['version'], env)) return { file: 'docker-compose', prefix: [] };
  throw failure(
    FailureType.NotSupported,
    `docker-compose needs compose on agent ${agent}: install the docker compose plugin or docker-compose, then retry`,
  );
}

export function composeExecutable(env: NodeJS.ProcessEnv, agent: string): Promise<ComposeExecutable> {
  if (detected === null) {
    const attempt = detect(env, agent);
    detected = attempt;
    attempt.catch(() => {
      if (detected === attempt) detected = null;
    });
  }
  return detected;
}
