/**
 * Follows the LM's Deployments (label `lm.service-instance`) in every namespace of the cluster and reports which
 * instances changed, once per burst: the Kubernetes twin of docker/container-events.ts. It lists first and
 * reports every Deployment that is not fully available (what changed while nobody watched), then watches from
 * the list's resourceVersion. A watch the server ends (its timeout, a restart) resumes from the last version
 * seen; one whose version was compacted away (410 Expired) lists again. Where the LM may not read Deployments
 * cluster-wide (403: a namespaced Role), it follows its own namespace (K8S_NAMESPACE) instead.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { Logger } from '../../../common/logger';
import { errorMessage } from '../../failures';
import { LABEL_INSTANCE } from '../labels';
import { debouncedReports, ReconnectDelay, type RuntimeEventFollower, type RuntimeEventOptions } from '../runtime-events';
import { kubernetesObservedStatus } from './deployment-rollout';
import { createKubernetesClients, type KubernetesClients } from './kubernetes-clients';
import { describeConnection, type KubernetesConnection } from './kubernetes-connection';
import { loadKubernetesClient } from './load-kubernetes-client';

const ALL_NAMESPACES_PATH = '/apis/apps/v1/deployments';
/** A watch that ends sooner than this was refused, not timed out: the next one waits. */
const HEALTHY_WATCH_MS = 5_000;

export interface DeploymentEventsOptions extends RuntimeEventOptions {
  connection: KubernetesConnection;
  /** Followed alone when the cluster refuses the LM every namespace. */
  namespace: string;
  requestTimeoutMs: number;
  logger: Logger;
}

function instanceOf(deployment: V1Deployment | undefined): string | undefined {
  return deployment?.metadata?.labels?.[LABEL_INSTANCE];
}

function statusCodeOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as { code?: unknown; statusCode?: unknown };
  const code = record.code ?? record.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export function followDeploymentEvents({
  connection,
  namespace,
  requestTimeoutMs,
  logger,
  ...reporting
}: DeploymentEventsOptions): RuntimeEventFollower {
  const reports = debouncedReports(reporting);
  const delay = new ReconnectDelay();
  const where = describeConnection(connection);
  let stopped = false;
  let watch: AbortController | null = null;
  let retry: NodeJS.Timeout | null = null;
  /** Where the next watch starts; null: list first. */
  let resourceVersion: string | null = null;
  /** Only the current watch may trigger the next one: an aborted one still calls back later. */
  let current = 0;
  /** False once the cluster answered 403 to every namespace: then only `namespace` is followed. */
  let everyNamespace = true;
  /** Made on first use (a kubeconfig that cannot be read is read again at the next attempt). */
  let clients: KubernetesClients | null = null;
  const api = () => (clients ??= createKubernetesClients(connection, requestTimeoutMs));

  /** Answers whether the follower narrowed its scope (and should list again at once). */
  const narrowedOn = (err: unknown): boolean => {
    if (!everyNamespace || statusCodeOf(err) !== 403) return false;
    everyNamespace = false;
    resourceVersion = null;
    logger.warn(
      { err: errorMessage(err) },
      `Kubernetes (${where}) does not let the LM follow Deployments in every namespace; following namespace ${namespace} ` +
        '(K8S_NAMESPACE) only. Grant list and watch on deployments cluster-wide to follow instances in other namespaces',
    );
    return true;
  };

  const connectLater = (why: string, waitMs: number): void => {
    if (stopped || retry !== null) return;
    if (waitMs > 0) logger.warn({ why, retryInMs: waitMs }, `Kubernetes watch of ${where} lost; reconnecting`);
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, waitMs);
  };

  /** Lists the LM's Deployments; the ones not fully available may have changed unseen. */
  async function list(): Promise<string> {
    const { apps } = api();
    const deployments = everyNamespace
      ? await apps.listDeploymentForAllNamespaces({ labelSelector: LABEL_INSTANCE })
      : await apps.listNamespacedDeployment({ namespace, labelSelector: LABEL_INSTANCE });
    for (const deployment of deployments.items) {
      const uuid = instanceOf(deployment);
      if (uuid !== undefined && kubernetesObservedStatus(deployment) !== 'started') reports.report(uuid);
    }
    return deployments.metadata?.resourceVersion ?? '';
  }

  async function connect(): Promise<void> {
    const mine = ++current;
    try {
      resourceVersion ??= await list();
      if (stopped) return;
      const { kubeConfig } = api();
      const lib = loadKubernetesClient();
      const opened = Date.now();
      let expired = false;
      const onEvent = (phase: string, object: unknown): void => {
        if (mine !== current) return;
        if (phase === 'ERROR') {
          expired = statusCodeOf(object) === 410;
          return;
        }
        delay.reset();
        const deployment = object as V1Deployment | undefined;
        const version = deployment?.metadata?.resourceVersion;
        if (version) resourceVersion = version;
        const uuid = instanceOf(deployment);
        if (phase !== 'BOOKMARK' && uuid !== undefined) reports.report(uuid);
      };
      const onEnd = (err: unknown): void => {
        if (mine !== current || stopped) return;
        watch = null;
        const lasted = Date.now() - opened >= HEALTHY_WATCH_MS;
        if (lasted) delay.reset();
        if (narrowedOn(err)) {
          connectLater('', 0);
        } else if (expired || statusCodeOf(err) === 410) {
          logger.info(`Kubernetes watch of ${where}: its resourceVersion expired; listing again`);
          resourceVersion = null;
          connectLater('', 0);
        } else if ((err === null || err === undefined) && lasted) {
          // The server's watch timeout: resume at once from the last version seen.
          connectLater('', 0);
        } else {
          connectLater(err === null || err === undefined ? 'the server closed the watch at once' : errorMessage(err), delay.next());
        }
      };
      const opening = await new lib.Watch(kubeConfig).watch(
        everyNamespace ? ALL_NAMESPACES_PATH : `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments`,
        { labelSelector: LABEL_INSTANCE, resourceVersion: resourceVersion || undefined, allowWatchBookmarks: true },
        onEvent,
        onEnd,
      );
      if (stopped || mine !== current) opening.abort();
      else watch = opening;
    } catch (err) {
      if (mine === current && narrowedOn(err)) connectLater('', 0);
      else if (mine === current)
        connectLater(`${errorMessage(err)}; the periodic observation (LM_OBSERVE_INTERVAL_S) still covers Kubernetes`, delay.next());
    }
  }

  void connect();
  return {
    stop() {
      stopped = true;
      current += 1;
      if (retry !== null) clearTimeout(retry);
      reports.cancel();
      watch?.abort();
    },
  };
}
