/** Failure types raised by activities; the workflow and the API read them from `ApplicationFailure.type`. */

export const FailureType = {
  /** The service definition cannot run as given (bad image reference, bad compose file…). */
  InvalidSpec: 'InvalidSpec',
  /** The image is not on the agent and cannot be pulled. */
  ImageNotFound: 'ImageNotFound',
  /** The runtime (Docker, Kubernetes) did not answer; retried. */
  RuntimeUnavailable: 'RuntimeUnavailable',
  /** A peer answered 4xx: retrying would not help. */
  PeerRejected: 'PeerRejected',
  /** A peer is down or answered 5xx; retried. For a call that is not idempotent: it was not applied. */
  PeerUnavailable: 'PeerUnavailable',
  /** A call that is not idempotent may or may not have been applied (timeout after sending): never resent. */
  PeerOutcomeUnknown: 'PeerOutcomeUnknown',
  /** The agent has no LM worker and no reachable LM. */
  AgentUnreachable: 'AgentUnreachable',
  /** The runtime does not support what was asked on this agent. */
  NotSupported: 'NotSupported',
  /** The workload stopped right after it was started (bad command, crash). */
  WorkloadExited: 'WorkloadExited',
  /** The workload was removed behind the LM's back. */
  WorkloadMissing: 'WorkloadMissing',
  /** An operation was refused by the instance's current state. */
  OperationRefused: 'OperationRefused',
  /** The read model's database did not take a projection; the instance projects again later. */
  ReadModelUnavailable: 'ReadModelUnavailable',
  /** The object asked for does not carry the LM's labels for that instance and agent: it is left untouched. */
  NotLmWorkload: 'NotLmWorkload',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

export const NON_RETRYABLE_FAILURES: string[] = [
  FailureType.InvalidSpec,
  FailureType.ImageNotFound,
  FailureType.PeerRejected,
  FailureType.PeerOutcomeUnknown,
  FailureType.AgentUnreachable,
  FailureType.NotSupported,
  FailureType.WorkloadExited,
  FailureType.WorkloadMissing,
  FailureType.NotLmWorkload,
];
