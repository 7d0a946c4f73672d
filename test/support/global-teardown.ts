/** Stops the Temporal dev server the global setup started (a server given by the caller is left alone). */
import { killProcess } from './dev-server';

export default async function globalTeardown(): Promise<void> {
  const pid = Number(process.env.LM_TEST_TEMPORAL_PID);
  if (Number.isInteger(pid) && pid > 0) killProcess(pid);
}
