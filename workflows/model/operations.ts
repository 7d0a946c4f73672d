/** Which operation the current instance status allows (DESIGN §3); the update validators use this. */
import { INSTANCE_STATUSES, type InstanceStatus } from './status';

export const INSTANCE_OPERATIONS = ['start', 'stop', 'restart', 'terminate'] as const;
export type InstanceOperation = (typeof INSTANCE_OPERATIONS)[number];

const ALLOWED_FROM: Readonly<Record<InstanceOperation, readonly InstanceStatus[]>> = {
  start: ['stopped', 'degraded', 'error'],
  stop: ['started', 'degraded', 'error'],
  restart: ['started', 'degraded', 'stopped', 'error'],
  // Terminate waits for a running operation instead of being refused: it must always be possible.
  terminate: INSTANCE_STATUSES.filter((status) => status !== 'terminating' && status !== 'terminated' && status !== 'forwarded'),
};

/** Null when `operation` may run now, else the reason it may not, phrased for the API user. */
export function operationRefusal(operation: InstanceOperation, status: InstanceStatus): string | null {
  if (ALLOWED_FROM[operation].includes(status)) return null;
  if (status === 'forwarded') return "the service instance was forwarded to the leader's LM, which runs it now: operate it there";
  if (status === 'terminated' || status === 'terminating') {
    return `the service instance is ${status}; submit the service again to run it`;
  }
  if (operation === 'start' && status === 'started') {
    return 'the service instance is already started; use "restart" to restart it';
  }
  if (operation === 'stop' && status === 'stopped') return 'the service instance is already stopped';
  return `the service instance is ${status}; "${operation}" is allowed when it is ${ALLOWED_FROM[operation].join(', ')}`;
}

/** Null when a COMPSs job may start now, else why not. */
export function startJobRefusal(serviceType: string, status: InstanceStatus, startedAgents: number): string | null {
  if (serviceType !== 'compss') return `start-job needs a COMPSs instance; this one runs ${serviceType}`;
  if (status !== 'started' && status !== 'degraded') return `the service instance is ${status}; start it before starting a job`;
  if (startedAgents === 0) return 'no agent of the instance is started; start it before starting a job';
  return null;
}
