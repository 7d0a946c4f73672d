/** `POST /api/v2/lm/service`: submit a service, get a service instance (its workflow starts at once). */
import { isContainerExecType } from '../../workflows/model/service';
import { notImplemented, badRequest, unavailable } from '../api-error';
import type { ApiContext } from '../api-context';
import type { RouteBuilder } from '../route-builder';
import { okEnvelope } from '../schemas/envelope.schema';
import { ServiceInstanceSchema } from '../schemas/instance.schema';
import { WaitQuerySchema } from '../schemas/operation.schema';
import { StandaloneSubmitBodySchema, SubmitBodySchema } from '../schemas/submit.schema';
import { instanceUuid, workflowInput } from '../submission';
import { composeSubmitProblem } from '../compose-precheck';
import { submitInMf2c } from '../mf2c-submission';
import { placeStandalone } from '../standalone-placement';
import type { PeerClients } from '../peer-clients';
import { z } from 'zod';

const SubmitResponse = okEnvelope('SubmitResponse', { service_instance: ServiceInstanceSchema });
const ForwardedResponse = okEnvelope('ForwardedToLeaderResponse', {
  service_instance_id: z.string().meta({ description: "The instance, now run by the leader's LM under the same id" }),
});

export function serviceRoutes(routes: RouteBuilder, context: ApiContext & { peers: PeerClients }): void {
  const { config, gateway, reads, dockerProbe, supportedExecTypes, idempotency } = context;
  routes.add(
    {
      method: 'post',
      paths: ['/api/v2/lm/service'],
      summary: 'Submit a service: deploys it on its agents and returns the new service instance',
      description:
        'Answers at once with status `deploying`; with `?wait=true`, once the instance has settled (`started`, ' +
        '`degraded` or `error`). Send an `Idempotency-Key` header to make a retried submit return the same instance ' +
        '(in mF2C mode too: the first submit with a key makes the CIMI resource, a repeated or concurrent one waits for ' +
        'it and answers with the same instance; a key whose submit failed may be used again).\n\n' +
        "Standalone without `agents_list`: the instance is placed on the cluster's live agents that offer its runtime, " +
        "fewest live instances first (`num_agents` of them for docker and compss); every candidate's verdict is on the " +
        "timeline (step `place`). With no live agent known it goes to this LM's own agent; asking for more agents than " +
        'are live is a 503 that names each agent and why it was not chosen.\n\n' +
        'mF2C mode (LM_MODE=MF2C): `service_id` names a service in CIMI; without `agents_list` the Recommender proposes ' +
        "agents; User Management, the Service Manager and each agent's runtime filter them; the answer comes once the " +
        "agents are chosen. With too few agents the request goes to the leader's LM (200 with `service_instance_id`), " +
        'or fails with 503 when there is no leader. A Recommender that does not answer fails the submit (503).',
      tag: 'service',
      access: 'client',
      body: config.mode === 'mf2c' ? SubmitBodySchema : StandaloneSubmitBodySchema,
      query: WaitQuerySchema,
      responses: {
        200: {
          description: "Accepted (or settled, with wait=true); mF2C: or forwarded to the leader's LM",
          schema: z.union([SubmitResponse, ForwardedResponse]),
        },
        202: { description: 'wait=true, but the instance had not settled within LM_WAIT_TIMEOUT_S', schema: SubmitResponse },
        400: {
          description: 'Malformed JSON, missing or invalid parameters, invalid service (incl. an unreachable or refused compose file)',
        },
        422: { description: 'The Idempotency-Key was already used for another submit' },
        404: { description: 'mF2C: service_id (or a forwarded service_instance_id) is not in CIMI' },
        501: { description: 'The exec_type is not supported by this LM' },
        502: { description: 'mF2C: CIMI refused what the LM sent it' },
        503: {
          description:
            'Temporal or Docker cannot be reached; standalone: fewer live agents than num_agents; mF2C: a peer is down, or too few agents and no leader to forward to',
        },
      },
    },
    async ({ body, query, req }, res) => {
      const key = await idempotency.admit(req, 'submit');
      if (config.mode === 'mf2c') {
        await submitInMf2c(context, body, query.wait, res, key ?? undefined);
        return;
      }
      // The standalone schema requires the service: this only narrows the type.
      if (!body.service) {
        throw badRequest('STANDALONE mode takes the service inline: send "service" (a "service_id" needs CIMI, i.e. LM_MODE=MF2C)');
      }
      const service = body.service;
      if (!supportedExecTypes.includes(service.exec_type)) {
        throw notImplemented(
          `exec_type "${service.exec_type}" is not supported by this LM yet; supported: ${supportedExecTypes.join(', ')}`,
        );
      }
      const uuid = instanceUuid(key ?? undefined);
      const composeProblem = await composeSubmitProblem(service, uuid, config);
      if (composeProblem !== null) throw badRequest(composeProblem);
      const placement = body.agents_list === undefined ? await placeStandalone(context.agents, service, uuid, config) : undefined;
      if (placement?.kind === 'not-enough') throw unavailable(placement.message);
      const input = workflowInput(body, service, uuid, config, placement);
      if (isContainerExecType(service.exec_type) && input.agents.some((agent) => agent.agent_ip === config.hostIp)) {
        const problem = await dockerProbe.problem();
        if (problem !== null) {
          throw unavailable(`the Docker engine at ${dockerProbe.socket} is not reachable (${problem}): start dockerd or fix DOCKER_SOCKET`);
        }
      }
      const { instance } = await gateway.start(input, key !== null);
      if (!query.wait) {
        res.json({
          error: false,
          message: `Service deployment operation is being processed [${instance.id}]...`,
          service_instance: instance,
        });
        return;
      }
      const { instance: settled, settled: done } = await reads.waitUntilSettled(input.uuid);
      res.status(done ? 200 : 202).json({
        error: false,
        message: done ? `Service deployed: the instance is ${settled.status}` : `Service deployment is still in progress [${settled.id}]`,
        service_instance: settled,
      });
    },
  );
}
