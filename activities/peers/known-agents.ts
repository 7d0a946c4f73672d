/**
 * The agents this LM trusts with its internal token: those its CIMI knows (leader, backup, children, devices)
 * and those LM_PEER_AGENTS names. An agent named only by a client (`agents_list`) is none of them, so it never
 * receives the token. CIMI's answer serves for a minute; a CIMI that does not answer knows nobody.
 */
import type { CimiClient } from './cimi';

const CIMI_TTL_MS = 60_000;

export class KnownAgents {
  private fromCimi: { at: number; addresses: Promise<Set<string>> } | null = null;

  constructor(
    private readonly peerAgents: readonly string[],
    private readonly cimi: CimiClient | null,
    private readonly now: () => number = Date.now,
  ) {}

  async knows(agent: string): Promise<boolean> {
    if (this.peerAgents.includes(agent)) return true;
    if (this.cimi === null) return false;
    return (await this.cimiAddresses()).has(agent);
  }

  private cimiAddresses(): Promise<Set<string>> {
    const cimi = this.cimi;
    if (cimi === null) return Promise.resolve(new Set());
    if (this.fromCimi === null || this.now() - this.fromCimi.at > CIMI_TTL_MS) {
      const addresses = cimi.knownAgentAddresses().then(
        (list) => new Set(list),
        () => new Set<string>(),
      );
      this.fromCimi = { at: this.now(), addresses };
    }
    return this.fromCimi.addresses;
  }
}
