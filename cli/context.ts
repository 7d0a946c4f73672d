/** What every command gets: the API client from --url/--token (LM_URL, LM_API_TOKEN), and how it reports failure. */
import type { Command } from 'commander';
import { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { colour } from './output';

export const DEFAULT_URL = 'http://localhost:46000';

export function apiOf(command: Command): ApiClient {
  const { url, token } = command.optsWithGlobals<{ url: string; token?: string }>();
  return new ApiClient({ url, token: token || undefined });
}

/** Runs a command's action: a CliError is printed as one line (the API's message) and becomes the exit code. */
export function action<A extends unknown[]>(work: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await work(...args);
      process.exitCode = code ?? EXIT.ok;
    } catch (err) {
      if (err instanceof CliError) {
        process.stderr.write(`${colour.red('lmctl:')} ${err.message}\n`);
        process.exitCode = err.exitCode;
        return;
      }
      process.stderr.write(
        `${colour.red('lmctl: unexpected failure:')} ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = EXIT.failure;
    }
  };
}
