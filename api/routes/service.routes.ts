/** `POST /api/v2/lm/service`: submit a service, get a service instance (its workflow starts at once). */
import { isContainerExecType } from '../../workflows/model/service';
import { notImplemented, badRequest, unavailable } from '../api-error';
import type { ApiContext } from '../api-context';
import type { RouteBuilder } from '../route-builder';
import { okEnvelope } from '../schemas/envelope.schema';
import { ServiceInstanceSchema } from '../schemas/instance.schema';
import { WaitQuerySchema } from '../schemas/operation.schema';
import { SubmitBodySchema } from '../schemas/submit.schema';
import { instanceUuid, workflowInput } from '../submission';
import { composeSubmitProblem } from '../compose-precheck';

const SubmitResponse = okEnvelope('SubmitResponse', { service_instance: ServiceInstanceSchema });

export function serviceRoutes(routes: RouteBuilder, { config, gateway, dockerProbe, supportedExecTypes }: ApiContext): void {
  routes.add(
    {
      method: 'post',
      paths: ['/api/v2/lm/service'],
      summary: 'Submit a service: deploys it on its agents and returns the new service instance',
      description:
        'Answers at once with status `deploying`; with `?wait=true`, once the instance has settled (`started`, ' +
        '`degraded` or `error`). Send an `Idempotency-Key` header to make a retried submit return the same instance.',
      tag: 'service',
      access: 'client',
      body: SubmitBodySchema,
      query: WaitQuerySchema,
      responses: {
        200: { description: 'Accepted (or settled, with wait=true)', schema: SubmitResponse },
        202: { description: 'wait=true, but the instance had not settled within LM_WAIT_TIMEOUT_S', schema: SubmitResponse },
        400: { description: 'Malformed JSON, missing or invalid parameters, invalid service (incl. an unreachable or refused compose file)' },
        501: { description: 'The exec_type is not supported by this LM' },
        503: { description: 'Temporal or Docker cannot be reached' },
      },
    },
    async ({ body, query, req }, res) => {
      if (!body.service) {
        throw badRequest(
          'STANDALONE mode takes the service inline: send "service" (a "service_id" needs CIMI, i.e. LM_MODE=MF2C)',
        );
      }
      const service = body.service;
      if (!supportedExecTypes.includes(service.exec_type)) {
        throw notImplemented(`exec_type "${service.exec_type}" is not supported by this LM yet; supported: ${supportedExecTypes.join(', ')}`);
      }
      const input = workflowInput(body, service, instanceUuid(req.header('Idempotency-Key')), config);
      const composeProblem = await composeSubmitProblem(service, input.uuid, config);
      if (composeProblem !== null) throw badRequest(composeProblem);
      if (isContainerExecType(service.exec_type) && input.agents.some((agent) => agent.agent_ip === config.hostIp)) {
        const problem = await dockerProbe.problem();
        if (problem !== null) {
          throw unavailable(`the Docker engine at ${dockerProbe.socket} is not reachable (${problem}): start dockerd or fix DOCKER_SOCKET`);
        }
      }
      const { instance } = await gateway.start(input, req.header('Idempotency-Key') !== undefined);
      if (!query.wait) {
        res.json({ error: false, message: `Service deployment operation is being processed [${instance.id}]...`, service_instance: instance });
        return;
      }
      const { instance: settled, settled: done } = await gateway.waitUntilSettled(input.uuid);
      res.status(done ? 200 : 202).json({
        error: false,
        message: done ? `Service deployed: the instance is ${settled.status}` : `Service deployment is still in progress [${settled.id}]`,
        service_instance: settled,
      });
    },
  );
}
