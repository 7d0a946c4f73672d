/** The SDK's "Activity failed" log line carries the failure's message, not only its type. */
import { ApplicationFailure } from '@temporalio/common';
import { loggableMeta } from '../../../worker/temporal-logger';

test('errors in the log metadata are written with their message, type and cause', () => {
  const cause = new Error('Error response from daemon: OCI runtime create failed: operation not permitted');
  const error = ApplicationFailure.create({
    type: 'InvalidSpec',
    message: 'start container lm-x: Docker cannot run it',
    cause,
    nonRetryable: true,
  });
  const meta = loggableMeta({ error, durationMs: 12 });
  expect(JSON.parse(JSON.stringify(meta))).toMatchObject({
    durationMs: 12,
    error: {
      failureType: 'InvalidSpec',
      message: expect.stringContaining('start container lm-x: Docker cannot run it'),
      nonRetryable: true,
    },
  });
  expect(JSON.stringify(meta)).toContain('OCI runtime create failed');
  // Without it, an Error serialises to its enumerable fields only: the message is lost.
  expect(JSON.stringify({ error })).not.toContain('Docker cannot run it');
});
