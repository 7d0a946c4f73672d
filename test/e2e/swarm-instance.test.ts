/**
 * docker-swarm instances through the API (real Temporal, real single-node swarm, in-process LM): submit, stop,
 * start and terminate, each checked on the swarm service and its containers.
 */
import type { AxiosResponse } from 'axios';
import { replicasOf } from '../../activities/runtime/swarm/swarm-api-types';
import { uuidOf, type ServiceInstance, type TimelineEntry } from '../../workflows/model/instance';
import { operate } from '../support/api-calls';
import { startLm, type LmHarness } from '../support/lm-harness';
import { useSwarm, type SwarmLease } from '../support/swarm';
import { inspectService, removeServicesOf, runningContainersOf, serviceContainers, servicesOf } from '../support/swarm-state';
import { BUSYBOX_IMAGE } from '../support/test-images';

let lease: SwarmLease;
let lm: LmHarness;
const made: string[] = [];

beforeAll(async () => {
  lease = useSwarm();
  lm = await startLm();
});

afterAll(async () => {
  await removeServicesOf(made);
  await lm?.stop();
  lease?.release();
});

async function submitSwarm(service: Record<string, unknown>): Promise<{ response: AxiosResponse; instance: ServiceInstance }> {
  const response = await lm.api.post('/api/v2/lm/service?wait=true', {
    service: { name: 'swarm-web', exec: BUSYBOX_IMAGE, exec_type: 'docker-swarm', exec_ports: [], ...service },
  });
  const instance = response.data?.service_instance as ServiceInstance;
  if (instance) made.push(uuidOf(instance.id));
  return { response, instance };
}

test('submit, stop, start and DELETE act on the swarm service', async () => {
  const { response, instance } = await submitSwarm({ exec_ports: [80], num_agents: 2 });
  expect(response.status).toBe(200);
  expect(instance.status).toBe('started');
  const [agent] = instance.agents;
  expect(agent.status).toBe('started');
  const uuid = uuidOf(instance.id);
  const [service] = await servicesOf(uuid);
  expect(service.ID).toBe(agent.container_id);
  expect(service.Spec.Name).toBe(agent.name);
  expect(replicasOf(service)).toBe(2);
  expect(await runningContainersOf(service.ID)).toBe(2);
  expect(agent.ports).toEqual([service.Endpoint?.Ports?.[0].PublishedPort]);
  expect(agent.ports[0]).toBeGreaterThanOrEqual(20001);

  const stopped = await operate(lm.api, uuid, 'stop');
  expect(stopped.status).toBe(200);
  expect(stopped.data.service_instance.status).toBe('stopped');
  expect(replicasOf((await inspectService(service.ID))!)).toBe(0);
  expect(await runningContainersOf(service.ID)).toBe(0);

  const started = await operate(lm.api, uuid, 'start');
  expect(started.data.service_instance.status).toBe('started');
  expect(await runningContainersOf(service.ID)).toBe(2);

  const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(terminated.status).toBe(200);
  expect(terminated.data.service_instance.status).toBe('terminated');
  expect(await inspectService(service.ID)).toBeNull();
  expect(await serviceContainers(service.ID)).toHaveLength(0);
});

test("an image no node has: error, with the engine's reason on the agent and the timeline", async () => {
  const { instance } = await submitSwarm({ exec: 'lm-test/not-here:2.0' });
  expect(instance.status).toBe('error');
  const [agent] = instance.agents;
  expect(agent.status).toBe('error-starting');
  expect(agent.error).toContain('No such image: lm-test/not-here:2.0');
  const timeline = await lm.api.get(`/api/v2/lm/service-instances/${uuidOf(instance.id)}/timeline`);
  expect(timeline.data.timeline as TimelineEntry[]).toContainEqual(
    // Deploy and start run as one step since the lean path: the failure may be either's.
    expect.objectContaining({
      step: expect.stringMatching(/^(deploy|start)$/),
      outcome: 'failed',
      message: expect.stringContaining('No such image: lm-test/not-here:2.0'),
    }),
  );
  // Nothing is left retrying the image: the service is back at 0 replicas.
  const [service] = await servicesOf(uuidOf(instance.id));
  expect(replicasOf(service)).toBe(0);
});
