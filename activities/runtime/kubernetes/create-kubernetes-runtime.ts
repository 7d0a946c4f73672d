/** The `kubernetes` runtime of this agent: its kubeconfig if it has one, else K8S_PROXY; K8S_NAMESPACE. */
import type { LmConfig } from '../../../common/config';
import { chooseKubernetesConnection } from './kubernetes-connection';
import { KubernetesRuntime } from './kubernetes-runtime';

export function createKubernetesRuntime(config: LmConfig): KubernetesRuntime {
  return new KubernetesRuntime({
    connection: chooseKubernetesConnection(config.kubernetes.proxy),
    namespace: config.kubernetes.namespace,
    requestTimeoutMs: config.httpTimeoutMs,
  });
}
