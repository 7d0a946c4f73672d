/**
 * The original's port rule (DESIGN §4): container port p is published on host port p when
 * p >= 10000 and p is free, else on the first free port from 20001 up. Pure, so it is unit-tested.
 */

export const FIRST_REMAPPED_PORT = 20001;
export const KEEP_PORT_FROM = 10000;
const LAST_PORT = 65535;

export interface PortMapping {
  container: number;
  host: number;
}

/** `isTaken` answers for ports used on the host; ports chosen earlier in this call are also avoided. */
export function choosePorts(requested: readonly number[], isTaken: (port: number) => boolean): PortMapping[] {
  const chosen = new Set<number>();
  const unavailable = (port: number): boolean => chosen.has(port) || isTaken(port);
  let next = FIRST_REMAPPED_PORT;
  return requested.map((container) => {
    let host = container;
    if (container < KEEP_PORT_FROM || unavailable(container)) {
      while (next <= LAST_PORT && unavailable(next)) next += 1;
      if (next > LAST_PORT) throw new Error(`no free host port left from ${FIRST_REMAPPED_PORT} to ${LAST_PORT}`);
      host = next;
    }
    chosen.add(host);
    return { container, host };
  });
}
