/**
 * Checks a compose service at submit time, so a problem that can be known then is a 400 instead of an
 * instance in `error`. The agent checks again when it deploys (its own LM_ALLOW_PRIVILEGED decides there).
 */
import { checkComposeStackDocument } from '../activities/runtime/compose-swarm/check-compose-stack-document';
import { checkComposeDocument } from '../activities/runtime/compose/check-compose-document';
import { composeRefusal } from '../activities/runtime/compose/compose-refusal';
import { composeFetchLimits, fetchComposeFile } from '../activities/runtime/compose/fetch-compose-file';
import { instanceDirOf } from '../activities/runtime/compose/instance-directory';
import { composeProjectName } from '../activities/runtime/labels';
import type { LmConfig } from '../common/config';
import type { Service } from '../workflows/model/service';

/** Null when the submit may go on; else what is wrong with the compose file. */
export async function composeSubmitProblem(service: Service, uuid: string, config: LmConfig): Promise<string | null> {
  if (service.exec_type !== 'docker-compose' && service.exec_type !== 'docker-compose-swarm') return null;
  const fetched = await fetchComposeFile(service.exec, composeFetchLimits(config));
  // A server that fails now (5xx, timeout) may answer the agent later: that is the agent's to retry.
  if (!fetched.ok) return fetched.retryable ? null : fetched.message;
  // The names the agent will use: its instance directory and compose project (or stack).
  const options = {
    allowPrivileged: config.allowPrivileged,
    instanceDir: instanceDirOf(config.workingDir, uuid),
    project: composeProjectName({ instanceUuid: uuid, agentIndex: 0 }),
  };
  const check = service.exec_type === 'docker-compose' ? checkComposeDocument : checkComposeStackDocument;
  const problems = check(fetched.text, options);
  return problems.length > 0 ? composeRefusal(service.exec, problems) : null;
}
