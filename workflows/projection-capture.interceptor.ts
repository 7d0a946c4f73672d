/**
 * For the rebuild of the read model only (worker/read-model-rebuild.ts bundles it into its replay worker; the
 * LM's workers never load it): while a history replays, hands every projection the workflow schedules to the
 * rebuild's sink. The replay runs the same code on the same history, so it makes the same projections, in order.
 */
import { proxySinks, type Sinks, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import type { InstanceProjection } from './model/projection';

export interface ProjectionCaptureSinks extends Sinks {
  readModelRebuild: { projected(projection: InstanceProjection): void };
}

/** The name of the projection activity (activities/read-model-activities.ts). */
const PROJECTION_ACTIVITY = 'projectInstance';

const { readModelRebuild } = proxySinks<ProjectionCaptureSinks>();

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleLocalActivity(input, next) {
        if (input.activityType === PROJECTION_ACTIVITY) readModelRebuild.projected(input.args[0] as InstanceProjection);
        return next(input);
      },
    },
  ],
});
