/**
 * The service-instance workflow: one durable workflow per instance. Its state, handlers and steps are the
 * entity's (service-instance.ts); this function only wires the messages to it and runs its life. Cancelling
 * the workflow (the Web UI's Cancel, `temporal workflow cancel`) terminates the instance.
 */
import * as wf from '@temporalio/workflow';
import {
  agentPresenceSignal,
  instanceQuery,
  notificationSignal,
  notificationsInFlightQuery,
  progressSignal,
  projectionQuery,
  restartUpdate,
  runtimeChangedSignal,
  selectionUpdate,
  startJobUpdate,
  startUpdate,
  stopUpdate,
  terminateUpdate,
  timelineQuery,
  timelineSinceQuery,
} from './messages';
import type { StartJobRequest } from './model/compss-job';
import type { ServiceInstanceInput } from './model/input';
import type { ServiceInstance } from './model/instance';
import type { InstanceOperation } from './model/operations';
import { ServiceInstanceEntity } from './service-instance';

const OPERATION_UPDATES = { start: startUpdate, stop: stopUpdate, restart: restartUpdate, terminate: terminateUpdate };

export async function serviceInstanceWorkflow(input: ServiceInstanceInput): Promise<ServiceInstance> {
  const instance = new ServiceInstanceEntity(input);

  // Handlers first, before any await, so no message arrives to a missing handler.
  wf.setHandler(instanceQuery, () => instance.instance());
  wf.setHandler(timelineQuery, () => instance.timeline());
  wf.setHandler(timelineSinceQuery, (since) => instance.timelineSince(since));
  wf.setHandler(notificationsInFlightQuery, () => instance.notificationsInFlight());
  wf.setHandler(projectionQuery, (since) => instance.projection(since));
  wf.setHandler(selectionUpdate, () => instance.awaitSelection());
  for (const operation of Object.keys(OPERATION_UPDATES) as InstanceOperation[]) {
    wf.setHandler(OPERATION_UPDATES[operation], () => instance.runOperation(operation), {
      validator: () => instance.validateOperation(operation),
    });
  }
  wf.setHandler(startJobUpdate, (job) => instance.startJob(job), { validator: (job: StartJobRequest) => instance.validateStartJob(job) });
  wf.setHandler(runtimeChangedSignal, () => instance.runtimeChanged());
  wf.setHandler(progressSignal, (progress) => instance.stepProgress(progress));
  wf.setHandler(agentPresenceSignal, (presence) => instance.agentPresence(presence));
  wf.setHandler(notificationSignal, (notification) => instance.notify(notification));

  try {
    await instance.firstPhase();
    await instance.serve();
    return await instance.finish();
  } catch (err) {
    if (!wf.isCancellation(err)) throw err;
    return wf.CancellationScope.nonCancellable(() => instance.terminateOnCancel());
  }
}
