/**
 * COMPSs elasticity on the master agent (spec/mf2c-peers.md §6.2): `addResources` when a QoS notification adds
 * a worker agent, `removeNode` before one is removed. Both answer 200 with an empty body.
 */
import { FailureType } from '../../workflows/model/failures';
import type { CompssResource } from '../../workflows/model/compss-job';
import { failure } from '../failures';
import { callPeer } from '../peers/http-peer';
import { escapeXml, externalResource } from './start-application-xml';

export interface CompssElasticityCall {
  master: CompssResource;
  appId: string;
  worker: CompssResource;
}

export function createCompssElasticityActivities(timeoutMs: number) {
  const put = async (call: CompssElasticityCall, operation: 'addResources' | 'removeNode', xml: string): Promise<void> => {
    const url = `http://${call.master.ip}:${call.master.port}/COMPSs/${operation}`;
    const { status } = await callPeer({
      peer: 'the COMPSs master',
      method: 'put',
      url,
      body: xml,
      headers: { 'Content-Type': 'application/xml' },
      timeoutMs,
      idempotent: true,
    });
    // The original took any answer as success (bug C4); a non-2xx is already a failure here.
    if (status < 200 || status >= 300) throw failure(FailureType.PeerRejected, `${url} answered ${status}`);
  };
  return {
    async addCompssResource(call: CompssElasticityCall): Promise<void> {
      const xml = `<?xml version='1.0' encoding='utf-8'?><newResource><appId>${escapeXml(call.appId)}</appId>${externalResource(call.worker)}</newResource>`;
      await put(call, 'addResources', xml);
    },
    async removeCompssNode(call: CompssElasticityCall): Promise<void> {
      const xml = `<?xml version='1.0' encoding='utf-8'?><removeNode><appId>${escapeXml(call.appId)}</appId><workerName>${escapeXml(call.worker.ip)}</workerName></removeNode>`;
      await put(call, 'removeNode', xml);
    },
  };
}

export type CompssElasticityActivities = ReturnType<typeof createCompssElasticityActivities>;
