/**
 * What ties a workload to the LM: its labels, its deterministic name, and the lookups every runtime makes
 * before it acts. A runtime acts only on an object that carries this LM's labels for the instance and agent
 * slot asked for; anything else is refused (NotLmWorkload) and left untouched.
 */
import { FailureType } from '../../workflows/model/failures';
import { workloadName } from '../../workflows/model/instance';
import type { ExecType, Service } from '../../workflows/model/service';
import { failure } from '../failures';
import type { InstanceHome, WorkloadRef, WorkloadSpec } from './workload';

export { workloadName };

export const LABEL_INSTANCE = 'lm.service-instance';
export const LABEL_AGENT = 'lm.agent';
export const LABEL_AGENT_INDEX = 'lm.agent-index';
export const LABEL_SERVICE = 'lm.service-name';
export const LABEL_EXEC_TYPE = 'lm.exec-type';
/** The Temporal cluster and namespace the instance's workflow lives in: what the reaper may judge. */
export const LABEL_CLUSTER = 'lm.cluster';
export const LABEL_NAMESPACE = 'lm.namespace';
/** Made through the internal API for a peer LM: the instance's workflow lives with that LM, not here. */
export const LABEL_PEER_INSTANCE = 'lm.peer-instance';

export type Labels = Record<string, string>;

export function workloadLabels(spec: WorkloadSpec): Labels {
  return {
    [LABEL_INSTANCE]: spec.instanceUuid,
    [LABEL_AGENT]: spec.agentUrl,
    [LABEL_AGENT_INDEX]: String(spec.agentIndex),
    [LABEL_SERVICE]: spec.service.name,
    [LABEL_EXEC_TYPE]: spec.service.exec_type,
    ...(spec.home ? { [LABEL_CLUSTER]: spec.home.clusterId, [LABEL_NAMESPACE]: spec.home.namespace } : {}),
    ...(spec.forPeer ? { [LABEL_PEER_INSTANCE]: 'true' } : {}),
  };
}

/**
 * The compose project (and swarm stack) name of a workload: `lm-<uuid>`, unique per instance, so two
 * instances of one compose file never share containers, networks or volumes (spec/original-lm.md §13 A4, C3).
 */
export function composeProjectName(spec: Pick<WorkloadSpec, 'instanceUuid' | 'agentIndex'>): string {
  const base = `lm-${spec.instanceUuid.toLowerCase()}`;
  // Compose instances run on one agent; should a second agent slot land on the same engine it gets its own project.
  return spec.agentIndex === 0 ? base : `${base}-${spec.agentIndex}`;
}

/** The name a runtime gives the workload of `spec`: the same on every attempt, so lookups need no recorded id. */
export function deterministicName(spec: Pick<WorkloadSpec, 'instanceUuid' | 'agentIndex'>, execType: ExecType): string {
  return execType === 'docker-compose' || execType === 'docker-compose-swarm'
    ? composeProjectName(spec)
    : workloadName(spec.instanceUuid, spec.agentIndex);
}

/** True when `labels` say the workload belongs to this spec's instance, agent and agent slot. */
export function belongsTo(labels: Labels | undefined, spec: Pick<WorkloadSpec, 'instanceUuid' | 'agentIndex' | 'agentUrl'>): boolean {
  return (
    labels?.[LABEL_INSTANCE] === spec.instanceUuid &&
    labels?.[LABEL_AGENT_INDEX] === String(spec.agentIndex) &&
    labels?.[LABEL_AGENT] === spec.agentUrl
  );
}

/** Who a workload says it belongs to, read from its labels; null when it carries no complete set. */
export interface WorkloadIdentity {
  instanceUuid: string;
  agentIndex: number;
  agentUrl: string;
  serviceName: string;
  execType: string;
  home: InstanceHome | null;
  forPeer: boolean;
}

export function identityOf(labels: Labels | undefined): WorkloadIdentity | null {
  const uuid = labels?.[LABEL_INSTANCE];
  const agent = labels?.[LABEL_AGENT];
  const index = Number(labels?.[LABEL_AGENT_INDEX]);
  if (!labels || !uuid || !agent || !Number.isInteger(index) || index < 0) return null;
  const cluster = labels[LABEL_CLUSTER];
  const namespace = labels[LABEL_NAMESPACE];
  return {
    instanceUuid: uuid,
    agentIndex: index,
    agentUrl: agent,
    serviceName: labels[LABEL_SERVICE] ?? '',
    execType: labels[LABEL_EXEC_TYPE] ?? '',
    home: cluster && namespace ? { clusterId: cluster, namespace } : null,
    forPeer: labels[LABEL_PEER_INSTANCE] === 'true',
  };
}

/**
 * A ref for the workload `identity` names, for operations that start from the runtime rather than from an
 * instance (the reaper; an original LM naming only a container id). Removal needs no more than this.
 */
