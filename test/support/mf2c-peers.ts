/**
 * The mF2C peers of an LM under test: the sandbox fakes (CIMI, SLA Manager, Service Manager, User Management,
 * Recommender) on random ports, plus fake original LMs on other loopback addresses (127.0.0.x), all on one
 * port that the LM under test uses to reach every other LM (LM_PORT, the original's SERVER_PORT).
 */
import { randomUUID } from 'node:crypto';
import { describeCall, type RecordedCall } from '../fakes/call-recorder';
import { startFakePeerLm, type FakePeerLm } from '../fakes/peer-lm';
import { startSandbox, type Sandbox } from '../fakes/sandbox';

export interface Mf2cPeers extends Sandbox {
  /** Fake original LMs by IP. */
  peerLms: Map<string, FakePeerLm>;
  /** The LM's environment: sandbox URLs, LM_MODE=MF2C, HOST_IP, and LM_PORT (where the peer LMs listen). */
  lmEnv: Record<string, string>;
  /** `peer METHOD path` of every call so far, in order, optionally for one peer. */
  trail(peer?: string): string[];
  callsOf(peer: string): RecordedCall[];
  closeAll(): Promise<void>;
}

export interface Mf2cPeersOptions {
  hostIp?: string;
  /** CIMI agent.leader_ip; default: none (this agent is the top of the hierarchy). */
  leaderIp?: string;
  /** IPs of fake original LMs to start (127.0.0.x). */
  peerLmIps?: string[];
  /** The fake LMs answer the status of their workloads, as a new LM does (an original one cannot). */
  peerLmsReportStatus?: boolean;
}

export async function startMf2cPeers(options: Mf2cPeersOptions = {}): Promise<Mf2cPeers> {
  const hostIp = options.hostIp ?? '127.0.0.1';
  // A user of its own: test files share one Temporal, and a user's instances are found through visibility
  // (um_warning), so instances another suite left running must not count.
  const user = `testuser-${randomUUID().slice(0, 8)}`;
  const sandbox = await startSandbox({
    bindHost: '127.0.0.1',
    hostIp,
    leaderIp: hostIp,
    user,
    ports: { cimi: 0, sla: 0, sm: 0, um: 0, recommender: 0 },
  });
  // The sandbox makes the agent its own leader; tests choose.
  const agentId = sandbox.cimi.seeded?.agent;
  if (agentId) {
    const agent = sandbox.cimi.get(agentId) ?? {};
    delete agent.leader_ip;
    sandbox.cimi.remove(agentId);
    sandbox.cimi.seed('agent', { ...agent, ...(options.leaderIp === undefined ? {} : { leader_ip: options.leaderIp }) });
  }
  const peerLms = new Map<string, FakePeerLm>();
  let port = 0;
  for (const ip of options.peerLmIps ?? []) {
    // Its own recorder: every fake LM is peer "peer-lm", so a shared one could not tell them apart.
    const lm = await startFakePeerLm({ host: ip, port, reportsStatus: options.peerLmsReportStatus === true });
    port = lm.port;
    peerLms.set(ip, lm);
  }
  const lmEnv: Record<string, string> = { ...sandbox.env, ...(port > 0 ? { LM_PORT: String(port) } : {}) };
  return {
    ...sandbox,
    peerLms,
    lmEnv,
    trail: (peer) =>
      sandbox.recorder
        .calls()
        .filter((c) => peer === undefined || c.peer === peer)
        .map((c) => `${c.peer} ${c.method} ${c.path}`),
    callsOf: (peer) => sandbox.recorder.calls().filter((c) => c.peer === peer),
    closeAll: async () => {
      await Promise.all([...peerLms.values()].map((lm) => lm.close()));
      await sandbox.close();
    },
  };
}

/** For assertion messages: every call, one per line. */
export function describeCalls(calls: RecordedCall[]): string {
  return calls.map(describeCall).join('\n');
}
