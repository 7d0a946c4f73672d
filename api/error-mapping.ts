/** Maps whatever a handler threw to an HTTP status and a message: client mistakes are 4xx, never 500. */
import {
  isGrpcServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';
import type { Logger } from '../common/logger';
import { FailureType } from '../workflows/model/failures';
import { ApiError } from './api-error';

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_FAILED_PRECONDITION = 9;
const GRPC_UNAVAILABLE = 14;
/** How long a client should wait before retrying an instance whose workflow task is failing. */
const WORKFLOW_TASK_RETRY_AFTER_S = 10;

/** Failures of the LM's own making that say the instance's state refuses the request. */
const CONFLICTS: string[] = [
  FailureType.OperationRefused,
  FailureType.WorkloadExited,
  FailureType.WorkloadMissing,
  FailureType.NotLmWorkload,
];
/** The LM's other failure types, by the status that says whose problem it is. */
const FAILURE_STATUS: Record<string, number> = {
  [FailureType.InvalidSpec]: 400,
  [FailureType.ImageNotFound]: 400,
  [FailureType.NotSupported]: 501,
  [FailureType.PeerRejected]: 502,
  [FailureType.PeerUnavailable]: 502,
  [FailureType.PeerOutcomeUnknown]: 502,
  [FailureType.RuntimeUnavailable]: 503,
  [FailureType.AgentUnreachable]: 503,
};

interface BodyParserError {
  type?: string;
  status?: number;
  message: string;
}

export function describeZodError(error: z.ZodError, where: string): string {
  const issues = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return `${path}${issue.message}`;
  });
  return `invalid ${where}: ${issues.join('; ')}`;
}

/** The gRPC status code somewhere in the chain of causes, if any. */
export function grpcCode(err: unknown): { code: number; details: string } | null {
  for (let current: unknown = err, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    if (isGrpcServiceError(current)) return { code: current.code, details: current.details || current.message };
  }
  return null;
}

/** The client wraps gRPC errors (ServiceError → cause): look at the whole chain. */
function isTemporalUnreachable(err: unknown): boolean {
  for (let current: unknown = err, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    const code: number | undefined = isGrpcServiceError(current) ? current.code : undefined;
    if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED) return true;
    if (/failed to connect|ECONNREFUSED|UNAVAILABLE|DEADLINE_EXCEEDED|deadline exceeded|TransportError/i.test(current.message)) {
      return true;
    }
  }
  return false;
}

export function toApiError(err: unknown, temporalAddress: string): ApiError | null {
  if (err instanceof ApiError) return err;
  const parserError = err as BodyParserError;
  if (parserError?.type === 'entity.parse.failed') {
    return new ApiError(
      400,
      `request body is not valid JSON (${parserError.message}); send a JSON object with Content-Type: application/json`,
    );
  }
  if (parserError?.type === 'entity.too.large') return new ApiError(413, 'request body is too large (limit 1 MiB)');
  if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return new ApiError(parserError.status, parserError.message);
  }
  if (err instanceof WorkflowNotFoundError) return new ApiError(404, 'service instance not found');
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    // A validator's rejection arrives as a plain Error: the instance's own rules refused the operation.
    if (err.cause.type === 'Error') return new ApiError(409, `operation refused: ${err.cause.message}`);
    const mapped = failureStatus(err.cause);
    if (mapped !== null) return mapped;
  }
  if (err instanceof ApplicationFailure) {
    const mapped = failureStatus(err);
    if (mapped !== null) return mapped;
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new ApiError(503, 'no LM worker answered in time: start the LM worker (it serves task queue lm-workflows)');
  }
  const grpc = grpcCode(err);
  if (grpc?.code === GRPC_INVALID_ARGUMENT) {
    return new ApiError(
      400,
      `Temporal refused the request as invalid (${grpc.details}): check the parameters, e.g. send back a page_token exactly as an earlier page gave it`,
    );
  }
  if (grpc?.code === GRPC_FAILED_PRECONDITION) {
    return new ApiError(
      503,
      `the instance cannot take requests right now: its workflow task is failing or being retried (${grpc.details}); ` +
        'retry later, and see the instance in the Temporal Web UI if it lasts',
      { 'Retry-After': String(WORKFLOW_TASK_RETRY_AFTER_S) },
    );
  }
  if (isTemporalUnreachable(err)) {
    return new ApiError(
      503,
      `Temporal at ${temporalAddress} is not reachable: start it (scripts/start.sh) or point TEMPORAL_ADDRESS at a running server`,
    );
  }
  return null;
}

/** A failure of the LM's own types; null for any other, which is no client error and stays a logged 500. */
function failureStatus(failure: ApplicationFailure): ApiError | null {
  const type = failure.type ?? '';
  if (CONFLICTS.includes(type)) return new ApiError(409, `operation refused: ${failure.message}`);
  const status = FAILURE_STATUS[type];
  return status === undefined ? null : new ApiError(status, failure.message);
}

export function errorHandler(logger: Logger, temporalAddress: string): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const apiError = toApiError(err, temporalAddress);
    if (apiError) {
      if (apiError.status >= 500) logger.warn({ path: req.path, err: String(err) }, apiError.message);
      res.status(apiError.status).set(apiError.headers).json({ error: true, message: apiError.message });
      return;
    }
    logger.error({ err, path: req.path, method: req.method }, 'unexpected error');
    res.status(500).json({ error: true, message: 'internal error in the LM; the details are in its log' });
  };
}
