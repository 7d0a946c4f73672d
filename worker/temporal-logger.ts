/** Sends the Temporal SDK's and core's logs through our pino logger. */
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import pino from 'pino';
import type { Logger } from '../common/logger';

const LEVELS: Record<string, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Errors in the SDK's log metadata ("Activity failed", { error }) would serialise as `{}` plus their enumerable
 * fields (a failure's type, not its message): written out as pino writes errors, with message, causes and
 * stack, and a failure's own type as `failureType` (pino's `type` is the class name).
 */
export function loggableMeta(meta: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta ?? {})) {
    if (!(value instanceof Error)) out[key] = value;
    else out[key] = { ...pino.stdSerializers.err(value), ...(value instanceof ApplicationFailure ? { failureType: value.type } : {}) };
  }
  return out;
}

export function temporalLogger(logger: Logger): DefaultLogger {
  const level = logger.level === 'trace' || logger.level === 'debug' ? 'DEBUG' : logger.level === 'info' ? 'INFO' : 'WARN';
  return new DefaultLogger(level, (entry: LogEntry) => {
    logger[LEVELS[entry.level] ?? 'info'](loggableMeta(entry.meta), entry.message);
  });
}
