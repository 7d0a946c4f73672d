/** The typed API clients the kubernetes runtime uses, with a timeout on every call (DESIGN §4). */
import type { AppsV1Api, ConfigurationOptions, CoreV1Api, KubeConfig, Middleware, ObservableMiddleware } from '@kubernetes/client-node';
import { FailureType } from '../../../workflows/model/failures';
import { errorMessage, failure } from '../../failures';
import { describeConnection, type KubernetesConnection } from './kubernetes-connection';
import { loadKubernetesClient } from './load-kubernetes-client';

export interface KubernetesClients {
  apps: AppsV1Api;
  core: CoreV1Api;
  /** Per-call options for PATCH: a JSON merge patch (client-node would send a JSON patch by default). */
  mergePatch: ConfigurationOptions<ObservableMiddleware>;
  /** The API server, for messages. */
  server: string;
  /** For what the typed clients do not cover (watches). */
  kubeConfig: KubeConfig;
}

/** The kubeconfig to reach the cluster with, and its current cluster's server. */
function loadKubeConfig(connection: KubernetesConnection): { kubeConfig: KubeConfig; server: string } {
  const lib = loadKubernetesClient();
  const kubeConfig = new lib.KubeConfig();
  try {
    if (connection.kind === 'kubeconfig') kubeConfig.loadFromDefault();
    else {
      // client-node refuses plain http unless TLS verification is off; "kubectl proxy" serves plain http.
      const skipTLSVerify = connection.url.startsWith('http:');
      kubeConfig.loadFromClusterAndUser({ name: 'k8s-proxy', server: connection.url, skipTLSVerify }, { name: 'k8s-proxy' });
    }
  } catch (err) {
    throw failure(
      FailureType.NotSupported,
      `cannot read ${describeConnection(connection)}: ${errorMessage(err)}; fix it or unset KUBECONFIG`,
    );
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) {
    throw failure(FailureType.NotSupported, `${describeConnection(connection)} names no current cluster; set its current-context`);
  }
  return { kubeConfig, server: cluster.server };
}

export function createKubernetesClients(connection: KubernetesConnection, timeoutMs: number): KubernetesClients {
  const lib = loadKubernetesClient();
  const { kubeConfig, server } = loadKubeConfig(connection);
  const timeout: Middleware = {
    pre: async (request) => {
      request.setSignal(AbortSignal.timeout(timeoutMs));
      return request;
    },
    post: async (response) => response,
  };
  const configuration = lib.createConfiguration({
    baseServer: new lib.ServerConfiguration(server, {}),
    authMethods: { default: kubeConfig },
    promiseMiddleware: [timeout],
  });
  return {
    apps: new lib.AppsV1Api(configuration),
    core: new lib.CoreV1Api(configuration),
    mergePatch: lib.setHeaderOptions('Content-Type', lib.PatchStrategy.MergePatch),
    server,
    kubeConfig,
  };
}
