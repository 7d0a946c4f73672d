/**
 * Which addresses the LM may fetch a client-chosen URL from (compose files). Link-local and cloud metadata
 * addresses are always refused: they hand out credentials of the machine. With LM_COMPOSE_URL_ALLOW set, only
 * its hosts and CIDRs are fetched from. The check is made on the address a connection is really opened to (a
 * `lookup` for http agents, and each redirect's literal address), so a name that resolves to a refused address,
 * or a DNS answer that changes between check and connect, cannot slip past.
 */
import dns from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Always refused, whatever the allow-list says. */
const ALWAYS_REFUSED = new BlockList();
ALWAYS_REFUSED.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, incl. 169.254.169.254 (AWS, GCP, Azure, OpenStack)
ALWAYS_REFUSED.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
ALWAYS_REFUSED.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network": reaches the local host on Linux
ALWAYS_REFUSED.addSubnet('fe80::', 10, 'ipv6'); // link-local
ALWAYS_REFUSED.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6
ALWAYS_REFUSED.addAddress('::', 'ipv6');

/** `::ffff:169.254.169.254` is 169.254.169.254. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1], family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

/** dns.lookup's shape with `all: true`; tests hand in their own answers. */
export type Resolve = (hostname: string, callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => void;

const systemResolve: Resolve = (hostname, callback) => dns.lookup(hostname, { all: true }, callback);

export class OutboundPolicy {
  private readonly allowedHosts: string[] = [];
  private readonly allowedNets = new BlockList();
  private readonly restricted: boolean;

  /** `allow`: LM_COMPOSE_URL_ALLOW entries, host names (`files.example.org`, `*.example.org`) or CIDRs / addresses. */
  constructor(
    allow: readonly string[],
    private readonly variable = 'LM_COMPOSE_URL_ALLOW',
    private readonly resolve: Resolve = systemResolve,
  ) {
    this.restricted = allow.length > 0;
    for (const entry of allow) {
      const [base, bits] = entry.split('/');
      const family = isIP(base);
      if (family === 0 && bits === undefined) this.allowedHosts.push(entry.toLowerCase());
      else if (family === 0) throw new Error(`${variable}: "${entry}" is not a CIDR such as 10.1.0.0/16`);
      else if (bits === undefined) this.allowedNets.addAddress(base, family === 6 ? 'ipv6' : 'ipv4');
      else this.allowedNets.addSubnet(base, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
    }
  }

  private hostAllowed(host: string): boolean {
    const name = host.toLowerCase().replace(/\.$/, '');
    return this.allowedHosts.some((entry) => (entry.startsWith('*.') ? name.endsWith(entry.slice(1)) : name === entry));
  }

  /** Why a connection to `address` (resolved from `host`) is refused, or null when it may be made. */
  addressProblem(host: string, address: string): string | null {
    const ip = unmapped(address);
    if (ALWAYS_REFUSED.check(ip.address, ip.family)) {
      return `${host} is at ${address}, a link-local or cloud metadata address, which the LM never fetches from`;
    }
    if (this.restricted && !this.hostAllowed(host) && !this.allowedNets.check(ip.address, ip.family)) {
      return `${host} (${address}) is not in ${this.variable}: add the host or its network there to fetch from it`;
    }
    return null;
  }

  /** Why `url`'s host is refused before any lookup (a literal address), or null. */
  urlProblem(url: URL): string | null {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return isIP(host) === 0 ? null : this.addressProblem(host, host);
  }

  /** A `lookup` for http(s) agents: only addresses this policy allows are handed to the connection. */
  lookup(): LookupFunction {
    return (hostname, options, callback) => {
      this.resolve(hostname, (err, list) => {
        if (err) {
          callback(err, '', 0);
          return;
        }
        const wanted = options.family === 4 || options.family === 6 ? list.filter((a) => a.family === options.family) : list;
        const allowed = wanted.filter((a) => this.addressProblem(hostname, a.address) === null);
        if (allowed.length === 0) {
          const problem = list.length > 0 ? this.addressProblem(hostname, list[0].address) : `${hostname} has no address`;
          callback(Object.assign(new Error(problem ?? `${hostname} is refused`), { code: 'ELMREFUSED' }), '', 0);
          return;
        }
        if (options.all) callback(null, allowed);
        else callback(null, allowed[0].address, allowed[0].family);
      });
    };
  }
}
