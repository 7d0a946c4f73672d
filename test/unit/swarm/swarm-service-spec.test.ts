/** The swarm service body the LM sends to Docker. */
import { publishedPortsOf, recordedReplicas, swarmServiceSpec } from '../../../activities/runtime/swarm/swarm-service-spec';
import { targetReplicas } from '../../../activities/runtime/target-replicas';
import { workloadSpec } from '../../support/workload-spec';

test('a service with 0 replicas, our labels, the image, the target replicas and ingress ports', () => {
  const spec = workloadSpec({ exec_type: 'docker-swarm', exec: 'nginx:1.27', num_agents: 3, exec_ports: [80, 10443] }, '10.0.0.7');
  const body = swarmServiceSpec(spec, [
    { container: 80, host: 20001 },
    { container: 10443, host: 10443 },
  ]);
  expect(body).toEqual({
    Name: spec.name,
    Labels: {
      'lm.service-instance': spec.instanceUuid,
      'lm.agent': '10.0.0.7',
      'lm.agent-index': '0',
      'lm.service-name': 'web',
      'lm.exec-type': 'docker-swarm',
      'lm.replicas': '3',
    },
    TaskTemplate: {
      ContainerSpec: {
        Image: 'nginx:1.27',
        TTY: true,
        Labels: expect.objectContaining({ 'lm.service-instance': spec.instanceUuid }),
        StopGracePeriod: 10_000_000_000,
      },
      RestartPolicy: { Condition: 'any', Delay: 5_000_000_000 },
    },
    Mode: { Replicated: { Replicas: 0 } },
    EndpointSpec: {
      Mode: 'vip',
      Ports: [
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 20001, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 10443, PublishedPort: 10443, PublishMode: 'ingress' },
      ],
    },
  });
  expect(body.TaskTemplate && 'ContainerSpec' in body.TaskTemplate && body.TaskTemplate.ContainerSpec?.Command).toBeUndefined();
  expect(publishedPortsOf(body)).toEqual([20001, 10443]);
  expect(recordedReplicas(body.Labels)).toBe(3);
});

test('num_agents unspecified (-1) or 0 means one replica', () => {
  expect(targetReplicas({ num_agents: -1 })).toBe(1);
  expect(targetReplicas({ num_agents: 0 })).toBe(1);
  expect(targetReplicas({ num_agents: 4 })).toBe(4);
});

test('a missing or broken replicas label reads as unknown, not as 0', () => {
  expect(recordedReplicas(undefined)).toBeNull();
  expect(recordedReplicas({ 'lm.replicas': 'two' })).toBeNull();
  expect(recordedReplicas({ 'lm.replicas': '0' })).toBeNull();
});
