/**
 * bench/observe: what observation costs. N started docker instances are observed every I seconds; for W
 * seconds the CPU used by the LM worker, the Temporal server and dockerd is measured, and compared with the
 * CPU a bare loop uses to inspect the same N containers as often through the Docker API (bench process and
 * dockerd). The same W seconds before any instance exists give the stack's idle CPU.
 * Usage (after npm run build && npm run build:dev): node .build/bench/observe.js [N=100] [I=5] [W=30]   — or scripts/bench.sh observe
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import Docker from 'dockerode';
import { loadConfig } from '../common/config';
import { removeContainersOf } from '../test/support/docker-state';
import { ensureBusyboxImage } from '../test/support/test-images';
import { startWorkerProcess } from '../test/support/lm-process';
import { instanceIdOf, uuidOf } from '../workflows/model/instance';
import { runBench, startBenchStack } from './bench-support';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
const BATCH = 25;

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  // Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** CPU seconds each process used while `work` ran (default: `seconds` of waiting). */
async function cpuDuring(pids: number[], seconds: number, work: () => Promise<void> = () => sleep(seconds * 1000)): Promise<number[]> {
  const before = pids.map(cpuSeconds);
  await work();
  return pids.map((pid, i) => cpuSeconds(pid) - before[i]);
}

const total = (cpu: number[]) => cpu.reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 100);
  const every = Number(process.argv[3] ?? 5);
  const window = Number(process.argv[4] ?? 30);
  const image = ensureBusyboxImage();
  const dockerd = Number(execFileSync('pidof', ['dockerd']).toString().trim().split(' ')[0]);
  const stack = await startBenchStack({ LM_OBSERVE_INTERVAL_S: String(every) }, { workers: false });
  const { lm } = stack;
  const worker = startWorkerProcess({
    TEMPORAL_ADDRESS: stack.server.address,
    HOST_IP: lm.config.hostIp,
    LM_WATCH_DOCKER_EVENTS: String(lm.config.watchDockerEvents),
  });
  const lmPids = [worker.process.pid ?? 0, stack.server.process.pid ?? 0, dockerd];
  const uuids: string[] = [];
  try {
    await sleep(5_000);
    const idle = total(await cpuDuring(lmPids, window));

    for (let done = 0; done < n; done += BATCH) {
      const responses = await Promise.all(
        Array.from({ length: Math.min(BATCH, n - done) }, (_, i) =>
          lm.api.post('/api/v2/lm/service', {
            user_id: 'bench-observe',
            service: { name: `obs-${done + i}`, exec: image, exec_type: 'docker' },
          }),
        ),
      );
      for (const r of responses) {
        if (r.status !== 200) throw new Error(`submit failed: ${r.status} ${JSON.stringify(r.data)}`);
        uuids.push(uuidOf(r.data.service_instance.id as string));
      }
    }
    for (;;) {
      const page = await lm.api.get('/api/v2/lm/service-instances/all?user=bench-observe&status=started&page_size=1');
      if (page.data.count >= n) break;
      await sleep(1_000);
    }
    // Let the deploys' aftermath pass and the observation rounds spread out.
    await sleep(2 * every * 1000);
    const rounds = async (uuid: string) => {
      const history = await lm.client.workflow.getHandle(instanceIdOf(uuid)).fetchHistory();
      return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'observeWorkload').length;
    };
    const roundsBefore = await rounds(uuids[0]);
    const [workerCpu, temporalCpu, dockerdCpu] = await cpuDuring(lmPids, window);
    const observing = workerCpu + temporalCpu + dockerdCpu;
    const observed = (await rounds(uuids[0])) - roundsBefore;

    const containers = await docker.listContainers({ filters: { label: ['lm.service-instance'] } });
    const ids = containers.filter((c) => uuids.includes(c.Labels['lm.service-instance'])).map((c) => c.Id);
    const started = process.cpuUsage();
    const [dockerdDirect] = await cpuDuring([dockerd], window, async () => {
      const end = Date.now() + window * 1000;
      while (Date.now() < end) {
        const tick = Date.now();
        await Promise.all(ids.map((id) => docker.getContainer(id).inspect()));
        await sleep(Math.max(0, every * 1000 - (Date.now() - tick)));
      }
    });
    const used = process.cpuUsage(started);
    const direct = dockerdDirect + (used.user + used.system) / 1e6;

    const percent = (cpu: number) => `${((cpu / window) * 100).toFixed(1)} % of a core`;
    console.log(
      `bench/observe  N=${n} started instances observed every ${every} s, measured over ${window} s (${observed} rounds seen on one instance)`,
    );
    console.log(`  stack idle, no instance (worker + Temporal + dockerd):  ${percent(idle)}`);
    console.log(
      `  LM observing N instances (worker + Temporal + dockerd): ${percent(observing)}   (${percent(workerCpu)} + ${percent(temporalCpu)} + ${percent(dockerdCpu)})`,
    );
    console.log(`  bare loop inspecting N containers (bench + dockerd):    ${percent(direct)}`);
    console.log(
      `  ratio LM / bare loop:                                    ${(observing / direct).toFixed(2)}x   (net of idle: ${((observing - idle) / direct).toFixed(2)}x)`,
    );
    const perInstanceRound = (observing - idle) / (n * (window / every));
    const defaultEvery = loadConfig({}).observeIntervalMs / 1000;
    console.log(
      `  per observation: ${(perInstanceRound * 1000).toFixed(2)} ms CPU → 1000 instances at the default ${defaultEvery} s ≈ ${(((perInstanceRound * 1000) / defaultEvery) * 100).toFixed(1)} % of a core`,
    );
    if (observed === 0) throw new Error('no observation happened during the window: the benchmark measured nothing');
  } finally {
    await removeContainersOf(uuids);
    await worker.kill('SIGTERM');
    await stack.stop();
  }
}

runBench(main);
