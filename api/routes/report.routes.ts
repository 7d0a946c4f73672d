/**
 * `GET …/<uuid>/report`: the COMPSs operation report of the instance's last job, read from CIMI's
 * `service-operation-report` as the original does (spec/original-lm.md §10.3).
 */
import { z } from 'zod';
import { notImplemented } from '../api-error';
import type { ApiContext } from '../api-context';
import { askPeer } from '../peer-errors';
import type { PeerClients } from '../peer-clients';
import type { RouteBuilder } from '../route-builder';
import { okEnvelope } from '../schemas/envelope.schema';
import { instancePaths, InstanceIdParams, uuidParam } from './instance-paths';

const ReportResponse = okEnvelope('OperationReportResponse', {
  service_instance_id: z.string(),
  report: z.looseObject({}).meta({ description: 'The service-operation-report; {} when no job ran or COMPSs reported nothing yet' }),
});

export function reportRoutes(routes: RouteBuilder, { reads, peers }: ApiContext & { peers: PeerClients }): void {
  routes.add(
    {
      method: 'get',
      paths: instancePaths('/:id/report'),
      summary: "The COMPSs operation report of the instance's last job (from CIMI)",
      tag: 'compss',
      access: 'client',
      params: InstanceIdParams,
      responses: {
        200: { description: 'The report', schema: ReportResponse },
        400: { description: 'Malformed id' },
        404: { description: 'Unknown instance' },
        501: { description: 'No CIMI is configured (reports live in CIMI)' },
        503: { description: 'CIMI does not answer' },
      },
    },
    async ({ params }, res) => {
      const uuid = uuidParam(params.id);
      const cimi = peers.cimi;
      if (cimi === null) throw notImplemented('operation reports are read from CIMI: set CIMI_URL (mF2C mode)');
      const instance = await reads.get(uuid);
      // The master's application id when there are several agents, else the single agent's.
      const agent = instance.agents.length > 1 ? (instance.agents.find((a) => a.master_compss) ?? instance.agents[0]) : instance.agents[0];
      const appId = agent?.compss_app_id ?? '-';
      const report = appId === '-' ? {} : await askPeer('reading the operation report from CIMI', () => cimi.operationReport(appId));
      res.json({ error: false, message: 'Service Operation Report content', service_instance_id: uuid, report });
    },
  );
}
