/**
 * Everything the API asks Temporal about service instances: start, operate (updates), notify (signals), and the
 * consistent reads (query, or the memo when no worker answers; listing from visibility). Everyday reads come
 * from the read model (instance-reads.ts); after a start or an operation this writes what the workflow answered
 * into it, so the next read sees the write even before (or without) the workflow's own projection.
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
import { agentOperationWorkflow, type AgentOperationInput, type AgentOperationResult } from '../workflows/agent-operation.workflow';
import {
  instanceQuery,
  notificationSignal,
  notificationsInFlightQuery,
  projectionQuery,
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
import { SUBMITTED_VERSION, type InstanceProjection } from '../workflows/model/projection';
import {
  SA_AGENT_COUNT,
  SA_AGENTS,
  SA_EXEC_TYPE,
  SA_SERVICE_ID,
  SA_SERVICE_NAME,
  SA_STATUS,
  SA_USER,
} from '../workflows/model/search-attributes';
import { WORKFLOW_TASK_QUEUE } from '../workflows/model/task-queues';
import { serviceInstanceWorkflow } from '../workflows/service-instance.workflow';
import type { Logger } from '../common/logger';
import type { InstanceFilter, ReadModelStore } from '../common/read-model/read-model-store';
import { badRequest, conflict, notFound } from './api-error';
import { BAD_PAGE_TOKEN, decodePageToken, encodePageToken } from './page-token';
import { quoteValue } from '../common/visibility-query';

const QUERY_DEADLINE_MS = 5_000;
const ACCEPT_DEADLINE_MS = 15_000;
const PING_DEADLINE_MS = 2_000;
/** Long enough for an already-known rejection to be decoded; an accepted update is still running by then. */
const REJECTION_GRACE_MS = 150;
/** Visibility pages of listIds. */
const ID_PAGE_SIZE = 500;

const UPDATES = { start: startUpdate, stop: stopUpdate, restart: restartUpdate, terminate: terminateUpdate };

/** Kept for the callers that list by it. */
export type ListFilter = InstanceFilter;

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

export function visibilityQuery(filter: ListFilter): string {
  const clauses = [`WorkflowType = 'serviceInstanceWorkflow'`];
  if (filter.statuses.length > 0) clauses.push(`${SA_STATUS.name} IN (${filter.statuses.map(quoteValue).join(', ')})`);
  if (filter.user) clauses.push(`${SA_USER.name} = ${quoteValue(filter.user)}`);
  if (filter.service) {
    clauses.push(`(${SA_SERVICE_ID.name} = ${quoteValue(filter.service)} OR ${SA_SERVICE_NAME.name} = ${quoteValue(filter.service)})`);
  }
  if (filter.execType) clauses.push(`${SA_EXEC_TYPE.name} = ${quoteValue(filter.execType)}`);
  return clauses.join(' AND ');
}

export class InstanceGateway {
  constructor(
    private readonly client: Client,
    private readonly config: LmConfig,
    private readonly readModel: ReadModelStore,
    private readonly logger: Logger,
  ) {}

  private handle(uuid: string): WorkflowHandle<typeof serviceInstanceWorkflow> {
    return this.client.workflow.getHandle<typeof serviceInstanceWorkflow>(instanceIdOf(uuid));
  }

