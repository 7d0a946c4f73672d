/**
 * A compose runtime on the machine's engine for integration tests: the real ComposeRuntime over its own working
 * directory, fed by a loopback compose-file server; `close()` sweeps the projects it was told about and removes
 * the rest.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ComposeRuntime } from '../../activities/runtime/compose/compose-runtime';
import { DEFAULT_COMPOSE_FETCH_LIMITS } from '../../activities/runtime/compose/fetch-compose-file';
import { sweepComposeProject } from '../../activities/runtime/compose/sweep-compose-project';
import { startComposeFileServer, type ComposeFileServer } from './compose-file-server';
import { docker } from './docker-state';

export const COMPOSE_TEST_SOCKET = 'unix:///var/run/docker.sock';

export interface ComposeTestRuntime {
  server: ComposeFileServer;
  workingDir: string;
  runtime: ComposeRuntime;
  close(projects: Iterable<string>): Promise<void>;
}

export async function startComposeTestRuntime(prefix: string): Promise<ComposeTestRuntime> {
  const server = await startComposeFileServer();
  const workingDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const runtime = new ComposeRuntime({
    docker,
    pullDocker: docker,
    socket: COMPOSE_TEST_SOCKET,
    workingDir,
    allowPrivileged: false,
    fetchLimits: { ...DEFAULT_COMPOSE_FETCH_LIMITS, timeoutMs: 5_000 },
    composeHttpTimeoutS: 60,
  });
  return {
    server,
    workingDir,
    runtime,
    async close(projects) {
      for (const project of projects) await sweepComposeProject(docker, project, COMPOSE_TEST_SOCKET).catch(() => undefined);
      fs.rmSync(workingDir, { recursive: true, force: true });
      await server.close();
    },
  };
}
