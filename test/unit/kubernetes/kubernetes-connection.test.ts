/** Kubeconfig first (KUBECONFIG, then ~/.kube/config), else K8S_PROXY. */
import { chooseKubernetesConnection } from '../../../activities/runtime/kubernetes/kubernetes-connection';

const PROXY = 'http://127.0.0.1:8001';
const nowhere = () => false;

test('KUBECONFIG wins', () => {
  expect(chooseKubernetesConnection(PROXY, { env: { KUBECONFIG: '/etc/k.yaml' }, home: '/home/u', exists: () => true })).toEqual({
    kind: 'kubeconfig',
    source: '/etc/k.yaml',
  });
});

test('then ~/.kube/config when it exists', () => {
  const exists = (file: string) => file === '/home/u/.kube/config';
  expect(chooseKubernetesConnection(PROXY, { env: { KUBECONFIG: '  ' }, home: '/home/u', exists })).toEqual({
    kind: 'kubeconfig',
    source: '/home/u/.kube/config',
  });
});

test('else the proxy', () => {
  expect(chooseKubernetesConnection(PROXY, { env: {}, home: '/home/u', exists: nowhere })).toEqual({ kind: 'proxy', url: PROXY });
});
