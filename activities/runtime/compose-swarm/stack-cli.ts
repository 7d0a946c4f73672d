/**
 * The `docker stack` and `docker service scale` commands, run with argument arrays, timeouts and the activity's
 * cancellation (no shell:
 * spec/original-lm.md §13 D2). The exit code is checked and stderr goes into the message (the original ignored
 * both, bug C3).
 */
import { FailureType } from '../../../workflows/model/failures';
import { failure } from '../../failures';
import { abortReason } from '../cancellation';
import { WORKLOAD_CANNOT_RUN } from '../docker/docker-errors';
import { cliEnvironment } from '../compose/cli-environment';
import type { ComposeFiles } from '../compose/instance-directory';
import { runCommand, stderrTail, type CommandResult } from '../compose/run-command';
import { NOT_A_MANAGER } from './swarm-manager';

const DEPLOY_TIMEOUT_MS = 5 * 60_000;
const COMMAND_TIMEOUT_MS = 2 * 60_000;

const ENGINE_DOWN = /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect/i;
const FILE_AT_FAULT = /is invalid|Additional propert|Unsupported|must be a|yaml:|invalid mount|port .* is already in use|not supported/i;

export class StackCli {
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly socket: string) {
    this.env = cliEnvironment(socket);
  }

  /** Creates or updates the stack from the user's file and the LM override. */
  async deploy(stack: string, files: ComposeFiles, signal: AbortSignal): Promise<void> {
    const args = ['stack', 'deploy', '--compose-file', files.composeFile, '--compose-file', files.overrideFile, stack];
    await this.docker(args, `docker stack deploy of ${stack}`, DEPLOY_TIMEOUT_MS, signal, files.dir);
  }

  async remove(stack: string, signal: AbortSignal): Promise<void> {
    await this.docker(['stack', 'rm', stack], `docker stack rm of ${stack}`, COMMAND_TIMEOUT_MS, signal);
  }

  /** `--detach`: the runtime waits for the tasks itself, with its own deadline and a useful message. */
  async scale(replicas: Record<string, number>, what: string, signal: AbortSignal): Promise<void> {
    const pairs = Object.entries(replicas).map(([service, count]) => `${service}=${count}`);
    if (pairs.length === 0) return;
    await this.docker(['service', 'scale', '--detach', ...pairs], what, COMMAND_TIMEOUT_MS, signal);
  }

  private async docker(args: string[], what: string, timeoutMs: number, signal: AbortSignal, cwd?: string): Promise<CommandResult> {
    let result: CommandResult;
    try {
      result = await runCommand('docker', args, { timeoutMs, env: this.env, cwd, signal });
    } catch (err) {
      throw failure(FailureType.NotSupported, `${what}: the docker CLI cannot be run on this agent (${String(err)}); install it`);
    }
    if (result.aborted) throw abortReason(signal);
    if (result.exitCode === 0) return result;
    const tail = stderrTail(result.stderr) || stderrTail(result.stdout) || `exit code ${result.exitCode}`;
    if (result.timedOut) throw failure(FailureType.RuntimeUnavailable, `${what} did not finish within ${Math.round(timeoutMs / 1000)} s`);
    if (/not a swarm manager|not part of a swarm/i.test(result.stderr))
      throw failure(FailureType.NotSupported, `${what}: ${NOT_A_MANAGER}`);
    if (ENGINE_DOWN.test(result.stderr)) {
      throw failure(FailureType.RuntimeUnavailable, `${what}: the Docker engine at ${this.socket} is not reachable (${tail})`);
    }
    if (FILE_AT_FAULT.test(result.stderr) || WORKLOAD_CANNOT_RUN.test(result.stderr))
      throw failure(FailureType.InvalidSpec, `${what} failed: ${tail}`);
    throw failure(FailureType.RuntimeUnavailable, `${what} failed (exit code ${result.exitCode}): ${tail}`);
  }
}
