/**
 * The activities the workflow queue (`lm-workflows`) serves: calls to the mF2C peers, to other agents' LMs,
 * to Temporal (agent routes) and COMPSs elasticity. They run wherever the workflow is orchestrated.
 */
import type { ConnectionLike } from '@temporalio/client';
import type { LmConfig } from '../common/config';
import { createAnnouncementActivities } from './agent-announcement';
import { createAgentRouteActivities } from './agent-route';
import { createCompssElasticityActivities } from './compss/compss-elasticity';
import { createCimiActivities } from './peers/cimi';
import { createRecommenderActivities } from './peers/recommender';
import { createRemoteLmActivities } from './peers/remote-lm';
import { createServiceManagerActivities } from './peers/service-manager';
import { createSlaManagerActivities } from './peers/sla-manager';
import { createUserManagementActivities } from './peers/user-management';

export interface OrchestrationActivityDeps {
  config: LmConfig;
  /** Reads task queues (DESIGN §4 agent routes) and tells instances their agent was lost or is back. */
  connection: ConnectionLike;
}

export function createOrchestrationActivities({ config, connection }: OrchestrationActivityDeps) {
  return {
    ...createCimiActivities(config),
    ...createRecommenderActivities(config),
    ...createServiceManagerActivities(config),
    ...createUserManagementActivities(config),
    ...createSlaManagerActivities(config),
    ...createRemoteLmActivities(config),
    ...createAgentRouteActivities(connection, config.temporal.namespace),
    ...createAnnouncementActivities(connection, config.temporal.namespace),
    ...createCompssElasticityActivities(config.httpTimeoutMs),
  };
}

export type OrchestrationActivities = ReturnType<typeof createOrchestrationActivities>;
