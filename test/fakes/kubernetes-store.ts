/**
 * The objects of the fake Kubernetes API, in memory, with what the API server adds on write: uid,
 * resourceVersion, creationTimestamp, `generation` (bumped when the spec changes), defaults, and for
 * Services a cluster IP and node ports. It knows no HTTP: the routes decide what is allowed.
 */
import { randomUUID } from 'node:crypto';
import type { StatusCause } from './kubernetes-status';
import { validateDeployment, validateService } from './kubernetes-validation';
import { canonicalJson, clone, isRecord, type JsonObject } from './json-values';

export type ResourcePlural = 'deployments' | 'services';

export interface ResourceType {
  plural: ResourcePlural;
  group: string;
  kind: string;
  apiVersion: string;
  listKind: string;
  validate: (object: JsonObject) => StatusCause[];
}

export const DEPLOYMENTS: ResourceType = {
  plural: 'deployments',
  group: 'apps',
  kind: 'Deployment',
  apiVersion: 'apps/v1',
  listKind: 'DeploymentList',
  validate: validateDeployment,
};

export const SERVICES: ResourceType = {
  plural: 'services',
  group: '',
  kind: 'Service',
  apiVersion: 'v1',
  listKind: 'ServiceList',
  validate: validateService,
};

export interface ObjectMetadata extends JsonObject {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  generation?: number;
}

export interface StoredObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMetadata;
  spec: JsonObject;
  status: JsonObject;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change, as a watch reports it; `object` is the object after the change (its last state for DELETED). */
export interface StoreEvent {
  type: WatchEventType;
  object: StoredObject;
}

/** Changes kept for watches that resume from a resourceVersion; older ones are "compacted" (410 Gone). */
const HISTORY_LIMIT = 1000;

const FIRST_NODE_PORT = 30000;
const LAST_NODE_PORT = 32767;

export class KubernetesStore {
  private readonly objects = new Map<string, StoredObject>();
  private readonly namespaces: Set<string>;
  private readonly nodePorts = new Set<number>();
  private lastResourceVersion = 1000;
  private lastClusterIp = 10;
  private readonly history: StoreEvent[] = [];
  /** The history holds every change after this resourceVersion. */
  private historyStart = this.lastResourceVersion;
  private readonly listeners = new Set<(event: StoreEvent) => void>();

  constructor(namespaces: readonly string[]) {
    this.namespaces = new Set(namespaces);
  }

  hasNamespace(namespace: string): boolean {
    return this.namespaces.has(namespace);
  }

  addNamespace(namespace: string): void {
    this.namespaces.add(namespace);
  }

  resourceVersion(): string {
    return String(this.lastResourceVersion);
  }

  get(type: ResourceType, namespace: string, name: string): StoredObject | undefined {
    return this.objects.get(key(type, namespace, name));
  }

  list(type: ResourceType, namespace?: string): StoredObject[] {
    return [...this.objects.values()].filter(
      (object) => object.kind === type.kind && (namespace === undefined || object.metadata.namespace === namespace),
    );
  }

  /** `body` is already validated; the stored object gets the server's fields and defaults. */
  create(type: ResourceType, namespace: string, body: JsonObject): StoredObject {
    const metadata = isRecord(body.metadata) ? body.metadata : {};
    const name = String(metadata.name);
    const stored: StoredObject = {
      ...clone(body),
      apiVersion: type.apiVersion,
      kind: type.kind,
      metadata: {
        ...clone(metadata),
        name,
        namespace,
        uid: randomUUID(),
        resourceVersion: this.nextResourceVersion(),
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        ...(type === DEPLOYMENTS ? { generation: 1 } : {}),
      },
      spec: isRecord(body.spec) ? clone(body.spec) : {},
      status: {},
    };
    if (type === DEPLOYMENTS) defaultDeployment(stored);
    else this.defaultService(stored, undefined);
    this.objects.set(key(type, namespace, name), stored);
    this.emit('ADDED', stored);
    return stored;
  }

  /** Replaces spec and metadata (name, namespace, uid and creation time stay); status is the controller's. */
  update(type: ResourceType, current: StoredObject, body: JsonObject): StoredObject {
    const metadata = isRecord(body.metadata) ? body.metadata : {};
    const next: StoredObject = {
      ...clone(body),
      apiVersion: type.apiVersion,
      kind: type.kind,
      metadata: {
        ...clone(metadata),
        name: current.metadata.name,
        namespace: current.metadata.namespace,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        resourceVersion: this.nextResourceVersion(),
      },
      spec: isRecord(body.spec) ? clone(body.spec) : {},
      status: current.status,
    };
    if (type === DEPLOYMENTS) {
      defaultDeployment(next);
      const changed = canonicalJson(next.spec) !== canonicalJson(current.spec);
      next.metadata.generation = (current.metadata.generation ?? 1) + (changed ? 1 : 0);
    } else {
      this.defaultService(next, current);
    }
    this.objects.set(key(type, current.metadata.namespace, current.metadata.name), next);
    this.emit('MODIFIED', next);
    return next;
  }

