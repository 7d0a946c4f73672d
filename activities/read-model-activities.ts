/**
 * The projection of an instance into the read model: a local activity of the workflow queue's worker, so it
 * costs no task of its own and is done before the workflow task that made the change completes (an operation's
 * acceptance reaches the API after its projection). Idempotent: the store keeps only newer versions and entries
 * it does not have yet.
 */
import type { ReadModelStore } from '../common/read-model/read-model-store';
import type { InstanceProjection } from '../workflows/model/projection';
import { FailureType } from '../workflows/model/failures';
import { errorMessage, failure } from './failures';

export function createReadModelActivities(store: ReadModelStore) {
  return {
    async projectInstance(projection: InstanceProjection): Promise<void> {
      try {
        await store.project(projection);
      } catch (err) {
        throw failure(
          FailureType.ReadModelUnavailable,
          `the read model (${store.kind}) did not take the projection of ${projection.uuid}: ${errorMessage(err)}`,
          err,
        );
      }
    },
  };
}

export type ReadModelActivities = ReturnType<typeof createReadModelActivities>;
