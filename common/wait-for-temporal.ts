/** Temporal (or the read model's database) may start after the LM, or restart under it: wait for it instead of crashing. */
import type { Logger } from './logger';

const RETRY_EVERY_MS = 2_000;

export async function retryUntilConnected<T>(connect: () => Promise<T>, address: string, logger: Logger, what = 'Temporal'): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await connect();
    } catch (err) {
      if (attempt === 1 || attempt % 15 === 0) {
        logger.warn({ err: String(err) }, `${what} at ${address} is not reachable yet; retrying every ${RETRY_EVERY_MS / 1000}s`);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
    }
  }
}
