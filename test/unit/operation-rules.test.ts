/** Which operation each instance status allows (the rules behind the update validators). */
import { INSTANCE_OPERATIONS, operationRefusal } from '../../workflows/model/operations';
import { INSTANCE_STATUSES, type InstanceStatus } from '../../workflows/model/status';

const ALLOWED: Record<string, InstanceStatus[]> = {
  start: ['stopped', 'degraded', 'error'],
  stop: ['started', 'degraded', 'error'],
  restart: ['started', 'degraded', 'stopped', 'error'],
  terminate: ['created-not-initialized', 'deploying', 'started', 'degraded', 'starting', 'stopping', 'stopped', 'error'],
};

describe('operationRefusal', () => {
  for (const operation of INSTANCE_OPERATIONS) {
    for (const status of INSTANCE_STATUSES) {
      const allowed = ALLOWED[operation].includes(status);
      test(`${operation} when ${status}: ${allowed ? 'allowed' : 'refused'}`, () => {
        const refusal = operationRefusal(operation, status);
        if (allowed) expect(refusal).toBeNull();
        else expect(refusal).toEqual(expect.stringContaining(status));
      });
    }
  }

  test('the reason for a terminated instance says how to get a running one', () => {
    expect(operationRefusal('start', 'terminated')).toMatch(/submit the service again/);
  });

  test('start on a started instance points to restart', () => {
    expect(operationRefusal('start', 'started')).toMatch(/restart/);
  });
});
