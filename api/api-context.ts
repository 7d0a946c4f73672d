/** What the routes need: configuration, the read model and the gateways to Temporal and Docker. */
import type { Client } from '@temporalio/client';
import { SUPPORTED_EXEC_TYPES } from '../activities/supported-exec-types';
import type { LmConfig } from '../common/config';
import type { Logger } from '../common/logger';
import type { ReadModelStore } from '../common/read-model/read-model-store';
import type { ExecType } from '../workflows/model/service';
import { AgentDirectory } from './agent-directory';
import { DockerProbe } from './docker-probe';
import { IdempotencyKeys } from './idempotency-keys';
import { InstanceGateway } from './instance-gateway';
import { InstanceReads } from './instance-reads';
import type { PeerClients } from './peer-clients';
import { SubmissionClaims } from './submission-claims';

export interface ApiContext {
  config: LmConfig;
  logger: Logger;
  gateway: InstanceGateway;
  /** The cluster's agents: the agents endpoint and standalone placement. */
  agents: AgentDirectory;
  /** Reads of instances, listings and timelines (the read model; Temporal when asked for consistency). */
  reads: InstanceReads;
  /** mF2C submits with an Idempotency-Key. */
  claims: SubmissionClaims;
  /** Every request with an Idempotency-Key: one key, one request. */
  idempotency: IdempotencyKeys;
  dockerProbe: DockerProbe;
  /** Exec types this LM's agents can run. */
  supportedExecTypes: ExecType[];
  /** CIMI and User Management as the API asks them; built from `config` when absent. */
  peers?: PeerClients;
}

/** The context of a running API: one Temporal client, the read model, the local Docker engine, this LM's runtimes. */
export function createApiContext(config: LmConfig, logger: Logger, client: Client, readModel: ReadModelStore): ApiContext {
  const gateway = new InstanceGateway(client, config, readModel, logger);
  return {
    config,
    logger,
    gateway,
    agents: new AgentDirectory(client),
    reads: new InstanceReads(readModel, gateway, config),
    claims: new SubmissionClaims(client),
    idempotency: new IdempotencyKeys(client),
    dockerProbe: new DockerProbe(config.docker.socket),
    supportedExecTypes: SUPPORTED_EXEC_TYPES,
  };
}
