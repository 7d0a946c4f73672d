/**
 * Once per test run: a real Docker engine must answer, the offline test images exist, and one real Temporal
 * dev server runs for every suite (its address goes to the suites through LM_TEST_TEMPORAL_ADDRESS).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer } from './dev-server';
import { assertDockerAvailable } from './docker-available';
import { ensureBusyboxImage } from './test-images';

export const STATE_FILE = path.join(os.tmpdir(), `lm-test-run-${process.ppid}-${process.pid}.json`);

export default async function globalSetup(): Promise<void> {
  assertDockerAvailable();
  ensureBusyboxImage();
  if (process.env.LM_TEST_TEMPORAL_ADDRESS) return;
  const server = await startDevServer();
  process.env.LM_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.LM_TEST_TEMPORAL_PID = String(server.process.pid);
  server.process.unref();
  fs.writeFileSync(STATE_FILE, JSON.stringify({ pid: server.process.pid }));
}
