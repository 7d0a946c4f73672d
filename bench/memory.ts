/**
 * bench/memory: the LM worker's resident memory with N live instances, against the same worker process with
 * none, measured in the same run. The instances target an agent no worker serves (so no container is made):
 * they settle to `error` and then live on as open workflows waiting for operations, which is what a live
 * instance costs the orchestration side. Usage: node dist/bench/memory.js [N=2000]
 */
import { startWorkerProcess } from '../test/support/lm-process';
import { rssMiB, runBench, startBenchStack } from './bench-support';

const UNSERVED_AGENT = '10.255.255.1';
const BATCH = 50;

async function settleWorker(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 5_000));
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 2000);
  const stack = await startBenchStack({ LM_AGENT_TIMEOUT_S: '1' }, { workers: false });
  const { lm } = stack;
  const worker = startWorkerProcess({ TEMPORAL_ADDRESS: stack.server.address, HOST_IP: lm.config.hostIp, LM_AGENT_TIMEOUT_S: '1', LM_WATCH_DOCKER_EVENTS: String(lm.config.watchDockerEvents) });
  const pid = worker.process.pid ?? 0;
  try {
    await settleWorker();
    const idle = rssMiB(pid);
    const started = Date.now();
    for (let done = 0; done < n; done += BATCH) {
      const batch = Math.min(BATCH, n - done);
      const responses = await Promise.all(
        Array.from({ length: batch }, (_, i) =>
          lm.api.post('/api/v2/lm/service', {
            user_id: 'bench-memory',
            agents_list: [{ agent_ip: UNSERVED_AGENT }],
            service: { name: `mem-${done + i}`, exec: 'lm-test/busybox:latest', exec_type: 'docker' },
          }),
        ),
      );
      const failed = responses.find((r) => r.status !== 200);
      if (failed) throw new Error(`submit failed: ${failed.status} ${JSON.stringify(failed.data)}`);
    }
    for (;;) {
      const page = await lm.api.get('/api/v2/lm/service-instances/all?user=bench-memory&status=error&page_size=1');
      if (page.data.count >= n) break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const elapsed = Date.now() - started;
    await settleWorker();
    const live = rssMiB(pid);
    const temporal = rssMiB(stack.server.process.pid ?? 0);
    console.log(`bench/memory  N=${n} live instances (submitted and settled in ${(elapsed / 1000).toFixed(1)} s)`);
    console.log(`  worker RSS, no instance (baseline):  ${idle.toFixed(1)} MiB`);
    console.log(`  worker RSS, ${n} live instances:     ${live.toFixed(1)} MiB`);
    console.log(`  ratio live / baseline:               ${(live / idle).toFixed(2)}x   (${(((live - idle) * 1024) / n).toFixed(1)} KiB per instance)`);
    console.log(`  Temporal dev server RSS:             ${temporal.toFixed(1)} MiB`);
  } finally {
    await worker.kill('SIGTERM');
    await stack.stop();
  }
}

runBench(main);
