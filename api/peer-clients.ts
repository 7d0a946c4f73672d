/** The peers the API itself asks (at submit, and for the agent endpoints); null when not configured. */
import { CimiClient, cimiClient } from '../activities/peers/cimi';
import { UserManagementClient, userManagementClient } from '../activities/peers/user-management';
import type { LmConfig } from '../common/config';

export interface PeerClients {
  cimi: CimiClient | null;
  userManagement: UserManagementClient | null;
}

export function createPeerClients(config: LmConfig): PeerClients {
  return { cimi: cimiClient(config), userManagement: userManagementClient(config) };
}
