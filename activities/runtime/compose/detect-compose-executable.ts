/**
 * Which compose the agent has: the `docker compose` v2 plugin when present, else the standalone `docker-compose`
 * v1 (Debian's 1.29). Detected once per process; a miss is not remembered, so installing compose needs no restart.
 */
import type { IDockerComposeExecutableOptions } from 'docker-compose';
import { FailureType } from '../../../workflows/model/failures';
import { failure } from '../../failures';
import { runCommand } from './run-command';

const PROBE_TIMEOUT_MS = 15_000;

let detected: Promise<IDockerComposeExecutableOptions> | null = null;

async function works(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    return (await runCommand(file, args, { timeoutMs: PROBE_TIMEOUT_MS, env })).exitCode === 0;
  } catch {
    return false; // not installed
  }
}

async function detect(env: NodeJS.ProcessEnv, agent: string): Promise<IDockerComposeExecutableOptions> {
  if (await works('docker', ['compose', 'version'], env)) return { executablePath: 'docker' };
  if (await works('docker-compose', ['version'], env)) return { standalone: true, executablePath: 'docker-compose' };
  throw failure(
    FailureType.NotSupported,
    `docker-compose needs compose on agent ${agent}: install the docker compose plugin or docker-compose, then retry`,
  );
}

export function composeExecutable(env: NodeJS.ProcessEnv, agent: string): Promise<IDockerComposeExecutableOptions> {
  if (detected === null) {
    const attempt = detect(env, agent);
    detected = attempt;
    attempt.catch(() => {
      if (detected === attempt) detected = null;
    });
  }
  return detected;
}
