/**
 * Where a runtime step's real progress goes: into the activity's heartbeats (so Temporal, and a retry, see how
 * far it got) and, a handful of times per step, to the instance whose step it is (its timeline and the Web
 * UI's current details say "pulling image … 45%"). The instance hears of it at most every few seconds and
 * only when it moved on by a tenth, so a pull costs a few history events however long it takes.
 */
import { Context } from '@temporalio/activity';
import type { Logger } from '../../common/logger';
import { progressSignal, type StepProgress } from '../../workflows/messages';
import { agentLabel } from '../../workflows/model/instance';
import { describePull } from './docker/images';
import type { RuntimeProgress, WorkloadSpec } from './workload';

const SIGNAL_EVERY_MS = 5_000;
const SIGNAL_PERCENT_STEP = 10;
/** Without a percentage (sizes unknown yet), a line now and then still says the step is alive. */
const SIGNAL_UNSIZED_EVERY_MS = 30_000;
/** Only instances listen; the internal API's short workflows have nobody to tell. */
const INSTANCE_WORKFLOW_TYPE = 'serviceInstanceWorkflow';

export interface StepProgressReporter {
  report(progress: RuntimeProgress): void;
  /** The heartbeat details: the latest progress, if any. */
  latest(): RuntimeProgress | undefined;
  /** The step ended (either way): an instance told of progress forgets the line. */
  finish(): void;
}

export function stepProgressReporter(step: string, spec: WorkloadSpec, logger: Logger): StepProgressReporter {
  const context = Context.current();
  const { workflowExecution, workflowType } = context.info;
  const toInstance = workflowType === INSTANCE_WORKFLOW_TYPE && workflowExecution !== undefined;
  const agent = agentLabel({ url: spec.agentUrl }, spec.agentIndex);
  let latest: RuntimeProgress | undefined;
  let sentAt = 0;
  let sentPercent: number | null = null;
  let told = false;

  const tell = (progress: StepProgress): void => {
    if (!toInstance || workflowExecution === undefined) return;
    context.client.workflow
      .getHandle(workflowExecution.workflowId)
      .signal(progressSignal, progress)
      .catch((err: unknown) =>
        logger.debug({ err, workflowId: workflowExecution.workflowId }, 'could not tell the instance how far its step got'),
      );
  };

  const worthTelling = (progress: RuntimeProgress): boolean => {
    const now = Date.now();
    if (!told) return true;
    if (now - sentAt < SIGNAL_EVERY_MS) return false;
    if (progress.percent === null) return now - sentAt >= SIGNAL_UNSIZED_EVERY_MS;
    return sentPercent === null || progress.percent - sentPercent >= SIGNAL_PERCENT_STEP || (progress.percent === 100 && sentPercent < 100);
  };

  return {
    report(progress) {
      latest = progress;
      context.heartbeat(progress);
      if (!worthTelling(progress)) return;
      const message = describePull(progress);
      logger.debug({ step, agent, progress }, message);
      tell({ step, agent, message, done: false });
      told = true;
      sentAt = Date.now();
      sentPercent = progress.percent;
    },
    latest: () => latest,
    finish() {
      if (told) tell({ step, agent, message: '', done: true });
    },
  };
}
