/**
 * Everything the API asks Temporal about service instances: start, read (query, or the memo when no worker
 * answers), operate (updates), notify (signals) and list (visibility with our search attributes).
 */
import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  type WorkflowHandle,
  type WorkflowUpdateHandle,
} from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { LmConfig } from '../common/config';
import { initialState } from '../workflows/instance-state';
import { agentOperationWorkflow, type AgentOperationInput } from '../workflows/agent-operation.workflow';
import {
  instanceQuery,
  notificationSignal,
  notificationsInFlightQuery,
  restartUpdate,
  selectionUpdate,
  startJobUpdate,
  startUpdate,
  stopUpdate,
  terminateUpdate,
  timelineSinceQuery,
  type Notification,
  type StartJobResult,
} from '../workflows/messages';
import type { StartJobRequest } from '../workflows/model/compss-job';
import type { ServiceInstanceInput } from '../workflows/model/input';
import { instanceIdOf, type ServiceInstance, type TimelinePage } from '../workflows/model/instance';
import type { InstanceOperation } from '../workflows/model/operations';
import type { SelectionOutcome } from '../workflows/model/peers';
import type { DeployedWorkload } from '../activities/runtime/workload';
import { SA_EXEC_TYPE, SA_SERVICE_ID, SA_SERVICE_NAME, SA_STATUS, SA_USER } from '../workflows/model/search-attributes';
import { INSTANCE_STATUSES, isTransitional, type InstanceStatus } from '../workflows/model/status';
import { WORKFLOW_TASK_QUEUE } from '../workflows/model/task-queues';
import { serviceInstanceWorkflow } from '../workflows/service-instance.workflow';
import { sharedResults } from '../common/shared-results';
import { conflict, notFound } from './api-error';

const QUERY_DEADLINE_MS = 5_000;
/** How often a long poll or a stream of the timeline asks the instance again. */
const TIMELINE_POLL_MS = 500;
/** Followers of one instance at the same entry (streams, long polls) share one query per this long. */
const TIMELINE_SHARED_MS = 400;
const ACCEPT_DEADLINE_MS = 15_000;
const SETTLE_POLL_MS = 250;
const PING_DEADLINE_MS = 2_000;
/** Long enough for an already-known rejection to be decoded; an accepted update is still running by then. */
const REJECTION_GRACE_MS = 150;

const UPDATES = { start: startUpdate, stop: stopUpdate, restart: restartUpdate, terminate: terminateUpdate };

export interface ListFilter {
  statuses: InstanceStatus[];
  user?: string;
  service?: string;
}

export interface InstancePage {
  instances: ServiceInstance[];
  nextPageToken: string | null;
  count: number;
}

export interface Settled {
  instance: ServiceInstance;
  /** False when the wait ended before the instance settled. */
  settled: boolean;
}

