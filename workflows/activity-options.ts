/**
 * Every activity policy of the workflows, by what the call does to the world: the one place that says how
 * long a call may take, how a lost worker is noticed, and whether Temporal may send it again.
 *
 * - An idempotent effect (a runtime step: found again by its deterministic name and labels) may be retried.
 * - An effect a peer applies on every receipt gets one attempt: Temporal must never resend what may have
 *   been applied (the workflow resends only what provably was not, see mf2c/send-once.ts).
 * - A probe (an observation, a capability check) is cheap to repeat later, so it is not retried for long.
 *
 * Effects wait for a cancelled activity to say it has stopped (the runtime unwinds a pull or a compose child,
 * then reports): a terminate that preempts a deploy removes what the deploy made only once it has stopped
 * making it. Probes are dropped at once.
 */
import { ActivityCancellationType, type ActivityOptions, type LocalActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import { NON_RETRYABLE_FAILURES } from './model/failures';
import { agentTaskQueue, WORKFLOW_TASK_QUEUE } from './model/task-queues';

/** Runtime activities heartbeat every 2 s: a killed worker is noticed after this, not after their whole timeout. */
const RUNTIME_HEARTBEAT = '15 seconds';

const RUNTIME_BACKOFF: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
};

const PEER_BACKOFF: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '10 seconds',
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
};

const SINGLE_ATTEMPT: RetryPolicy = { maximumAttempts: 1 };

/**
 * A step on an instance's own agent (deploy, start, stop, remove), retried by Temporal while the runtime is
 * away, up to 30 minutes: how instances started before RUNTIME_STEP_RETRY existed still run their steps.
 */
export const IDEMPOTENT_RUNTIME_EFFECT: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  scheduleToCloseTimeout: '30 minutes',
  heartbeatTimeout: RUNTIME_HEARTBEAT,
  retry: RUNTIME_BACKOFF,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/** One attempt of the same step; the workflow retries it (RUNTIME_STEP_RETRY) so each failure can be shown. */
export const RUNTIME_EFFECT_ATTEMPT: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: RUNTIME_HEARTBEAT,
  retry: SINGLE_ATTEMPT,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/** How the workflow retries a runtime step attempt by attempt: as Temporal did, from 1 s doubling to 30 s, for 30 minutes. */
export interface WorkflowRetryPolicy {
  firstDelayMs: number;
  backoffCoefficient: number;
  maximumDelayMs: number;
  /** No attempt starts after this long since the first one. */
  giveUpAfterMs: number;
  nonRetryableErrorTypes: readonly string[];
}

export const RUNTIME_STEP_RETRY: WorkflowRetryPolicy = {
  firstDelayMs: 1_000,
  backoffCoefficient: 2,
  maximumDelayMs: 30_000,
  giveUpAfterMs: 30 * 60_000,
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
};

/** A retrying step says so on the timeline at most this often. */
export const RETRY_NOTE_EVERY_MS = 60_000;

/** A long step's progress (an image pull) goes on the timeline at most this often. */
export const PROGRESS_NOTE_EVERY_MS = 10_000;

/** The same steps asked by another LM over its internal API: a few attempts, since that LM's caller waits for them. */
export const RUNTIME_EFFECT_FOR_PEER: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: RUNTIME_HEARTBEAT,
  retry: { ...RUNTIME_BACKOFF, maximumAttempts: 5 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/** What the runtime reports about a workload now: one attempt, the next observation is the retry. */
export const OBSERVATION_PROBE: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: RUNTIME_HEARTBEAT,
  retry: SINGLE_ATTEMPT,
  cancellationType: ActivityCancellationType.TRY_CANCEL,
};

/**
 * Starting again a container its engine's restart left exited (an idempotent effect, found by name and labels):
 * a few attempts over about half a minute while the engine settles after its restart; after that the agent is
 * reported stopped, as before, and a `start` runs it.
 */
