/** Sends the Temporal SDK's and core's logs through our pino logger. */
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import type { Logger } from '../common/logger';

const LEVELS: Record<string, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export function temporalLogger(logger: Logger): DefaultLogger {
  const level = logger.level === 'trace' || logger.level === 'debug' ? 'DEBUG' : logger.level === 'info' ? 'INFO' : 'WARN';
  return new DefaultLogger(level, (entry: LogEntry) => {
    logger[LEVELS[entry.level] ?? 'info']({ ...entry.meta }, entry.message);
  });
}
