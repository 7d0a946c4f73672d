/** What the routes need: configuration and the gateways to Temporal and Docker. */
import type { LmConfig } from '../common/config';
import type { Logger } from '../common/logger';
import type { ExecType } from '../workflows/model/service';
import type { DockerProbe } from './docker-probe';
import type { InstanceGateway } from './instance-gateway';

export interface ApiContext {
  config: LmConfig;
  logger: Logger;
  gateway: InstanceGateway;
  dockerProbe: DockerProbe;
  /** Exec types this LM's agents can run. */
  supportedExecTypes: ExecType[];
}