  private withDeadline<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + ms, fn);
  }

  /** Starts the workflow; with an idempotency key, a repeated submit returns the instance it made first. */
  async start(input: ServiceInstanceInput, idempotent: boolean): Promise<{ instance: ServiceInstance; created: boolean }> {
    const submittedAt = new Date().toISOString();
    // What the workflow publishes first (a standalone instance is `deploying` at once): it upserts only what changes.
    const initial = initialState(input, submittedAt).instance;
    const first: ServiceInstance = input.mf2c === undefined ? { ...initial, status: 'deploying' } : initial;
    const { service } = input;
    try {
      await this.withDeadline(ACCEPT_DEADLINE_MS, () =>
        this.client.workflow.start(serviceInstanceWorkflow, {
          workflowId: initial.id,
          taskQueue: WORKFLOW_TASK_QUEUE,
          args: [{ ...input, submittedAt }],
          workflowIdReusePolicy: idempotent ? 'REJECT_DUPLICATE' : 'ALLOW_DUPLICATE',
          typedSearchAttributes: [
            { key: SA_STATUS, value: first.status },
            { key: SA_AGENT_COUNT, value: first.agents.length },
            { key: SA_SERVICE_ID, value: service.id ?? service.name },
            { key: SA_SERVICE_NAME, value: service.name },
            { key: SA_USER, value: input.user },
            { key: SA_EXEC_TYPE, value: service.exec_type },
            // Known at submit unless the Recommender chooses (mF2C): then the workflow sets them once chosen.
            ...(input.agents.length > 0 ? [{ key: SA_AGENTS, value: [...new Set(input.agents.map((a) => a.agent_ip))] }] : []),
          ],
          memo: { instance: first },
          staticSummary: `${service.exec_type} ${service.name} (${service.exec}) on ${input.agents.map((a) => a.agent_ip).join(', ') || 'agents chosen by the Recommender'}`,
        }),
      );
      const instance: ServiceInstance = { ...initial, status: 'deploying' };
      await this.remember({ uuid: input.uuid, ...SUBMITTED_VERSION, instance, ended: false, timelineNext: 0, firstEntry: 0, entries: [] });
      return { instance, created: true };
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

  /** The timeline from entry `since` on, as the workflow has it (the last 500 entries). */
  async timelinePage(uuid: string, since: number): Promise<TimelinePage> {
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
    const projection = await this.catchUp(uuid);
    if (result !== null) return { instance: result, settled: true };
    return { instance: projection?.instance ?? (await this.get(uuid)), settled: false };
  }

  /**
   * `DELETE …/all`'s terminate of one instance: sent, and its acceptance awaited, nothing more. A rejection comes
   * with the acceptance's own answer, so no grace is waited for; nor is the read model caught up by a query (one
   * replay of an evicted instance each): the request was answered before, and the workflow's own projection of
   * `terminating`, made in the task that accepted it, is already on its way.
   */
  async requestTerminate(uuid: string): Promise<void> {
    let update: WorkflowUpdateHandle<ServiceInstance>;
    try {
      update = await this.withDeadline(ACCEPT_DEADLINE_MS, () =>
        this.handle(uuid).startUpdate(UPDATES.terminate, { waitForStage: WorkflowUpdateStage.ACCEPTED }),
      );
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw await this.closedOrMissing(uuid);
      throw err;
    }
    await this.outcomeWithin(update, 0);
  }

  /**
   * Read-your-writes: the workflow's projection of what it just did reaches the read model in the same workflow
   * task, before the API hears of it, unless the database refused it; so the API writes the same projection
   * itself (one query of a workflow that is in the worker's cache; the store keeps the newer of the two).
   */
  private async catchUp(uuid: string): Promise<InstanceProjection | null> {
    try {
      const projection = await this.withDeadline(QUERY_DEADLINE_MS, () => this.handle(uuid).query(projectionQuery, null));
      await this.remember(projection);
      return projection;
    } catch (err) {
      this.logger.warn(
        { uuid, err: String(err) },
        'could not bring the read model up to what the workflow answered; its own projection will',
      );
      return null;
    }
  }

  private async remember(projection: InstanceProjection): Promise<void> {
    try {
      await this.readModel.project(projection);
    } catch (err) {
      this.logger.warn(
        { uuid: projection.uuid, err: String(err) },
        'the read model did not take the instance: its reads may lag until the workflow projects it',
      );
    }
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
      const result = await this.withDeadline(this.config.waitTimeoutMs, () =>
        handle.executeUpdate(startJobUpdate, { args: [job], updateId }),
      );
      await this.catchUp(uuid);
      return result;
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
    const outcome = await this.withDeadline(this.config.waitTimeoutMs, () => this.handle(uuid).executeUpdate(selectionUpdate));
    await this.catchUp(uuid);
    return outcome;
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
  async runAgentOperation(workflowId: string, input: AgentOperationInput): Promise<AgentOperationResult> {
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

  /**
   * The ids of every instance `filter` lists, from Temporal's visibility (the source of truth, for DELETE …/all):
   * pages without the count a listing page carries, each page within ACCEPT_DEADLINE_MS (1,000 open instances'
   * memos took longer than a listing's deadline on the dev server under load).
   */
  async listIds(filter: ListFilter): Promise<string[]> {
    const query = visibilityQuery(filter);
    const { namespace } = this.config.temporal;
    const ids: string[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await this.withDeadline(ACCEPT_DEADLINE_MS, () =>
        this.client.workflowService.listWorkflowExecutions({ namespace, query, pageSize: ID_PAGE_SIZE, nextPageToken }),
      );
      for (const execution of page.executions ?? []) if (execution.execution?.workflowId) ids.push(execution.execution.workflowId);
      nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
    } while (nextPageToken !== undefined);
    return ids;
  }

  async list(filter: ListFilter, pageSize: number, pageToken: string | null): Promise<InstancePage> {
    const query = visibilityQuery(filter);
    const { namespace } = this.config.temporal;
    const temporalToken = pageToken === null ? undefined : decodePageToken(query, pageToken);
    if (temporalToken === null) throw badRequest(BAD_PAGE_TOKEN);
    const [page, count] = await Promise.all([
      this.withDeadline(QUERY_DEADLINE_MS, () =>
        this.client.workflowService.listWorkflowExecutions({
          namespace,
          query,
          pageSize,
          nextPageToken: temporalToken,
        }),
      ),
      this.withDeadline(QUERY_DEADLINE_MS, () => this.client.workflow.count(query)),
    ]);
    const instances: ServiceInstance[] = [];
    for (const execution of page.executions ?? []) {
      const payload = execution.memo?.fields?.instance;
      if (payload) instances.push(defaultPayloadConverter.fromPayload<ServiceInstance>(payload));
    }
    const token = page.nextPageToken && page.nextPageToken.length > 0 ? encodePageToken(query, page.nextPageToken) : null;
    return { instances, nextPageToken: token, count: count.count };
  }
}
