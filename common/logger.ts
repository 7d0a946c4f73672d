/** One structured logger (pino, JSON lines) for the API, the worker and the activities. */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(name: string, level: string = process.env.LM_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level });
}
