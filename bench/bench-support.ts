/** What the benchmarks share: a Temporal dev server and an LM API for one run, and small statistics. */
import fs from 'node:fs';
import { loadConfig } from '../common/config';
import { startDevServer, type DevServer } from '../test/support/dev-server';
import { startLm, type HarnessOptions, type LmHarness } from '../test/support/lm-harness';

export interface BenchStack {
  server: DevServer;
  lm: LmHarness;
  stop(): Promise<void>;
}

/** SQLite in WAL mode, as scripts/start.sh runs it. */
export async function startBenchStack(env: Record<string, string> = {}, options: HarnessOptions = {}): Promise<BenchStack> {
  const server = await startDevServer({ extraArgs: ['--sqlite-pragma', 'journal_mode=WAL'] });
  process.env.LM_TEST_TEMPORAL_ADDRESS = server.address;
  // The LM's own defaults for observation, not the test harness's (which turns it off).
  const defaults = loadConfig({});
  const lm = await startLm(
    {
      TEMPORAL_ADDRESS: server.address,
      LM_LOG_LEVEL: 'error',
      LM_OBSERVE_INTERVAL_S: String(defaults.observeIntervalMs / 1000),
      LM_WATCH_DOCKER_EVENTS: String(defaults.watchDockerEvents),
      ...env,
    },
    options,
  );
  return {
    server,
    lm,
    async stop() {
      await lm.stop();
      await server.stop();
    },
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Resident memory of a process, in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
