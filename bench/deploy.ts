/**
 * bench/deploy: submit N instances at once through the LM and time until all are `started`; in the same
 * run, create and start the same N containers directly through the Docker API. Prints both and the ratio.
 * Usage (after npm run build): node dist/bench/deploy.js [N=20] [rounds=2]   — or scripts/bench.sh deploy
 */
import Docker from 'dockerode';
import type { LmHarness } from '../test/support/lm-harness';
import { ensureBusyboxImage } from '../test/support/test-images';
import { removeContainersOf } from '../test/support/docker-state';
import { uuidOf } from '../workflows/model/instance';
import { median, runBench, startBenchStack } from './bench-support';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const BENCH_LABEL = 'lm.bench';

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

/** The baseline: what the LM does per agent (create with a published port, start), straight to Docker. */
async function directDeploy(n: number, image: string): Promise<number> {
  const started = Date.now();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const container = await docker.createContainer({
        name: `lm-bench-direct-${i}`,
        Image: image,
        Tty: true,
        Labels: { [BENCH_LABEL]: 'direct' },
        ExposedPorts: { '80/tcp': {} },
        HostConfig: { PortBindings: { '80/tcp': [{ HostPort: String(30001 + i) }] } },
      });
      await container.start();
    }),
  );
  const elapsed = Date.now() - started;
  const made = await docker.listContainers({ all: true, filters: { label: [`${BENCH_LABEL}=direct`] } });
  await Promise.all(made.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  return elapsed;
}

let round = 0;

/** Polls the listing (Temporal visibility), not each instance: per-instance queries would load the worker. */
async function lmDeploy(lm: LmHarness, n: number, image: string): Promise<number> {
  round += 1;
  const user = `bench-${process.pid}-${round}`;
  const started = Date.now();
  const responses = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      lm.api.post('/api/v2/lm/service', {
        user_id: user,
        service: { name: `bench-${i}`, exec: image, exec_type: 'docker', exec_ports: [80] },
      }),
    ),
  );
  const uuids = responses.map((r) => {
    if (r.status !== 200) throw new Error(`submit failed: ${r.status} ${JSON.stringify(r.data)}`);
    return uuidOf(r.data.service_instance.id as string);
  });
  for (;;) {
    const page = await lm.api.get(`/api/v2/lm/service-instances/all?user=${user}&status=started,error,degraded&page_size=1000`);
    const instances = page.data.service_instances as Array<{ status: string; error: string | null }>;
    const failed = instances.find((i) => i.status !== 'started');
    if (failed) throw new Error(`an instance ended ${failed.status}: ${failed.error}`);
    if (instances.length === n) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const elapsed = Date.now() - started;
  await removeContainersOf(uuids);
  return elapsed;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20);
  const rounds = Number(process.argv[3] ?? 2);
  const image = ensureBusyboxImage();
  const stack = await startBenchStack();
  const { lm } = stack;
  try {
    await lmDeploy(lm, 1, image); // warm-up: bundle caches, JIT, first connections
    const direct: number[] = [];
    const viaLm: number[] = [];
    for (let i = 0; i < rounds; i += 1) {
      direct.push(await directDeploy(n, image));
      viaLm.push(await lmDeploy(lm, n, image));
    }
    const d = median(direct);
    const l = median(viaLm);
    console.log(`bench/deploy  N=${n}  rounds=${rounds}  (median; machine: ${require('node:os').cpus().length} cores)`);
    console.log(`  Docker API directly (create+start):        ${seconds(d)} s   (${(n / (d / 1000)).toFixed(1)} containers/s)   runs: ${direct.map(seconds).join(', ')}`);
    console.log(`  LM (submit → all started, via Temporal):   ${seconds(l)} s   (${(n / (l / 1000)).toFixed(1)} instances/s)   runs: ${viaLm.map(seconds).join(', ')}`);
    console.log(`  ratio LM / direct:                          ${(l / d).toFixed(2)}x`);
  } finally {
    await stack.stop();
  }
}

runBench(main);
