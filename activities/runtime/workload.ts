/** What a runtime deploys on one agent, and the handle it returns for later operations. */
import type { Service } from '../../workflows/model/service';
import type { AgentStatus } from '../../workflows/model/status';

/** The Temporal cluster and namespace an instance's workflow lives in. */
export interface InstanceHome {
  clusterId: string;
  namespace: string;
}

export interface WorkloadSpec {
  /** '' only with `unidentified`: an original LM named the workload by its container id alone. */
  instanceUuid: string;
  agentIndex: number;
  agentUrl: string;
  service: Service;
  /** The workload's deterministic name (`workloadName`). */
  name: string;
  /** `device_ip` of the instance: COMPSs builds DATACLAY_EP from it. */
  deviceIp: string;
  /** Set by the agent's own worker, never by a workflow: labels the workload for the reaper. */
  home?: InstanceHome;
  /** Asked through the internal API by a peer LM, whose instance workflow lives with that LM. */
  forPeer?: boolean;
  /** The internal API got no instance id: the runtime reads instance and slot from `container_id`'s labels. */
  unidentified?: boolean;
}

export interface DeployedWorkload {
  container_id: string;
  /** Host-side ports, in the order of the service's ports. */
  ports: number[];
  agent_param: string;
}

export type WorkloadRef = WorkloadSpec & DeployedWorkload;

/** The details of a failed deploy-and-start whose deploy succeeded: the workflow records what was made. */
export interface DeployedBeforeFailure {
  deployed: DeployedWorkload;
}

/** A workload of this LM found on the runtime by its labels, for the agent's sweep (drift and reaping). */
export interface LabelledWorkload {
  /** Enough to remove it: the identity from its labels, its deterministic name, where it is. */
  ref: WorkloadRef;
  /** Milliseconds since the epoch: how old it is decides whether a deploy may still be making it. */
  createdAt: number;
  /** What it is, for logs: `container lm-…-0`, `compose project lm-…`. */
  describe: string;
  /** What the listing itself shows of its state; absent when the runtime can tell only by observing it. */
  observed?: AgentStatus;
}

/**
 * What became of a workload found stopped while its instance records it started, when the runtime can tell
 * whether a restart of its engine left it so (activities/runtime/docker/engine-restart.ts).
 * - `started-again`: the engine restarted and left it exited; it is started again (`moved`: made anew elsewhere);
 * - `running`: it runs now (the engine's own restore, or an earlier attempt, started it): nothing to do;
 * - `start-failed`: left exited by the restart, but starting it failed (`message` says why);
 * - `not-left`: it ended while the engine stayed up (stopped by hand, crashed): the instance reports it as before.
 */
export type EngineRestartRecovery =
  | { outcome: 'started-again'; engineStartedAt: string; moved: DeployedWorkload | null }
  | { outcome: 'running' }
  | { outcome: 'start-failed'; message: string }
  | { outcome: 'not-left' };

/** Also what a runtime that cannot tell answers. */
export const NOT_LEFT: EngineRestartRecovery = { outcome: 'not-left' };

/** How far an image pull has got, from the engine's own progress events. */
export interface PullProgress {
  kind: 'pull';
  image: string;
  layers: number;
  layersDone: number;
  bytes: number;
  totalBytes: number;
  /** Null until every layer's size is known. */
  percent: number | null;
}

/** Real progress of a long step: the activity's heartbeat details, and what the instance shows. */
export type RuntimeProgress = PullProgress;

/** What one activity attempt gives the runtime it calls. */
export interface RuntimeCall {
  /**
   * Aborted when the activity is cancelled (a terminate preempting it, a lost heartbeat, the worker shutting
   * down): the runtime stops waiting, aborts its Docker streams and kills its child processes, and ends with
   * the signal's reason. What it made by then carries its labels and name, so a later remove finds it.
   */
  signal: AbortSignal;
  /** Reports real progress (an image pull's bytes and layers). */
  progress?(update: RuntimeProgress): void;
}

/**
 * One runtime (docker, compose, swarm, kubernetes…). Every method is idempotent, and acts only on an object that
 * carries the LM's labels for the ref's instance and agent slot: anything else is refused with NotLmWorkload.
 */
export interface WorkloadRuntime {
  /** Creates the workload without starting it, or adopts the one a previous attempt made. */
  deploy(spec: WorkloadSpec, call?: RuntimeCall): Promise<DeployedWorkload>;
  /**
   * Starts the workload. A runtime that had to move it (a host port taken since deploy) returns where it now
   * is; the workflow records that in the agent.
   */
  start(ref: WorkloadRef, call?: RuntimeCall): Promise<DeployedWorkload | void>;
  stop(ref: WorkloadRef, call?: RuntimeCall): Promise<void>;
  /**
   * Removes the workload, found by its deterministic name and labels whatever `container_id` says, and
   * releases what it held; a missing workload is not an error.
   */
  remove(ref: WorkloadRef, call?: RuntimeCall): Promise<void>;
  /** The workload's real state, for a status that follows the runtime rather than the last command. */
  observe(ref: WorkloadRef, call?: RuntimeCall): Promise<AgentStatus>;
  /**
   * Starts the workload again if a restart of its engine left it stopped, and only then (see EngineRestartRecovery);
   * absent: the runtime cannot tell, and a stopped workload is reported as it always was.
   */
  startIfLeftByEngineRestart?(ref: WorkloadRef, call?: RuntimeCall): Promise<EngineRestartRecovery>;
  /** For an `unidentified` ref: the workload its `container_id` names, with instance and slot from its labels; null: none. */
  identify(ref: WorkloadRef): Promise<WorkloadRef | null>;
  /** The workloads labelled for instances of `home` (what the agent's sweep compares and reaps). */
  labelled(home: InstanceHome): Promise<LabelledWorkload[]>;
}
