/** What the routes need: configuration and the gateways to Temporal and Docker. */
import type { Client } from '@temporalio/client';
import { SUPPORTED_EXEC_TYPES } from '../activities/supported-exec-types';
import type { LmConfig } from '../common/config';
import type { Logger } from '../common/logger';
import type { ExecType } from '../workflows/model/service';
import { DockerProbe } from './docker-probe';
import { InstanceGateway } from './instance-gateway';
import type { PeerClients } from './peer-clients';
import { SubmissionClaims } from './submission-claims';

export interface ApiContext {
  config: LmConfig;
  logger: Logger;
  gateway: InstanceGateway;
  /** mF2C submits with an Idempotency-Key. */
  claims: SubmissionClaims;
  dockerProbe: DockerProbe;
  /** Exec types this LM's agents can run. */
  supportedExecTypes: ExecType[];
  /** CIMI and User Management as the API asks them; built from `config` when absent. */
  peers?: PeerClients;
}

/** The context of a running API: one Temporal client, the local Docker engine, this LM's runtimes. */
export function createApiContext(config: LmConfig, logger: Logger, client: Client): ApiContext {
  return {
    config,
    logger,
    gateway: new InstanceGateway(client, config),
    claims: new SubmissionClaims(client),
    dockerProbe: new DockerProbe(config.docker.socket),
    supportedExecTypes: SUPPORTED_EXEC_TYPES,
  };
}
