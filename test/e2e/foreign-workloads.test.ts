/**
 * The LM acts only on what it made (real Docker, real single-node swarm, in-process LM): the internal API and
 * instance operations pointed at a container, a swarm service and a stack that do not carry the LM's labels
 * for that instance are refused with a message naming the object, and the object is left as it was.
 */
import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { toPythonLiteral } from '../../common/python-literal';
import { STACK_NAMESPACE_LABEL } from '../../activities/runtime/compose-swarm/stack-state';
import { uuidOf, type ServiceInstance } from '../../workflows/model/instance';
import { operate } from '../support/api-calls';
import { startComposeFileServer, type ComposeFileServer } from '../support/compose-file-server';
import { docker, inspectContainer } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { startLm, type LmHarness } from '../support/lm-harness';
import { useSwarm, type SwarmLease } from '../support/swarm';
import { inspectService, removeServicesOf, runningContainersOf, servicesOf } from '../support/swarm-state';
import { BUSYBOX_IMAGE } from '../support/test-images';
import { replicasOf } from '../../activities/runtime/swarm/swarm-api-types';

let lease: SwarmLease;
let lm: LmHarness;
let files: ComposeFileServer;
const run = randomUUID().slice(0, 8);
const foreignContainers: string[] = [];
const foreignServices: string[] = [];
const made: string[] = [];

const NOT_OURS = /is not an LM workload/;

beforeAll(async () => {
  lease = useSwarm();
  files = await startComposeFileServer();
  lm = await startLm();
});

afterAll(async () => {
  for (const name of foreignContainers)
    await docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
  for (const name of foreignServices)
    await docker
      .getService(name)
      .remove()
      .catch(() => undefined);
  await removeServicesOf(made);
  await lm?.stop();
  await files?.close();
  lease?.release();
});

/** A running container nobody asked the LM for; `labels` may imitate the LM's for another instance. */
async function foreignContainer(name: string, labels: Record<string, string> = {}): Promise<Docker.ContainerInspectInfo> {
  foreignContainers.push(name);
  const container = await docker.createContainer({ name, Image: BUSYBOX_IMAGE, Labels: { 'lm-test.foreign': run, ...labels } });
  await container.start();
  return container.inspect();
}

/** A one-replica swarm service nobody asked the LM for; in a stack when `stack` is given. */
async function foreignService(name: string, stack?: string): Promise<string> {
  foreignServices.push(name);
  const labels: Record<string, string> = { 'lm-test.foreign': run, ...(stack ? { [STACK_NAMESPACE_LABEL]: stack } : {}) };
  const service = await docker.createService({
    Name: name,
    Labels: labels,
    TaskTemplate: { ContainerSpec: { Image: BUSYBOX_IMAGE, Labels: labels } },
    Mode: { Replicated: { Replicas: 1 } },
  });
  await eventually(`service ${name} running`, async () => ((await runningContainersOf(service.id)) === 1 ? true : undefined));
  return service.id;
}

async function stillRunsOneReplica(idOrName: string): Promise<void> {
  const service = await inspectService(idOrName);
  expect(service).not.toBeNull();
  expect(replicasOf(service!)).toBe(1);
  expect(await runningContainersOf(service!.ID)).toBe(1);
}

const internal = (body: Record<string, unknown>) => lm.api.put('/api/v2/lm/service-instance-int', body);
const serviceOf = (exec_type: string, exec = BUSYBOX_IMAGE) => ({ name: 'web', exec, exec_type, exec_ports: [], category: 0 });
const agentOf = (container_id: string, app_type: string) => ({
  url: '127.0.0.1',
  container_id,
  app_type,
  ports: [],
  status: 'started',
  agent_param: '-',
});