/** Values go into a visibility query: the API validates them, this escapes quotes anyway. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function visibilityQuery(filter: ListFilter): string {
  const clauses = [`WorkflowType = 'serviceInstanceWorkflow'`];
  if (filter.statuses.length > 0) clauses.push(`${SA_STATUS.name} IN (${filter.statuses.map(quote).join(', ')})`);
  if (filter.user) clauses.push(`${SA_USER.name} = ${quote(filter.user)}`);
  if (filter.service) {
    clauses.push(`(${SA_SERVICE_ID.name} = ${quote(filter.service)} OR ${SA_SERVICE_NAME.name} = ${quote(filter.service)})`);
  }
  return clauses.join(' AND ');
}

export class InstanceGateway {
  /** A poll's read of the timeline: the first read of each follower is its own, so it sees what just happened. */
  private readonly polledTimeline = sharedResults(
    TIMELINE_SHARED_MS,
    (uuid: string, since: number) => this.readTimeline(uuid, since),
    (uuid, since) => `${uuid}/${since}`,
  );

  constructor(
    private readonly client: Client,
    private readonly config: LmConfig,
  ) {}

  private handle(uuid: string): WorkflowHandle<typeof serviceInstanceWorkflow> {
    return this.client.workflow.getHandle<typeof serviceInstanceWorkflow>(instanceIdOf(uuid));
  }

  private withDeadline<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + ms, fn);
  }

  /** Starts the workflow; with an idempotency key, a repeated submit returns the instance it made first. */
  async start(input: ServiceInstanceInput, idempotent: boolean): Promise<{ instance: ServiceInstance; created: boolean }> {
    const initial = initialState(input, new Date().toISOString()).instance;
    const { service } = input;
    try {
      await this.withDeadline(ACCEPT_DEADLINE_MS, () =>
        this.client.workflow.start(serviceInstanceWorkflow, {
          workflowId: initial.id,
          taskQueue: WORKFLOW_TASK_QUEUE,
          args: [input],
          workflowIdReusePolicy: idempotent ? 'REJECT_DUPLICATE' : 'ALLOW_DUPLICATE',
          typedSearchAttributes: [
            { key: SA_STATUS, value: initial.status },
            { key: SA_SERVICE_ID, value: service.id ?? service.name },
            { key: SA_SERVICE_NAME, value: service.name },
            { key: SA_USER, value: input.user },
            { key: SA_EXEC_TYPE, value: service.exec_type },
          ],
          memo: { instance: initial },
          staticSummary: `${service.exec_type} ${service.name} (${service.exec}) on ${input.agents.map((a) => a.agent_ip).join(', ') || 'agents chosen by the Recommender'}`,
        }),
      );
      return { instance: { ...initial, status: 'deploying' }, created: true };
    } catch (err) {
      if (idempotent && err instanceof WorkflowExecutionAlreadyStartedError) {
        return { instance: await this.get(input.uuid), created: false };
      }
      throw err;
    }
  }

  /** Null when Temporal answers, else why it does not. */
  async problem(): Promise<string | null> {
    try {
      await this.withDeadline(PING_DEADLINE_MS, () => this.client.workflowService.getSystemInfo({}));
      return null;
    } catch (err) {
      return `not reachable at ${this.config.temporal.address}: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  async get(uuid: string): Promise<ServiceInstance> {
    const handle = this.handle(uuid);
    try {
      return await this.withDeadline(QUERY_DEADLINE_MS, () => handle.query(instanceQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(`service instance ${uuid} not found`);
      // No worker answered the query in time: the memo has the state as of its last transition.
      const memo = await this.memoOf(handle);
      if (memo) return memo;
      throw err;
    }
  }

  private async memoOf(handle: WorkflowHandle): Promise<ServiceInstance | null> {
    try {
      const description = await handle.describe();
      return (description.memo?.instance as ServiceInstance | undefined) ?? null;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(`service instance ${handle.workflowId} not found`);
      throw err;
    }
  }

  /**
   * The timeline from entry `since` on. With `waitMs`, a long poll: when there is nothing new yet, asks again
   * until there is, the time is up, or the client is `gone`.
   */
  async timeline(uuid: string, since: number, waitMs: number, gone: () => boolean): Promise<TimelinePage> {
    const deadline = Date.now() + waitMs;
    let page = await this.readTimeline(uuid, since);
    while (page.entries.length === 0 && !page.ended && !gone() && Date.now() < deadline) {
      await delay(Math.min(TIMELINE_POLL_MS, deadline - Date.now()));
      page = await this.polledTimeline(uuid, since);
    }
    return page;
  }

  /**
   * Follows the timeline from entry `since` on: yields every read, new entries or none (so the caller can keep
   * its connection alive), until the instance has ended or the client is `gone`.
   */
  async *followTimeline(uuid: string, since: number, gone: () => boolean): AsyncGenerator<TimelinePage, void, undefined> {
    let next = since;
    for (let read = 0; ; read += 1) {
      const page = read === 0 ? await this.readTimeline(uuid, next) : await this.polledTimeline(uuid, next);
      yield page;
      if (page.ended || gone()) return;
      next = Math.max(next, page.next);
      await delay(TIMELINE_POLL_MS);
      if (gone()) return;
    }
  }

  private async readTimeline(uuid: string, since: number): Promise<TimelinePage> {
    try {
      return await this.withDeadline(QUERY_DEADLINE_MS, () => this.handle(uuid).query(timelineSinceQuery, since));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(`service instance ${uuid} not found`);
      throw err;
    }
  }

  /** Sends an operation; answers when it is accepted, or when it has finished if `wait`. */
  async operate(uuid: string, operation: InstanceOperation, wait: boolean, updateId?: string): Promise<Settled> {
    const handle = this.handle(uuid);
    let update: WorkflowUpdateHandle<ServiceInstance>;
    try {
      update = await this.withDeadline(ACCEPT_DEADLINE_MS, () =>
        handle.startUpdate(UPDATES[operation], { waitForStage: WorkflowUpdateStage.ACCEPTED, updateId }),
      );
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw await this.closedOrMissing(uuid);
      throw err;
    }
    const result = await this.outcomeWithin(update, wait ? this.config.waitTimeoutMs : REJECTION_GRACE_MS);
    return result === null ? { instance: await this.get(uuid), settled: false } : { instance: result, settled: true };
  }

  /**
   * A rejected update still yields a handle from startUpdate: its rejection (already known, no polling)
   * only surfaces from result(). Waiting briefly on result() tells "refused" from "accepted and running".
   */
  private async outcomeWithin<T>(update: WorkflowUpdateHandle<T>, ms: number): Promise<T | null> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), ms);
    try {
      return await this.client.withAbortSignal(abort.signal, () => update.result());
    } catch (err) {
      if (abort.signal.aborted && !(err instanceof WorkflowUpdateFailedError)) return null;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts a COMPSs job and answers with its application id once the master agent accepted it. */
  async startJob(uuid: string, job: StartJobRequest, updateId?: string): Promise<StartJobResult> {
    const handle = this.handle(uuid);
    try {
      return await this.withDeadline(this.config.waitTimeoutMs, () =>
        handle.executeUpdate(startJobUpdate, { args: [job], updateId }),
      );
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw await this.closedOrMissing(uuid);
      throw err;
    }
  }

  /** An update to a finished workflow looks like "not found"; tell a terminated instance from an unknown one. */
  private async closedOrMissing(uuid: string): Promise<Error> {
    const memo = await this.memoOf(this.handle(uuid));
    if (memo?.status === 'forwarded') {
      return conflict("operation refused: the service instance was forwarded to the leader's LM, which runs it now: operate it there");
    }
    return conflict(`operation refused: the service instance is ${memo?.status ?? 'terminated'}; submit the service again to run it`);
  }

  async waitUntilSettled(uuid: string): Promise<Settled> {
    const deadline = Date.now() + this.config.waitTimeoutMs;
    for (;;) {
      const instance = await this.get(uuid);
      if (!isTransitional(instance.status)) return { instance, settled: true };
      if (Date.now() > deadline) return { instance, settled: false };
      await delay(SETTLE_POLL_MS);
    }
  }

  async notify(uuid: string, notification: Notification): Promise<void> {
    try {
      await this.withDeadline(QUERY_DEADLINE_MS, () => this.handle(uuid).signal(notificationSignal, notification));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(`service instance ${uuid} not found or already terminated`);
      throw err;
    }
  }

  /** mF2C: waits until the instance knows where it runs (deployed here, forwarded, or failed to place). */
  async awaitSelection(uuid: string): Promise<SelectionOutcome> {
    return this.withDeadline(this.config.waitTimeoutMs, () => this.handle(uuid).executeUpdate(selectionUpdate));
  }

  /** Keys of the notifications the instance is handling (an identical one is merged into them). */
  async notificationsInFlight(uuid: string): Promise<string[]> {
    try {
      return await this.withDeadline(QUERY_DEADLINE_MS, () => this.handle(uuid).query(notificationsInFlightQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(`service instance ${uuid} not found`);
      throw err;
    }
  }

  /** Runs steps on this agent's runtime for another LM; concurrent identical requests share one run. */
  async runAgentOperation(workflowId: string, input: AgentOperationInput): Promise<DeployedWorkload> {
    return this.withDeadline(this.config.waitTimeoutMs, () =>
      this.client.workflow.execute(agentOperationWorkflow, {
        workflowId,
        taskQueue: WORKFLOW_TASK_QUEUE,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      }),
    );
  }

  /** How many instances are in each status (visibility counts; terminated ones until the retention ends). */
  async countByStatus(): Promise<Array<{ status: InstanceStatus; count: number }>> {
    const countOf = (status: InstanceStatus) => this.withDeadline(QUERY_DEADLINE_MS, () => this.client.workflow.count(visibilityQuery({ statuses: [status] })));
    return Promise.all(INSTANCE_STATUSES.map(async (status) => ({ status, count: (await countOf(status)).count })));
  }

  async list(filter: ListFilter, pageSize: number, pageToken: string | null): Promise<InstancePage> {
    const query = visibilityQuery(filter);
    const { namespace } = this.config.temporal;
    const [page, count] = await Promise.all([
      this.withDeadline(QUERY_DEADLINE_MS, () =>
        this.client.workflowService.listWorkflowExecutions({
          namespace,
          query,
          pageSize,
          nextPageToken: pageToken ? Buffer.from(pageToken, 'base64url') : undefined,
        }),
      ),
      this.withDeadline(QUERY_DEADLINE_MS, () => this.client.workflow.count(query)),
    ]);
    const instances: ServiceInstance[] = [];
    for (const execution of page.executions ?? []) {
      const payload = execution.memo?.fields?.instance;
      if (payload) instances.push(defaultPayloadConverter.fromPayload<ServiceInstance>(payload));
    }
    const token = page.nextPageToken && page.nextPageToken.length > 0 ? Buffer.from(page.nextPageToken).toString('base64url') : null;
    return { instances, nextPageToken: token, count: count.count };
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