export function refOfIdentity(
  identity: WorkloadIdentity,
  execType: ExecType,
  recorded: Partial<Pick<WorkloadRef, 'container_id' | 'agent_param'>> = {},
): WorkloadRef {
  const service: Service = {
    name: identity.serviceName,
    exec: '',
    exec_type: execType,
    exec_ports: [],
    category: 0,
    num_agents: -1,
    agent_type: 'normal',
  };
  const spec = { instanceUuid: identity.instanceUuid, agentIndex: identity.agentIndex };
  return {
    ...spec,
    agentUrl: identity.agentUrl,
    service,
    name: deterministicName(spec, execType),
    deviceIp: identity.agentUrl,
    container_id: recorded.container_id ?? '-',
    ports: [],
    agent_param: recorded.agent_param ?? '-',
    ...(identity.home ? { home: identity.home } : {}),
    forPeer: identity.forPeer,
  };
}

/** How one runtime finds its objects: a container, a swarm service, a compose project, a stack, a Deployment. */
export interface OwnedLookup<T> {
  /** e.g. `container`, `compose project`: it leads the refusal's message. */
  kind: string;
  /** The object `key` names (an id or a name), or null when there is none. */
  find(key: string): Promise<T | null>;
  /** Every label set of the object that must belong to the workload (a project: one per container). */
  labelsOf(object: T): Array<Labels | undefined>;
}

/** Ids and names as the engines write them; anything else cannot name an LM workload (and never reaches a URL path). */
const OBJECT_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

function hasRecordedId(ref: Pick<WorkloadRef, 'container_id'>): boolean {
  return ref.container_id !== '-' && ref.container_id !== '';
}

type RefIdentity = Pick<WorkloadRef, 'instanceUuid' | 'agentIndex' | 'agentUrl' | 'forPeer'>;

export function notLmWorkload(kind: string, key: string, ref: RefIdentity, why: string): Error {
  const whose =
    ref.instanceUuid === '' ? `agent ${ref.agentUrl}` : `instance ${ref.instanceUuid} (agent ${ref.agentUrl}, slot ${ref.agentIndex})`;
  return failure(FailureType.NotLmWorkload, `${kind} "${key}" is not an LM workload of ${whose}: ${why}; the LM leaves it untouched`);
}

function whyNotOwned(labelSets: Array<Labels | undefined>, ref: RefIdentity): string | null {
  if (labelSets.length === 0) return 'it has nothing the LM labelled';
  for (const labels of labelSets) {
    const identity = identityOf(labels);
    if (identity === null) return 'it carries no LM labels';
    if (ref.instanceUuid === '' ? identity.agentUrl !== ref.agentUrl : !belongsTo(labels, ref)) {
      return `it belongs to instance ${identity.instanceUuid} (agent ${identity.agentUrl}, slot ${identity.agentIndex})`;
    }
    // A peer LM drives only what it asked this LM to make, never a workload of an instance whose workflow is here.
    if (ref.forPeer === true && identity.home !== null)
      return `it belongs to instance ${identity.instanceUuid}, which this LM itself drives`;
  }
  return null;
}

/**
 * The workload of `ref`: the object its recorded id names while that still exists, else the one of its
 * deterministic name (so a failed or half-done deploy, whose id was never recorded, is found too); null when
 * neither exists. An object found either way that is not this instance's is refused.
 */
export async function findOwned<T>(ref: WorkloadRef, lookup: OwnedLookup<T>): Promise<T | null> {
  const keys = hasRecordedId(ref) && ref.container_id !== ref.name ? [ref.container_id, ref.name] : [ref.name];
  for (const key of keys) {
    if (!OBJECT_KEY.test(key)) throw notLmWorkload(lookup.kind, key, ref, 'that is not a name or id the LM gives');
    const found = await lookup.find(key);
    if (found === null) continue;
    const why = whyNotOwned(lookup.labelsOf(found), ref);
    if (why !== null) throw notLmWorkload(lookup.kind, key, ref, why);
    return found;
  }
  return null;
}

/**
 * An original LM names the workload only by the `container_id` this LM answered at deploy: the object must
 * carry LM labels for this agent, and its labels say which instance and slot it is. Null: nothing has that id.
 */
export async function identifyOwned<T>(ref: WorkloadRef, lookup: OwnedLookup<T>): Promise<WorkloadRef | null> {
  const key = ref.container_id;
  if (!hasRecordedId(ref))
    throw notLmWorkload(lookup.kind, key, ref, 'an operation without service_instance must name the workload by its container_id');
  if (!OBJECT_KEY.test(key)) throw notLmWorkload(lookup.kind, key, ref, 'that is not a name or id the LM gives');
  const found = await lookup.find(key);
  if (found === null) return null;
  const labelSets = lookup.labelsOf(found);
  const why = whyNotOwned(labelSets, ref);
  const identity = identityOf(labelSets[0]);
  if (why !== null || identity === null) throw notLmWorkload(lookup.kind, key, ref, why ?? 'it carries no LM labels');
  const spec = { instanceUuid: identity.instanceUuid, agentIndex: identity.agentIndex };
  return { ...ref, ...spec, name: deterministicName(spec, ref.service.exec_type) };
}