describe('the internal API', () => {
  test('an original LM naming a container the LM did not make: 409, the container untouched', async () => {
    const container = await foreignContainer(`lm-test-foreign-${run}-a`);
    for (const operation of ['stop', 'terminate']) {
      const response = await internal({ service: serviceOf('docker'), operation, agent: toPythonLiteral(agentOf(container.Id, 'docker')) });
      expect(response.status).toBe(409);
      expect(response.data).toMatchObject({ error: true, message: expect.stringMatching(NOT_OURS) });
      expect(response.data.message).toContain(container.Id);
    }
    expect((await inspectContainer(container.Id)).State.Running).toBe(true);
  });

  test('a container labelled for another agent, or for an instance this LM drives, is refused too', async () => {
    const otherAgent = await foreignContainer(`lm-test-foreign-${run}-b`, {
      'lm.service-instance': randomUUID(),
      'lm.agent': '10.9.9.9',
      'lm.agent-index': '0',
    });
    const response = await internal({ service: serviceOf('docker'), operation: 'terminate', agent: agentOf(otherAgent.Id, 'docker') });
    expect(response.status).toBe(409);
    expect(response.data.message).toMatch(/belongs to instance .* \(agent 10\.9\.9\.9/);
    expect((await inspectContainer(otherAgent.Id)).State.Running).toBe(true);

    // A local instance's container: its own workflow drives it, a peer LM may not.
    const submitted = await lm.api.post('/api/v2/lm/service?wait=true', { service: serviceOf('docker') });
    expect(submitted.data.service_instance.status).toBe('started');
    const instance = submitted.data.service_instance as ServiceInstance;
    const uuid = uuidOf(instance.id);
    lm.made.push(uuid);
    const [agent] = instance.agents;
    const asPeer = await internal({
      service: serviceOf('docker'),
      operation: 'stop',
      agent: agentOf(agent.container_id, 'docker'),
      service_instance: { id: instance.id, agents: [{ url: '127.0.0.1' }] },
    });
    expect(asPeer.status).toBe(409);
    expect(asPeer.data.message).toMatch(/which this LM itself drives/);
    expect((await inspectContainer(agent.container_id)).State.Running).toBe(true);
  });

  test('an instance id with the container id of a container the LM did not make: 409, untouched', async () => {
    const container = await foreignContainer(`lm-test-foreign-${run}-c`);
    const response = await internal({
      service: serviceOf('docker'),
      operation: 'terminate',
      agent: agentOf(container.Id, 'docker'),
      service_instance: { id: `service-instance/${randomUUID()}`, agents: [{ url: '127.0.0.1' }] },
    });
    expect(response.status).toBe(409);
    expect(response.data.message).toMatch(NOT_OURS);
    expect((await inspectContainer(container.Id)).State.Running).toBe(true);
  });

  test('a swarm service and a stack the LM did not make: 409, still running', async () => {
    const serviceId = await foreignService(`lm-test-foreign-${run}-svc`);
    const onService = await internal({
      service: serviceOf('docker-swarm'),
      operation: 'terminate',
      agent: agentOf(serviceId, 'docker-swarm'),
    });
    expect(onService.status).toBe(409);
    expect(onService.data.message).toMatch(new RegExp(`swarm service "${serviceId}" is not an LM workload`));
    await stillRunsOneReplica(serviceId);

    const stack = `lm-test-foreign-${run}-stack`;
    await foreignService(`${stack}_web`, stack);
    for (const operation of ['stop', 'terminate']) {
      const onStack = await internal({
        service: serviceOf('docker-compose-swarm', files.put('x.yml', 'services: {}\n')),
        operation,
        agent: agentOf(stack, 'docker-compose-swarm'),
      });
      expect(onStack.status).toBe(409);
      expect(onStack.data.message).toMatch(new RegExp(`stack "${stack}" is not an LM workload`));
    }
    await stillRunsOneReplica(`${stack}_web`);
  }, 180_000);
});

describe('instance operations', () => {
  async function submitted(service: Record<string, unknown>): Promise<{ uuid: string; instance: ServiceInstance }> {
    const response = await lm.api.post('/api/v2/lm/service?wait=true', { service });
    expect(response.status).toBe(200);
    const instance = response.data.service_instance as ServiceInstance;
    const uuid = uuidOf(instance.id);
    made.push(uuid);
    lm.made.push(uuid);
    expect(instance.status).toBe('started');
    return { uuid, instance };
  }

  /** Stop and DELETE both refuse the object, which is left as it was; the agent says why. */
  async function refusedTwice(uuid: string, unchanged: () => Promise<void>): Promise<void> {
    const stopped = await operate(lm.api, uuid, 'stop');
    const afterStop = stopped.data.service_instance as ServiceInstance;
    expect(afterStop.agents[0].error).toMatch(NOT_OURS);
    await unchanged();
    await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
    await unchanged();
    const timeline = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline as Array<{
      step: string;
      outcome: string;
      message?: string;
    }>;
    expect(timeline.some((e) => e.step === 'remove' && e.outcome === 'failed' && NOT_OURS.test(e.message ?? ''))).toBe(true);
  }

  test("a container put in place of the instance's own, under its name: refused, untouched", async () => {
    const { uuid, instance } = await submitted(serviceOf('docker'));
    const [agent] = instance.agents;
    await docker.getContainer(agent.container_id).remove({ force: true });
    const squatter = await foreignContainer(agent.name);
    await refusedTwice(uuid, async () => {
      const info = await inspectContainer(squatter.Id);
      expect(info.State.Running).toBe(true);
    });
  });

  test("a swarm service put in place of the instance's own: refused, still running", async () => {
    const { uuid, instance } = await submitted({ ...serviceOf('docker-swarm'), name: 'swarm-web' });
    const [agent] = instance.agents;
    await removeServicesOf([uuid]);
    await foreignService(agent.name);
    await refusedTwice(uuid, () => stillRunsOneReplica(agent.name));
  }, 180_000);

  test("a stack put in place of the instance's own: refused, still running", async () => {
    const url = files.put(`stack-${run}.yml`, `services:\n  web:\n    image: ${BUSYBOX_IMAGE}\n`);
    const { uuid } = await submitted({ ...serviceOf('docker-compose-swarm', url), name: 'stack-web' });
    const stack = `lm-${uuid}`;
    await removeServicesOf([uuid]);
    await eventually('the stack gone', async () => ((await servicesOf(uuid)).length === 0 ? true : undefined));
    await foreignService(`${stack}_web`, stack);
    await refusedTwice(uuid, () => stillRunsOneReplica(`${stack}_web`));
  }, 180_000);
});
