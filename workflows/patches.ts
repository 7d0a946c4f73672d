/**
 * Every change to the service-instance workflow's running code, each a patch: a run that began before a change
 * replays as it ran. The SDK writes a marker and upserts the TemporalChangeVersion search attribute (a visibility
 * write) the first time a run meets each patch, five in a deploy's first task and eight over a docker lifecycle: a
 * run that begins on code knowing all of BASELINE_PATCHES records one marker for all of them instead. A change made
 * later gets a patch of its own, outside the baseline, until a newer baseline takes it in.
 */
import * as wf from '@temporalio/workflow';

/** Marks the histories whose start-job is sent once (before: retried by Temporal, so a lost worker could start it twice). */
export const START_JOB_SENT_ONCE = 'start-job-sent-once';
/** Marks the histories that observe agents reached over HTTP too, through their LM (before: never observed). */
export const OBSERVE_REMOTE_AGENTS = 'observe-remote-agents';
/**
 * Marks the histories where a started agent's container found exited is first offered to its runtime, which starts
 * it again if its engine's restart left it so. Before: it turned the agent `error` at once, whatever stopped it.
 */
export const START_WHAT_ENGINE_RESTART_LEFT = 'start-what-engine-restart-left';
/** Marks the histories that upsert search attributes and memo only when they change (the API sets the first ones). */
export const PUBLISH_ON_CHANGE = 'publish-on-change';
/**
 * Marks the histories without a periodic observation of agents on this Temporal cluster: their LM's sweep and
 * event watch signal the instance instead. Agents driven over HTTP (mF2C peers) keep the timer: nothing of
 * theirs can signal this instance.
 */
export const OBSERVED_BY_AGENT_SWEEP = 'observed-by-agent-sweep';
/** Marks the histories that continue as new once they reach CONTINUE_AS_NEW_AT, not only when the server suggests it. */
export const CONTINUE_AS_NEW_EARLY = 'continue-as-new-early';
/** Marks the histories whose runtime steps are retried by the workflow, one single-attempt activity at a time. */
export const RUNTIME_RETRIES_IN_WORKFLOW = 'runtime-retries-in-workflow';
/** Marks the histories where a fresh agent on this Temporal cluster is deployed and started by one activity. */
export const DEPLOY_AND_START_AT_ONCE = 'deploy-and-start-at-once';
/**
 * Marks the histories where a step nobody took within LM_AGENT_TIMEOUT_S is queued again while the agent's LM
 * still polls: its slots were full (a thousand removals at once), it was not away. Before: the agent `unknown`.
 */
export const BUSY_AGENT_IS_NOT_AWAY = 'busy-agent-is-not-away';
/** Marks the histories that remove every agent whose deploy was attempted, by its deterministic name and labels. */
export const REMOVE_BY_NAME = 'remove-by-name';
/** Marks the histories where a terminate shows `terminating` at once and cancels the operation running before it. */
export const TERMINATE_PREEMPTS = 'terminate-preempts';
/** Marks the histories whose continue-as-new waits until no handler runs and nothing is on its way to CIMI. */
export const CARRY_OVER_WHEN_QUIET = 'carry-over-when-quiet';
/** Marks the histories made since instances follow the presence of their agents. */
export const AGENT_PRESENCE_FOLLOWED = 'agent-presence-followed';
/** Instances started before the read model existed replay without projections until their next change after it. */
export const READ_MODEL_PATCH = 'read-model-projection';
/**
 * A projection requested inside an operation (a deploy a terminate then cancels) runs outside that operation's
 * cancellation scope: before, the cancel rejected its drain, the rejection reached nobody, and every workflow task
 * of the instance failed from then on.
 */
export const PROJECTION_OUTLIVES_OPERATIONS = 'projection-outlives-operations';
/** Instances submitted before the first task left its projection to the API replay with one in that task. */
export const FIRST_TASK_LEAVES_PROJECTION_TO_API = 'first-task-leaves-projection-to-api';
/** Marks the histories made since an incomplete terminate stopped refusing the DELETE that retries it. */
export const INCOMPLETE_TERMINATE_RETRIED = 'incomplete-terminate-retried';
/**
 * While a terminate waits for a lost agent, no observation may take its workload back as running: the agent's
 * return finishes the terminate. Before this, a sweep that saw the agent first marked its agent `started` again,
 * and the workload the user had terminated stayed on its engine.
 */
export const TERMINATE_WAITS_OVER_OBSERVATION = 'terminate-waits-over-observation';

/** Stands for every patch of BASELINE_PATCHES in the runs that began on code knowing them all. */
export const BASELINE_2026_12 = 'baseline-2026-12';
const BASELINE_PATCHES: ReadonlySet<string> = new Set([
  START_JOB_SENT_ONCE,
  OBSERVE_REMOTE_AGENTS,
  START_WHAT_ENGINE_RESTART_LEFT,
  PUBLISH_ON_CHANGE,
  OBSERVED_BY_AGENT_SWEEP,
  CONTINUE_AS_NEW_EARLY,
  RUNTIME_RETRIES_IN_WORKFLOW,
  DEPLOY_AND_START_AT_ONCE,
  BUSY_AGENT_IS_NOT_AWAY,
  REMOVE_BY_NAME,
  TERMINATE_PREEMPTS,
  CARRY_OVER_WHEN_QUIET,
  AGENT_PRESENCE_FOLLOWED,
  READ_MODEL_PATCH,
  PROJECTION_OUTLIVES_OPERATIONS,
  FIRST_TASK_LEAVES_PROJECTION_TO_API,
  INCOMPLETE_TERMINATE_RETRIED,
  TERMINATE_WAITS_OVER_OBSERVATION,
]);

/** Whether this run takes a change: made in the run's first activation, so a replay decides alike. */
export class Patches {
  private readonly baseline = wf.patched(BASELINE_2026_12);

  has(patchId: string): boolean {
    return (this.baseline && BASELINE_PATCHES.has(patchId)) || wf.patched(patchId);
  }
}
