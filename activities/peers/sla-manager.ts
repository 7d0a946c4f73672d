/**
 * SLA Manager connector (SLALite, spec/mf2c-peers.md §1): an agreement created from the request's template,
 * then started, stopped and terminated with the instance.
 */
import type { LmConfig } from '../../common/config';
import { FailureType } from '../../workflows/model/failures';
import { failure } from '../failures';
import { answerText, callPeer, notConfigured } from './http-peer';

const PEER = 'the SLA Manager';
export type AgreementOperation = 'start' | 'stop' | 'terminate';

/** SLALite paths take the bare id; CIMI-backed ids carry an `agreement/` prefix. */
export function agreementPathId(agreementId: string): string {
  return encodeURIComponent(agreementId.replace(/^agreement\//, ''));
}

export function createSlaManagerActivities(config: LmConfig) {
  const base = config.peers.slaManager;
  const url = (path: string): string => {
    if (base === null) throw notConfigured(PEER, 'URL_PM_SLA_MANAGER');
    return `${base}${path}`;
  };
  return {
    /** Not idempotent (each call makes an agreement): the workflow never resends an ambiguous one. */
    async createAgreement(request: { templateId: string; user: string }): Promise<string> {
      const { data } = await callPeer({
        peer: PEER,
        method: 'post',
        url: url('/mf2c/create-agreement'),
        body: { template_id: request.templateId, parameters: { user: request.user } },
        headers: { 'Content-Type': 'application/json' },
        timeoutMs: config.httpTimeoutMs,
        idempotent: false,
      });
      const id = typeof data === 'object' && data !== null ? (data as { agreement_id?: unknown }).agreement_id : undefined;
      if (typeof id !== 'string' || id.trim() === '') {
        throw failure(FailureType.PeerRejected, `${PEER} created an agreement but answered no agreement_id: ${answerText(data)}`);
      }
      return id;
    },
    /** Start, stop and terminate set a state: repeating one is harmless, so they are retried. */
    async changeAgreement(request: { agreementId: string; operation: AgreementOperation }): Promise<void> {
      await callPeer({
        peer: PEER,
        method: 'put',
        url: url(`/agreements/${agreementPathId(request.agreementId)}/${request.operation}`),
        timeoutMs: config.httpTimeoutMs,
        idempotent: true,
      });
    },
  };
}

export type SlaManagerActivities = ReturnType<typeof createSlaManagerActivities>;
