#!/usr/bin/env node
/**
 * lmctl: the LM's command-line client. It speaks only the public REST API (LM_URL or --url, LM_API_TOKEN or
 * --token), so it drives any LM of this version, local or remote.
 */
import { Command } from 'commander';
import { inspectCommands } from './commands/inspect';
import { lifecycleCommands } from './commands/lifecycle';
import { DEFAULT_URL } from './context';

const program = new Command('lmctl')
  .description('Drive a Lifecycle Manager: run services, follow their deploy, list, inspect, read logs, stop, start, remove.')
  .option('--url <url>', 'the LM API (env LM_URL)', process.env.LM_URL ?? DEFAULT_URL)
  .option('--token <token>', 'bearer token when the LM sets LM_API_TOKEN (env LM_API_TOKEN)', process.env.LM_API_TOKEN)
  .showHelpAfterError()
  .addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 usage or unexpected, 2 invalid request, 3 no such instance, 4 conflict, 5 settled badly\n(error, degraded, terminate failed), 6 LM unreachable or failing, 7 not supported by this LM, 8 bad token, 124 --timeout.',
  );

lifecycleCommands(program);
inspectCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`lmctl: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
