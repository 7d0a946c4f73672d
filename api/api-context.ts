/** What the routes need: configuration and the gateways to Temporal and Docker. */
import type { LmConfig } from '../common/config';
import type { Logger } from '../common/logger';
import type { ExecType } from '../workflows/model/service';
import type { DockerProbe } from './docker-probe';
import type { InstanceGateway } from './instance-gateway';
import type { PeerClients } from './peer-clients';

export interface ApiContext {
  config: LmConfig;
  logger: Logger;
  gateway: InstanceGateway;
  dockerProbe: DockerProbe;
  /** Exec types this LM's agents can run. */
  supportedExecTypes: ExecType[];
  /** CIMI and User Management as the API asks them; built from `config` when absent. */
  peers?: PeerClients;
}
