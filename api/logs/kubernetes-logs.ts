/**
 * Workload logs of a Kubernetes Deployment: every container of every pod the Deployment's selector picks, read
 * through client-node's `Log` (the API server's `pods/<name>/log`), as `kubectl logs` would.
 */
import { Writable } from 'node:stream';
import type { LmConfig } from '../../common/config';
import { LABEL_INSTANCE, workloadName } from '../../activities/runtime/labels';
import { errorMessage } from '../../activities/failures';
import { createKubernetesClients, type KubernetesClients } from '../../activities/runtime/kubernetes/kubernetes-clients';
import type { KubernetesConnection } from '../../activities/runtime/kubernetes/kubernetes-connection';
import { loadKubernetesClient } from '../../activities/runtime/kubernetes/load-kubernetes-client';
import type { LocalWorkload } from './docker-logs';
import { LineSplitter, LOG_LIMITS, type LogRequest, type LogSink } from './log-records';

/**
 * tailLines and the start of the window as the API server takes them. client-node leaves out a tailLines of 0,
 * so "no earlier line" is asked as a window starting now instead.
 */
function windowOf(request: LogRequest): { tailLines?: number; sinceTime?: string } {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const from = request.tail === 0 ? Math.max(nowSeconds, request.since ?? 0) : request.since;
  return {
    ...(request.tail > 0 ? { tailLines: request.tail } : {}),
    ...(from === null ? {} : { sinceTime: new Date(from * 1000).toISOString().replace(/\.\d+Z$/, 'Z') }),
  };
}

/** One log read, followed or not, until the API server ends it or `signal` aborts it. */
async function readContainer(
  clients: KubernetesClients,
  pod: { namespace: string; name: string; container: string },
  source: string,
  workload: LocalWorkload,
  request: LogRequest,
  sink: LogSink,
  signal: AbortSignal,
): Promise<void> {
  const lib = loadKubernetesClient();
  const splitter = new LineSplitter(LOG_LIMITS.maxLineBytes, (at, line) =>
    sink({ kind: 'line', agent: workload.agent, source, stream: 'combined', at, line }),
  );
  const finished = new Promise<void>((resolve) => {
    const writable = new Writable({
      write(chunk: Buffer, _encoding, done) {
        splitter.push(chunk);
        done();
      },
      final(done) {
        splitter.end();
        resolve();
        done();
      },
    });
    new lib.Log(clients.kubeConfig)
      .log(pod.namespace, pod.name, pod.container, writable, { follow: request.follow, timestamps: true, ...windowOf(request) })
      .then(
        (controller) => {
          if (signal.aborted) controller.abort();
          signal.addEventListener(
            'abort',
            () => {
              controller.abort();
              resolve();
            },
            { once: true },
          );
        },
        (err: unknown) => {
          sink({ kind: 'notice', agent: workload.agent, source, message: `cannot read the log: ${errorMessage(err)}` });
          resolve();
        },
      );
  });
  await finished;
}

export async function readKubernetesLogs(
  config: LmConfig,
  connection: KubernetesConnection,
  workload: LocalWorkload,
  request: LogRequest,
  sink: LogSink,
  signal: AbortSignal,
): Promise<void> {
  const namespace = config.kubernetes.namespace;
  const name = workloadName(workload.uuid, workload.index);
  let clients: KubernetesClients;
  let pods: Array<{ name: string; containers: string[] }>;
  try {
    clients = createKubernetesClients(connection, config.httpTimeoutMs);
    const list = await clients.core.listNamespacedPod({ namespace, labelSelector: `app=${name},${LABEL_INSTANCE}=${workload.uuid}` });
    pods = list.items.map((pod) => ({ name: pod.metadata?.name ?? '?', containers: (pod.spec?.containers ?? []).map((c) => c.name) }));
  } catch (err) {
    sink({
      kind: 'notice',
      agent: workload.agent,
      message: `cannot list the pods of Deployment ${namespace}/${name}: ${errorMessage(err)}`,
    });
    return;
  }
  if (pods.length === 0) {
    sink({
      kind: 'notice',
      agent: workload.agent,
      message: `Deployment ${namespace}/${name} has no pod (not deployed yet, scaled to 0, or removed)`,
    });
    return;
  }
  await Promise.all(
    pods.flatMap((pod) =>
      pod.containers.map((container) =>
        readContainer(clients, { namespace, name: pod.name, container }, `${pod.name}/${container}`, workload, request, sink, signal),
      ),
    ),
  );
}
