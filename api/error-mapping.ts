/** Maps whatever a handler threw to an HTTP status and a message: client mistakes are 4xx, never 500. */
import { isGrpcServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';
import type { Logger } from '../common/logger';
import { FailureType } from '../workflows/model/failures';
import { ApiError } from './api-error';

const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

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

/** The client wraps gRPC errors (ServiceError → cause): look at the whole chain. */
function isTemporalUnreachable(err: unknown): boolean {
  for (let current: unknown = err, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    if (isGrpcServiceError(current) && (current.code === GRPC_UNAVAILABLE || current.code === GRPC_DEADLINE_EXCEEDED)) return true;
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
    return new ApiError(400, `request body is not valid JSON (${parserError.message}); send a JSON object with Content-Type: application/json`);
  }
  if (parserError?.type === 'entity.too.large') return new ApiError(413, 'request body is too large (limit 1 MiB)');
  if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return new ApiError(parserError.status, parserError.message);
  }
  if (err instanceof WorkflowNotFoundError) return new ApiError(404, 'service instance not found');
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    const message = cause instanceof Error ? cause.message : err.message;
    // A peer (e.g. the COMPSs agent) failed the operation: not the client's fault, nor a state conflict.
    if (cause instanceof ApplicationFailure && (cause.type === FailureType.PeerRejected || cause.type === FailureType.PeerUnavailable)) {
      return new ApiError(502, message);
    }
    return new ApiError(409, `operation refused: ${message}`);
  }
  if (err instanceof ApplicationFailure) return new ApiError(409, err.message);
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new ApiError(503, 'no LM worker answered in time: start the LM worker (it serves task queue lm-workflows)');
  }
  if (isTemporalUnreachable(err)) {
    return new ApiError(
      503,
      `Temporal at ${temporalAddress} is not reachable: start it (scripts/start.sh) or point TEMPORAL_ADDRESS at a running server`,
    );
  }
  return null;
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
      res.status(apiError.status).json({ error: true, message: apiError.message });
      return;
    }
    logger.error({ err, path: req.path, method: req.method }, 'unexpected error');
    res.status(500).json({ error: true, message: 'internal error in the LM; the details are in its log' });
  };
}
