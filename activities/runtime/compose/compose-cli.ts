/**
 * Runs compose for one project (no shell): always the same `-f <file> -f <override> --project-name <project>`
 * so every command sees exactly what deploy saw. A deadline or the activity's cancellation kills compose's
 * whole process group; what it made by then carries the project's labels, which remove sweeps by.
 */
import { FailureType } from '../../../workflows/model/failures';
import { abortReason } from '../cancellation';
import { failure } from '../../failures';
import { cliEnvironment } from './cli-environment';
import { classifyComposeError } from './compose-errors';
import { composeExecutable } from './detect-compose-executable';
import type { ComposeFiles } from './instance-directory';
import { runCommand, type CommandResult } from './run-command';

export interface ComposeCliOptions {
  socket: string;
  /** Bounds each Docker API call compose makes, in seconds (compose's own COMPOSE_HTTP_TIMEOUT). */
  httpTimeoutS: number;
}

export class ComposeCli {
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly options: ComposeCliOptions) {
    this.env = cliEnvironment(options.socket, { COMPOSE_HTTP_TIMEOUT: String(options.httpTimeoutS) });
  }

  async run(project: string, files: ComposeFiles, args: string[], agent: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const executable = await composeExecutable(this.env, agent);
    const what = `compose ${args[0]} of project ${project}`;
    let result: CommandResult;
    try {
      result = await runCommand(
        executable.file,
        [...executable.prefix, '-f', files.composeFile, '-f', files.overrideFile, '--project-name', project, ...args],
        { cwd: files.dir, env: this.env, timeoutMs, signal },
      );
    } catch (err) {
      throw classifyComposeError(err, what, this.options.socket);
    }
    if (result.aborted && signal) throw abortReason(signal);
    if (result.timedOut) throw failure(FailureType.RuntimeUnavailable, `${what} did not finish within ${Math.round(timeoutMs / 1000)} s`);
    if (result.exitCode !== 0) throw classifyComposeError(result, what, this.options.socket);
  }
}
