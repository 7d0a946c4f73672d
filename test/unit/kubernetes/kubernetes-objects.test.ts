/** The Deployment and Service bodies, and the labels that must stay valid Kubernetes label values. */
import { isValidLabelValue, kubernetesLabels, recordedReplicas } from '../../../activities/runtime/kubernetes/kubernetes-metadata';
import { deploymentFor, nodePortsOf, serviceFor } from '../../../activities/runtime/kubernetes/kubernetes-objects';
import { workloadSpec } from '../../support/workload-spec';

test('label values: what Kubernetes accepts, and what it does not', () => {
  expect(['', '127.0.0.1', 'docker-swarm', 'a_b.c', 'x'.repeat(63)].every(isValidLabelValue)).toBe(true);
  expect(['fd00::1', 'my web', '-lead', 'trail.', 'x'.repeat(64)].some(isValidLabelValue)).toBe(false);
});

test('labels select by app and identify the instance; free text never becomes a label', () => {
  const spec = workloadSpec({ exec_type: 'kubernetes', name: 'My Web App' }, 'fd00::1');
  expect(kubernetesLabels(spec)).toEqual({
    app: spec.name,
    'lm.service-instance': spec.instanceUuid,
    'lm.agent-index': '0',
    'lm.exec-type': 'kubernetes',
  });
  const deployment = deploymentFor(spec, 'ns');
  expect(deployment.metadata?.annotations).toMatchObject({ 'lm.agent': 'fd00::1', 'lm.service-name': 'My Web App', 'lm.replicas': '1' });
  expect(recordedReplicas(deployment.metadata?.annotations)).toBe(1);
});

test('a port listed twice is one container port and one Service port, and maps to one node port', () => {
  const spec = workloadSpec({ exec_type: 'kubernetes', exec_ports: [80, 80, 443] });
  expect(deploymentFor(spec, 'ns').spec?.template.spec?.containers[0].ports?.map((p) => p.containerPort)).toEqual([80, 443]);
  const service = serviceFor(spec, 'ns');
  expect(service.spec?.ports?.map((p) => p.name)).toEqual(['tcp-80', 'tcp-443']);
  const allocated = { ...service, spec: { ...service.spec, ports: service.spec?.ports?.map((p, i) => ({ ...p, nodePort: 30100 + i })) } };
  expect(nodePortsOf(allocated, [80, 80, 443])).toEqual([30100, 30100, 30101]);
});

test('no ports: a headless Service (a NodePort one needs ports)', () => {
  expect(serviceFor(workloadSpec({ exec_type: 'kubernetes' }), 'ns').spec).toEqual({
    clusterIP: 'None',
    selector: { app: expect.any(String) },
  });
});
