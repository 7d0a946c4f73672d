/** Entry point of the workflow bundle: every workflow type the worker registers. */
export { serviceInstanceWorkflow } from './service-instance.workflow';
export { agentOperationWorkflow } from './agent-operation.workflow';
export { submissionClaimWorkflow } from './submission-claim.workflow';
export { agentPresenceWorkflow } from './agent-presence.workflow';
