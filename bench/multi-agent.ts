/**
 * bench/multi-agent: N instances (default 60) submitted at once, placed by the LM over three agents (the full LM
 * on the machine's engine, two agent-role LMs joined with `scripts/start.sh agent`, each on a private dockerd),
 * timed until all are `started`, then all terminated at once, timed until every DELETE answered. The baseline,
 * measured in the same run in A-B-B-A order: the same N instances on one agent (`agents_list` naming the first).
 * Prints the ratios and where the spread instances landed; checks that no engine keeps a container afterwards.
 * Usage (after npm run build && npm run build:dev): node .build/bench/multi-agent.js [N=60] [rounds=1]
 * — or scripts/bench.sh multi-agent.
 */
import os from 'node:os';
import type Docker from 'dockerode';
import { containersOf, docker as machineEngine } from '../test/support/docker-state';
import { removeExtraAgents, startExtraAgents, type ExtraAgent } from '../test/support/extra-agents';
import type { LmHarness } from '../test/support/lm-harness';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../test/support/test-images';
import { uuidOf } from '../workflows/model/instance';
import { median, runBench, startBenchStack } from './bench-support';

const EXTRA_IPS = ['127.0.0.22', '127.0.0.23'];

const seconds = (ms: number): string => (ms / 1000).toFixed(2);

interface Round {
  deployMs: number;
  terminateMs: number;
  /** Instances per agent IP. */
  spread: Record<string, number>;
}

let round = 0;

/** Submits n at once (on `agents`, or placed by the LM), waits until all are started, then terminates them all. */
async function deployAndTerminate(lm: LmHarness, n: number, engines: Docker[], agents: string[] | null): Promise<Round> {
  round += 1;
  const user = `bench-${process.pid}-${round}`;
  const started = Date.now();
  const responses = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      lm.api.post('/api/v2/lm/service', {
        user_id: user,
        service: { name: `spread-${i}`, exec: BUSYBOX_IMAGE, exec_type: 'docker', exec_ports: [] },
        ...(agents === null ? {} : { agents_list: agents.map((agent_ip) => ({ agent_ip })) }),
      }),
    ),
  );
  const uuids = responses.map((r) => {
    if (r.status !== 200) throw new Error(`submit failed: ${r.status} ${JSON.stringify(r.data)}`);
    return uuidOf(r.data.service_instance.id as string);
  });
  let instances: Array<{ status: string; error: string | null; agents: Array<{ url: string }> }>;
  for (;;) {
    const page = await lm.api.get(`/api/v2/lm/service-instances/all?user=${user}&status=started,error,degraded&page_size=1000`);
    instances = page.data.service_instances;
    const failed = instances.find((i) => i.status !== 'started');
    if (failed) throw new Error(`an instance ended ${failed.status}: ${failed.error}`);
    if (instances.length === n) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const deployMs = Date.now() - started;
  const spread: Record<string, number> = {};
  for (const instance of instances) for (const agent of instance.agents) spread[agent.url] = (spread[agent.url] ?? 0) + 1;

  const terminating = Date.now();
  const ended = await Promise.all(uuids.map((uuid) => lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`)));
  const terminateMs = Date.now() - terminating;
  const unfinished = ended.filter((r) => r.data?.service_instance?.status !== 'terminated').length;
  if (unfinished > 0) throw new Error(`${unfinished} terminate(s) did not finish`);
  const left = (await Promise.all(engines.flatMap((engine) => uuids.map((uuid) => containersOf(uuid, engine))))).flat();
  if (left.length > 0) throw new Error(`${left.length} container(s) left on the engines after terminate`);
  return { deployMs, terminateMs, spread };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 60);
  const rounds = Number(process.argv[3] ?? 1);
  ensureBusyboxImage();
  const stack = await startBenchStack();
  let extra: ExtraAgent[] = [];
  const one: Round[] = [];
  const three: Round[] = [];
  try {
    extra = await startExtraAgents({ temporalAddress: stack.server.address, ips: EXTRA_IPS });
    const engines = [machineEngine, ...extra.map((agent) => agent.engine.docker)];
    const leader = [stack.lm.config.hostIp];
    for (;;) {
      const alive = ((await stack.lm.api.get('/api/v2/lm/agents')).data.agents as Array<{ ip: string; alive: boolean }>).filter(
        (a) => a.alive,
      );
      if ([...leader, ...EXTRA_IPS].every((ip) => alive.some((a) => a.ip === ip))) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await deployAndTerminate(stack.lm, 3, engines, null); // warm-up: bundle caches, JIT, first connections
    for (let i = 0; i < rounds; i += 1) {
      one.push(await deployAndTerminate(stack.lm, n, engines, leader));
      for (let j = 0; j < 2; j += 1) three.push(await deployAndTerminate(stack.lm, n, engines, null));
      one.push(await deployAndTerminate(stack.lm, n, engines, leader));
    }
  } finally {
    await removeExtraAgents(extra);
    await stack.stop();
  }
  const row = (label: string, runs: Round[], base: Round[]) => {
    const d = median(runs.map((r) => r.deployMs));
    const t = median(runs.map((r) => r.terminateMs));
    const spread = Object.entries(runs[0].spread)
      .map(([ip, count]) => `${ip}: ${count}`)
      .join(', ');
    return `| ${label} | ${seconds(d)} s | ${(d / median(base.map((r) => r.deployMs))).toFixed(2)}× | ${seconds(t)} s | ${(t / median(base.map((r) => r.terminateMs))).toFixed(2)}× | ${spread} |`;
  };
  console.log(`bench/multi-agent  N=${n}  A-B-B-A × ${rounds}  (medians; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`);
  console.log('| placement | submit → all started | ratio | terminate all | ratio | instances per agent (first run) |');
  console.log('|---|---|---|---|---|---|');
  console.log(row('one agent (agents_list: the leader)', one, one));
  console.log(row('three agents (placed by the LM)', three, one));
  console.log(
    `runs (s): one ${one.map((r) => `${seconds(r.deployMs)}/${seconds(r.terminateMs)}`).join(', ')} · three ${three.map((r) => `${seconds(r.deployMs)}/${seconds(r.terminateMs)}`).join(', ')}`,
  );
}

runBench(main);