  /** The controller's write: status only, as through the status subresource. */
  setStatus(type: ResourceType, current: StoredObject, status: JsonObject): void {
    const next = { ...current, status, metadata: { ...current.metadata, resourceVersion: this.nextResourceVersion() } };
    this.objects.set(key(type, current.metadata.namespace, current.metadata.name), next);
    this.emit('MODIFIED', next);
  }

  remove(type: ResourceType, current: StoredObject): void {
    this.objects.delete(key(type, current.metadata.namespace, current.metadata.name));
    if (type === SERVICES) for (const port of nodePortsIn(current)) this.nodePorts.delete(port);
    this.emit('DELETED', { ...current, metadata: { ...current.metadata, resourceVersion: this.nextResourceVersion() } });
  }

  /** Every change from now on; returns the unsubscribe function. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The changes after `resourceVersion`, or null when they are no longer kept (the API server answers 410). */
  eventsSince(resourceVersion: number): StoreEvent[] | null {
    if (resourceVersion < this.historyStart) return null;
    return this.history.filter((event) => Number(event.object.metadata.resourceVersion) > resourceVersion);
  }

  /** Forgets the history, as etcd compaction does: a watch resuming from before now gets 410 Gone. */
  compact(): void {
    this.history.length = 0;
    this.historyStart = this.lastResourceVersion;
  }

  private emit(type: WatchEventType, object: StoredObject): void {
    const event: StoreEvent = { type, object: clone(object) };
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) {
      const dropped = this.history.shift();
      if (dropped) this.historyStart = Number(dropped.object.metadata.resourceVersion);
    }
    for (const listener of this.listeners) listener(event);
  }

  /** A node port asked for explicitly that another Service holds. */
  takenNodePort(body: JsonObject, current: StoredObject | undefined): number | null {
    const mine = new Set(current ? nodePortsIn(current) : []);
    return nodePortsIn(body).find((port) => this.nodePorts.has(port) && !mine.has(port)) ?? null;
  }

  private nextResourceVersion(): string {
    this.lastResourceVersion += 1;
    return String(this.lastResourceVersion);
  }

  /** ClusterIP type, a cluster IP (kept across updates), TCP, targetPort = port, node ports for NodePort. */
  private defaultService(service: StoredObject, previous: StoredObject | undefined): void {
    const spec = service.spec;
    spec.type ??= 'ClusterIP';
    if (spec.clusterIP !== 'None') {
      spec.clusterIP = previous?.spec.clusterIP ?? spec.clusterIP ?? this.nextClusterIp();
    }
    if (typeof spec.clusterIP === 'string') spec.clusterIPs = [spec.clusterIP];
    spec.sessionAffinity ??= 'None';
    const previousPorts = new Map(
      (Array.isArray(previous?.spec.ports) ? previous.spec.ports : []).filter(isRecord).map((p) => [p.port, p.nodePort]),
    );
    if (previous) for (const port of nodePortsIn(previous)) this.nodePorts.delete(port);
    const ports = (Array.isArray(spec.ports) ? spec.ports : []).filter(isRecord);
    for (const port of ports) {
      port.protocol ??= 'TCP';
      port.targetPort ??= port.port;
      if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
        const kept = previousPorts.get(port.port);
        port.nodePort ??= typeof kept === 'number' ? kept : this.nextNodePort();
        if (typeof port.nodePort === 'number') this.nodePorts.add(port.nodePort);
      }
    }
    service.status = { loadBalancer: {} };
  }

  private nextClusterIp(): string {
    this.lastClusterIp += 1;
    return `10.96.${Math.floor(this.lastClusterIp / 250)}.${this.lastClusterIp % 250}`;
  }

  /** Random in the range, as the API server's allocator, so tests cannot depend on a particular port. */
  private nextNodePort(): number {
    for (;;) {
      const port = FIRST_NODE_PORT + Math.floor(Math.random() * (LAST_NODE_PORT - FIRST_NODE_PORT + 1));
      if (!this.nodePorts.has(port)) return port;
    }
  }
}

function key(type: ResourceType, namespace: string, name: string): string {
  return `${type.plural}/${namespace}/${name}`;
}

function nodePortsIn(service: JsonObject): number[] {
  const spec = isRecord(service.spec) ? service.spec : {};
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  return ports.filter(isRecord).flatMap((port) => (typeof port.nodePort === 'number' ? [port.nodePort] : []));
}

/** The apps/v1 defaults the LM's reads would see from a real server. */
function defaultDeployment(deployment: StoredObject): void {
  const spec = deployment.spec;
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
  const template = isRecord(spec.template) ? spec.template : {};
  const podSpec = isRecord(template.spec) ? template.spec : {};
  podSpec.restartPolicy ??= 'Always';
  podSpec.dnsPolicy ??= 'ClusterFirst';
  for (const container of (Array.isArray(podSpec.containers) ? podSpec.containers : []).filter(isRecord)) {
    const image = typeof container.image === 'string' ? container.image : '';
    container.imagePullPolicy ??= image.endsWith(':latest') || !image.includes(':') ? 'Always' : 'IfNotPresent';
    container.terminationMessagePath ??= '/dev/termination-log';
  }
}
