/**
 * A deploy whose worker dies after the engine made the container but before anyone recorded it: the engine's
 * answer to the create is held (a proxy in front of the real socket), the worker is SIGKILLed, and with no
 * worker left the deploy fails, `container_id` still "-". The terminate that follows must still remove the
 * container: removal finds it by its deterministic name and labels.
 */
import { startDockerSocketProxy, type DockerSocketProxy } from '../support/docker-socket-proxy';
import { startLm, type LmHarness } from '../support/lm-harness';
import { startWorkerProcess, type LmProcess } from '../support/lm-process';
import { containersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { getInstance, submit, untilTerminated } from '../support/api-calls';

/** The agent whose worker is killed: a worker process of its own (the workflows run on in this process). */
const AGENT = '127.0.0.5';
let proxy: DockerSocketProxy;
let lm: LmHarness;
let worker: LmProcess | null = null;

beforeAll(async () => {
  proxy = await startDockerSocketProxy();
  lm = await startLm({ LM_AGENT_TIMEOUT_S: '3' });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await lm?.stop();
  await proxy?.close();
});

const workerEnv = () => ({
  TEMPORAL_ADDRESS: lm.config.temporal.address,
  HOST_IP: AGENT,
  STANDALONE_MODE: 'True',
  DOCKER_SOCKET: proxy.url,
  LM_AGENT_TIMEOUT_S: '3',
  // Lost within 2 s: a step nobody takes is queued again while the agent may be alive, given up once it is lost.
  LM_AGENT_LOST_S: '2',
});

test('a deploy killed between create and record, then terminated: no container is left', async () => {
  worker = startWorkerProcess(workerEnv());
  const created = proxy.holdAnswerTo(/^POST \S*\/containers\/create/);
  const { uuid } = await submit(lm.api, { wait: false, agents: [AGENT] });
  lm.made.push(uuid);
  await created;
  await eventually('the container on the engine', async () => ((await containersOf(uuid)).length === 1 ? true : undefined), 30_000, 100);
  await worker.kill('SIGKILL');

  // Its heartbeat stops, the retry finds no worker: the deploy fails without ever learning the container's id.
  const failed = await eventually(
    'the deploy to fail',
    async () => {
      const instance = await getInstance(lm.api, uuid);
      return instance.status === 'error' ? instance : undefined;
    },
    60_000,
    500,
  );
  expect(failed.agents[0].status).toBe('not-deployed');
  expect(failed.agents[0].container_id).toBe('-');
  expect(await containersOf(uuid)).toHaveLength(1);

  worker = startWorkerProcess(workerEnv());
  const deleted = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(deleted.status).toBe(200);
  // Terminated by this DELETE, or, if it came before the agent was announced back, by that announcement.
  await untilTerminated(lm.api, uuid);
  expect(await containersOf(uuid)).toHaveLength(0);
}, 120_000);
