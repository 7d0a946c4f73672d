/** Which runtime handles which exec_type on this agent. */
import type { ExecType } from '../../workflows/model/service';
import { FailureType } from '../../workflows/model/failures';
import { failure } from '../failures';
import type { WorkloadRuntime } from './workload';

export type RuntimeRegistry = Partial<Record<ExecType, WorkloadRuntime>>;

export function runtimeFor(registry: RuntimeRegistry, execType: ExecType, agent: string): WorkloadRuntime {
  const runtime = registry[execType];
  if (!runtime) {
    throw failure(FailureType.NotSupported, `exec_type "${execType}" is not supported by the LM of agent ${agent}`);
  }
  return runtime;
}
