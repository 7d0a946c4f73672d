/** A peer's failure as the API answers it: the peer is down (503) or refused what the LM sent it (502). */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../workflows/model/failures';
import { ApiError } from './api-error';

export function peerApiError(err: unknown, doing: string): Error {
  if (!(err instanceof ApplicationFailure)) return err instanceof Error ? err : new Error(String(err));
  if (err.type === FailureType.PeerRejected) return new ApiError(502, `${doing}: ${err.message}`);
  if (err.type === FailureType.NotSupported) return new ApiError(501, `${doing}: ${err.message}`);
  return new ApiError(503, `${doing}: ${err.message}`);
}

/** Runs a peer call; its failure becomes the API error above. */
export async function askPeer<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw peerApiError(err, doing);
  }
}