export const ENGINE_RESTART_RECOVERY: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: RUNTIME_HEARTBEAT,
  retry: { ...RUNTIME_BACKOFF, maximumInterval: '10 seconds', maximumAttempts: 4 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/** Whether an agent's LM still polls (a step nobody took: busy or away?), read from Temporal on the workflow queue. */
export const AGENT_LIVENESS_PROBE: ActivityOptions = {
  taskQueue: WORKFLOW_TASK_QUEUE,
  startToCloseTimeout: '10 seconds',
  retry: { ...PEER_BACKOFF, maximumAttempts: 3 },
};

/** A remote agent's workload status, asked of its LM: one attempt, the next observation is the retry. */
export const REMOTE_OBSERVATION_PROBE: ActivityOptions = {
  taskQueue: WORKFLOW_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  scheduleToStartTimeout: '1 minute',
  retry: SINGLE_ATTEMPT,
  cancellationType: ActivityCancellationType.TRY_CANCEL,
};

/** Starts a COMPSs application on the master agent's COMPSs runtime (instances started before it was sent once). */
export const COMPSS_JOB_START: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
};

/**
 * The same, sent once: COMPSs starts an application on every PUT it receives, so a worker lost after the PUT
 * must not cause a second one (mf2c/send-once.ts resends only what provably was not sent).
 */
export const COMPSS_JOB_START_ONCE: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  // The activity heartbeats while it waits for COMPSs: a worker lost after the PUT is noticed in seconds.
  heartbeatTimeout: '10 seconds',
  retry: SINGLE_ATTEMPT,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/** What an agent's LM can run, asked on its own queue. */
export const CAPABILITY_PROBE: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { ...PEER_BACKOFF, maximumAttempts: 2 },
};

/** Idempotent reads and state-setting writes at a peer (CIMI PUT, SLA start/stop): retried, bounded. */
export const IDEMPOTENT_PEER_CALL: ActivityOptions = {
  taskQueue: WORKFLOW_TASK_QUEUE,
  startToCloseTimeout: '2 minutes',
  retry: { ...PEER_BACKOFF, maximumAttempts: 5 },
};

/** Selection checks at the peers: a slow or silent peer must not hold the submit for long. */
export const PEER_CHECK: ActivityOptions = {
  taskQueue: WORKFLOW_TASK_QUEUE,
  startToCloseTimeout: '2 minutes',
  retry: { ...PEER_BACKOFF, maximumAttempts: 3 },
};

/**
 * A call a peer applies on every receipt (UM ±1, agreement creation, leader forward): one attempt. Short, so a
 * worker lost mid-call is noticed soon; the HTTP call itself times out first (LM_HTTP_TIMEOUT_MS).
 */
export const AT_MOST_ONCE_PEER_CALL: ActivityOptions = {
  taskQueue: WORKFLOW_TASK_QUEUE,
  startToCloseTimeout: '20 seconds',
  scheduleToStartTimeout: '1 minute',
  retry: SINGLE_ATTEMPT,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/** A deploy on a remote agent may pull an image there: the same single attempt, a longer bound. */
export const AT_MOST_ONCE_REMOTE_DEPLOY: ActivityOptions = {
  ...AT_MOST_ONCE_PEER_CALL,
  startToCloseTimeout: '5 minutes',
};

/**
 * An agent's presence check, on its presence queue (the caller adds the queue and LM_AGENT_LOST_S as the heartbeat
 * and schedule-to-start timeouts): one attempt, as a timeout is the answer ("lost"), not something to retry.
 */
export const AGENT_PRESENCE_CHECK: ActivityOptions = {
  startToCloseTimeout: '15 minutes',
  retry: SINGLE_ATTEMPT,
};

/** Telling an agent's instances it is lost or back: idempotent signals, retried until they are all sent. */
export const AGENT_ANNOUNCEMENT: ActivityOptions = {
  taskQueue: WORKFLOW_TASK_QUEUE,
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { ...PEER_BACKOFF, maximumInterval: '1 minute' },
};

/**
 * The projection into the read model, a local activity: it holds the workflow task while it runs, so it is kept
 * well below the task's 10 s (two attempts of at most 3 s); a projection that fails is sent again later by the
 * workflow, and the instance's next change carries it anyway.
 */
export const READ_MODEL_PROJECTION: LocalActivityOptions = {
  startToCloseTimeout: '3 seconds',
  retry: { initialInterval: '500 milliseconds', maximumAttempts: 2 },
};

/** `policy` on the task queue of the agent at `agentIp`; a queue nobody polls for `agentTimeoutMs` means its LM is away. */
export function onAgentQueue(policy: ActivityOptions, agentIp: string, agentTimeoutMs: number, summary?: string): ActivityOptions {
  return {
    ...policy,
    taskQueue: agentTaskQueue(agentIp),
    scheduleToStartTimeout: agentTimeoutMs,
    ...(summary === undefined ? {} : { summary }),
  };
}
