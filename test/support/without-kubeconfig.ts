/**
 * A kubeconfig on the test machine would win over K8S_PROXY (kubernetes-connection.ts): runs `work` (an LM
 * choosing its Kubernetes connection) with HOME pointed at an empty directory and KUBECONFIG unset.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export async function withoutKubeconfig<T>(work: () => Promise<T>): Promise<T> {
  const saved = { HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG };
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-k8s-home-'));
  process.env.HOME = home;
  delete process.env.KUBECONFIG;
  try {
    return await work();
  } finally {
    process.env.HOME = saved.HOME;
    if (saved.KUBECONFIG !== undefined) process.env.KUBECONFIG = saved.KUBECONFIG;
    fs.rmSync(home, { recursive: true, force: true });
  }
}
