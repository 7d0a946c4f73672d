/**
 * Once per test run: a real Docker engine must answer, the offline test images exist, one real Temporal dev
 * server runs for every suite (its address goes to the suites through LM_TEST_TEMPORAL_ADDRESS), the run has a
 * data directory of its own (LM_DATA_DIR: the default read model, shared like Temporal), and a real PostgreSQL
 * answers for the suites that run on both read-model stores (LM_TEST_DATABASE_URL; scripts/test.sh starts it,
 * else it is started here with the same script and stopped by the teardown).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer } from './dev-server';
import { assertDockerAvailable } from './docker-available';
import { ensureBusyboxImage } from './test-images';
import { POSTGRES_SCRIPT, stopStartedServices } from './global-teardown';

export const STATE_FILE = path.join(os.tmpdir(), `lm-test-run-${process.ppid}-${process.pid}.json`);

function startPostgres(dir: string): string {
  try {
    return execFileSync(POSTGRES_SCRIPT, ['start', dir], { encoding: 'utf8', env: { ...process.env, LM_PG_FSYNC: 'off' } }).trim();
  } catch (err) {
    throw new Error(`PostgreSQL could not be started for the tests (install Debian's postgresql, or run scripts/test.sh): ${String(err)}`, {
      cause: err,
    });
  }
}

export default async function globalSetup(): Promise<void> {
  assertDockerAvailable();
  ensureBusyboxImage();
  try {
    await startServices();
  } catch (err) {
    // Jest runs no teardown after a failed setup: stop here what was started.
    stopStartedServices();
    throw err;
  }
}

async function startServices(): Promise<void> {
  if (!process.env.LM_DATA_DIR) {
    process.env.LM_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-test-data-'));
    process.env.LM_TEST_REMOVE_DATA_DIR = 'true';
  }
  if (!process.env.LM_TEST_DATABASE_URL) {
    // A directory of its own: the script hands it to the postgres user when run as root.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-test-postgres-'));
    process.env.LM_TEST_DATABASE_URL = startPostgres(dir);
    process.env.LM_TEST_POSTGRES_DIR = dir;
  }
  if (process.env.LM_TEST_TEMPORAL_ADDRESS) return;
  const server = await startDevServer();
  process.env.LM_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.LM_TEST_TEMPORAL_PID = String(server.process.pid);
  server.process.unref();
  fs.writeFileSync(STATE_FILE, JSON.stringify({ pid: server.process.pid }));
}
