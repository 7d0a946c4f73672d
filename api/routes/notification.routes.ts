/**
 * `POST /api/v2/lm`: notifications from the mF2C peers (spec/original-lm.md §11): `qos_enforcement` from the
 * Service Manager, `um_warning` from User Management, `sla_notification`. Each becomes a signal to the
 * instance(s) concerned, whose reaction is documented in workflows/mf2c/notification-reactions.ts.
 * Deviation (DESIGN §6): a missing `type` or `data` is 400, not 406.
 */
import { z } from 'zod';
import { toPythonLiteral } from '../../common/python-literal';
import { NOTIFICATION_TYPES, type NotificationType } from '../../workflows/messages';
import { instanceIdOf, uuidOf } from '../../workflows/model/instance';
import { badRequest, notImplemented } from '../api-error';
import type { ApiContext } from '../api-context';
import type { PeerClients } from '../peer-clients';
import { notificationKey } from '../notification-key';
import type { RouteBuilder } from '../route-builder';
import { okEnvelope } from '../schemas/envelope.schema';
import { uuidParam } from './instance-paths';

const MISSING = `parameter not found: type / data; send {"type": "${NOTIFICATION_TYPES.join('" | "')}", "data": {…}}`;

const NotificationBody = z
  .looseObject({
    type: z.string({ error: MISSING }).meta({ example: 'qos_enforcement' }),
    data: z.record(z.string(), z.unknown(), { error: MISSING }).meta({ example: { service_instance_id: 'service-instance/2f6d…', num_agents: 2 } }),
  })
  .meta({ id: 'Notification' });

const QosData = z.looseObject({
  service_instance_id: z.string({ error: 'parameter num_agents / service_instance_id not found in qos notification' }).min(1),
  num_agents: z
    .int({ error: 'parameter num_agents / service_instance_id not found in qos notification (num_agents is an integer)' })
    .min(1, 'num_agents must be at least 1')
    .max(1000, 'num_agents must be at most 1000'),
});

const UmWarningData = z.looseObject({
  user_id: z.string({ error: 'um_warning data needs user_id: whose instances to act on' }).min(1),
});

const NotificationResponse = okEnvelope('NotificationResponse', {
  notification: z.string().optional().meta({ description: 'The data, as a Python literal (like the original)' }),
  warning: z.string().optional(),
  service_instances: z.array(z.string()).optional().meta({ description: 'um_warning: the instances told to react' }),
});

function parseOr400<T extends z.ZodType>(schema: T, data: unknown): z.output<T> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw badRequest(parsed.error.issues.map((issue) => issue.message).join('; '));
  return parsed.data;
}

/** This agent's IP as mF2C knows it (CIMI `agent.device_ip`), else HOST_IP: um_warning concerns agents here. */
async function myIp(context: ApiContext & { peers: PeerClients }): Promise<string> {
  try {
    return (await context.peers.cimi?.agentInfo())?.deviceIp || context.config.hostIp;
  } catch {
    return context.config.hostIp;
  }
}

export function notificationRoutes(routes: RouteBuilder, context: ApiContext & { peers: PeerClients }): void {
  const { gateway } = context;

  async function qosEnforcement(data: Record<string, unknown>) {
    const qos = parseOr400(QosData, data);
    const uuid = uuidParam(uuidOf(qos.service_instance_id));
    const key = notificationKey('qos_enforcement', qos);
    const repr = toPythonLiteral(data);
    const merged = (await gateway.notificationsInFlight(uuid)).includes(key);
    // Sent either way: the instance merges a duplicate itself, and records that it did.
    await gateway.notify(uuid, { type: 'qos_enforcement', key, data: { ...qos } });
    if (merged) {
      return { error: false, message: `QoS Notification was not processed: an identical notification is being processed for service-instance/${uuid}`, notification: repr };
    }
    return { error: false, message: 'QoS Notification is being processed...', notification: repr };
  }

  async function umWarning(data: Record<string, unknown>) {
    const warning = parseOr400(UmWarningData, data);
    const agentIp = await myIp(context);
    const told: string[] = [];
    let token: string | null = null;
    do {
      const page = await gateway.list({ statuses: ['started', 'degraded'], user: warning.user_id }, 1000, token);
      for (const instance of page.instances.filter((i) => i.agents.some((agent) => agent.url === agentIp))) {
        const signalled = { ...data, agent_ip: agentIp };
        await gateway.notify(uuidOf(instance.id), { type: 'um_warning', key: notificationKey('um_warning', signalled), data: signalled });
        told.push(instance.id);
      }
      token = page.nextPageToken;
    } while (token !== null);
    return { error: false, message: 'UM Warning is being processed...', warning: toPythonLiteral(data), service_instances: told };
  }

  async function slaNotification(data: Record<string, unknown>) {
    const id = typeof data.service_instance_id === 'string' ? data.service_instance_id : null;
    const told: string[] = [];
    if (id !== null) {
      const uuid = uuidParam(uuidOf(id));
      await gateway.notify(uuid, { type: 'sla_notification', key: notificationKey('sla_notification', data), data });
      told.push(instanceIdOf(uuid));
    }
    return { error: false, message: 'SLA Notification has been processed', notification: toPythonLiteral(data), service_instances: told };
  }

  const handlers: Record<NotificationType, (data: Record<string, unknown>) => Promise<object>> = {
    qos_enforcement: qosEnforcement,
    um_warning: umWarning,
    sla_notification: slaNotification,
  };

  routes.add(
    {
      method: 'post',
      paths: ['/api/v2/lm'],
      summary: 'Notify the LM: qos_enforcement (rescale an instance), um_warning (stop a user\'s instances on this agent), sla_notification (recorded)',
      description:
        '`qos_enforcement` data: `service_instance_id`, `num_agents`: the instance is rescaled to `num_agents` agents ' +
        '(new ones from the Recommender; surplus ones removed, never the master). `um_warning` data: `user_id`, `result` ' +
        "with the violated limits: that user's instances stop their agents on this agent (not restarted automatically). " +
        '`sla_notification`: recorded on the named instance\'s timeline (`service_instance_id`), no lifecycle change. ' +
        'An identical notification sent while one is being handled is merged into it.',
      tag: 'notifications',
      access: 'client',
      body: NotificationBody,
      responses: {
        200: { description: 'Accepted (the reaction runs in the instance workflow)', schema: NotificationResponse },
        400: { description: 'type or data missing, or data without what the type needs' },
        404: { description: 'The named instance does not exist or is terminated' },
        501: { description: 'Unknown type' },
      },
    },
    async ({ body }, res) => {
      const type = body.type as NotificationType;
      if (!NOTIFICATION_TYPES.includes(type)) {
        throw notImplemented(`type not defined / implemented: "${body.type}"; use ${NOTIFICATION_TYPES.join(', ')}`);
      }
      res.json(await handlers[type](body.data));
    },
  );
}
