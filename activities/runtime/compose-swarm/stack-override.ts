/**
 * The stack's override: LM labels on services and their containers, every service created with 0 replicas
 * (deploy runs nothing), and the declared replicas kept in a service label for start to scale back to.
 */
import type { ComposeModel } from '../compose/check-compose-structure';
import { composeOverride } from '../compose/compose-override';
import { declaredReplicas } from './check-stack-document';

export const DECLARED_REPLICAS_LABEL = 'lm.declared-replicas';

export function stackOverride(model: ComposeModel, labels: Record<string, string>): string {
  return composeOverride(model, (_name, service) => ({
    labels,
    deploy: { replicas: 0, labels: { ...labels, [DECLARED_REPLICAS_LABEL]: String(declaredReplicas(service)) } },
  }));
}
