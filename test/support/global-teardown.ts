/** Stops what the global setup started: the Temporal dev server and PostgreSQL (a server given by the caller is left alone). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { killProcess } from './dev-server';
import { PROJECT_ROOT } from './temporal-binary';

export const POSTGRES_SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'lib', 'postgres.sh');

export function stopStartedServices(): void {
  const pid = Number(process.env.LM_TEST_TEMPORAL_PID);
  if (Number.isInteger(pid) && pid > 0) killProcess(pid);
  const postgres = process.env.LM_TEST_POSTGRES_DIR;
  if (postgres) {
    execFileSync(POSTGRES_SCRIPT, ['stop', postgres], { stdio: 'ignore' });
    fs.rmSync(postgres, { recursive: true, force: true });
    fs.rmSync(`${postgres}-initdb.log`, { force: true });
  }
  const data = process.env.LM_DATA_DIR;
  if (data && process.env.LM_TEST_REMOVE_DATA_DIR === 'true') fs.rmSync(data, { recursive: true, force: true });
}

export default async function globalTeardown(): Promise<void> {
  stopStartedServices();
}
