/** lmctl's exit codes (README, "lmctl"): what a script can tell apart without reading the message. */
export const EXIT = {
  ok: 0,
  /** Bad usage, or something unexpected. */
  failure: 1,
  /** The LM refused the request as invalid (400), or the file or options are not a service. */
  invalid: 2,
  /** No such instance (404, or no instance matches the id prefix). */
  notFound: 3,
  /** The instance's status forbids the operation (409). */
  conflict: 4,
  /** The instance settled, but not as asked: `error`, `degraded`, a terminate that could not finish. */
  settledBadly: 5,
  /** The LM cannot be reached, or answered 5xx / 503. */
  unavailable: 6,
  /** The LM has no such endpoint (an older LM, or a feature it lacks). */
  unsupported: 7,
  /** The token is missing or wrong (401). */
  unauthorized: 8,
  /** --timeout passed before the instance settled. */
  timedOut: 124,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure lmctl explains in one line and exits with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}
