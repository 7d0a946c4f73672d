/**
 * Where the Kubernetes API is (DESIGN §5): a kubeconfig when there is one (KUBECONFIG, or ~/.kube/config), with
 * its credentials; else the original's K8S_PROXY, e.g. `kubectl proxy`, which needs no credentials.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type KubernetesConnection = { kind: 'kubeconfig'; source: string } | { kind: 'proxy'; url: string };

export interface ConnectionEnvironment {
  env: NodeJS.ProcessEnv;
  home: string;
  exists: (file: string) => boolean;
}

/** Read when the runtime is made, not when this module loads. */
function localEnvironment(): ConnectionEnvironment {
  return { env: process.env, home: os.homedir(), exists: fs.existsSync };
}

export function chooseKubernetesConnection(proxyUrl: string, where: ConnectionEnvironment = localEnvironment()): KubernetesConnection {
  const fromEnv = where.env.KUBECONFIG?.trim();
  if (fromEnv) return { kind: 'kubeconfig', source: fromEnv };
  const defaultFile = path.join(where.home, '.kube', 'config');
  if (where.exists(defaultFile)) return { kind: 'kubeconfig', source: defaultFile };
  return { kind: 'proxy', url: proxyUrl };
}

export function describeConnection(connection: KubernetesConnection): string {
  return connection.kind === 'proxy'
    ? `the Kubernetes API at ${connection.url} (K8S_PROXY)`
    : `the cluster of kubeconfig ${connection.source}`;
}
