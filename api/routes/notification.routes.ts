/**
 * `POST /api/v2/lm`: notifications from the mF2C peers (spec/original-lm.md §11): `qos_enforcement` from the
 * Service Manager, `um_warning` from User Management, `sla_notification`. Each becomes a signal to the
 * instance(s) concerned, whose reaction is documented in workflows/mf2c/notification-reactions.ts.
 * Deviation (DESIGN §6): a missing `type` or `data` is 400, not 406.
 */
import { z } from 'zod';
import { toPythonLiteral } from '../../common/python-literal';
import { NOTIFICATION_TYPES, type NotificationType } from '../../workflows/messages';
import { INSTANCE_ID_PREFIX, instanceIdOf, uuidOf } from '../../workflows/model/instance';
import { ApiError, badRequest, notImplemented } from '../api-error';
import type { ApiContext } from '../api-context';
import { ClientLimit, forEachBounded } from '../client-limits';
import type { PeerClients } from '../peer-clients';
import { notificationKey } from '../notification-key';
import type { RouteBuilder } from '../route-builder';
import { UUID_SOURCE } from '../schemas/document-patterns';
import { okEnvelope } from '../schemas/envelope.schema';
import { uuidParam } from './instance-paths';

/** Signals one um_warning sends at once. */
const FAN_OUT_CONCURRENCY = 8;
const RETRY_AFTER_S = 5;

const MISSING = `parameter not found: type / data; send {"type": "${NOTIFICATION_TYPES.join('" | "')}", "data": {…}}`;

/** An instance as notifications name it: `service-instance/<uuid>` or the bare <uuid>. */
const INSTANCE_ID = new RegExp(`^(?:${INSTANCE_ID_PREFIX})?${UUID_SOURCE}$`);
const NOT_AN_INSTANCE = 'service_instance_id must be service-instance/<uuid>';

const QosData = z.looseObject({
  service_instance_id: z
    .string({ error: 'parameter num_agents / service_instance_id not found in qos notification' })
    .regex(INSTANCE_ID, NOT_AN_INSTANCE),
  num_agents: z
    .int({ error: 'parameter num_agents / service_instance_id not found in qos notification (num_agents is an integer)' })
    .min(1, 'num_agents must be at least 1')
    .max(1000, 'num_agents must be at most 1000'),
});

const UmWarningData = z.looseObject({
  user_id: z.string({ error: 'um_warning data needs user_id: whose instances to act on' }).min(1),
});

/** sla_notification: any data; a `service_instance_id` that is text names the instance whose timeline records it. */
const SlaData = z.looseObject({
  service_instance_id: z
    .union([
      z.string().regex(INSTANCE_ID, NOT_AN_INSTANCE),
      z
        .unknown()
        .refine((value) => typeof value !== 'string')
        .meta({ not: { type: 'string' } }),
    ])
    .optional(),
});

const DATA_OF_TYPE = { qos_enforcement: QosData, um_warning: UmWarningData, sla_notification: SlaData } satisfies Record<
  NotificationType,
  z.ZodType
>;

/** What each type needs of `data`, checked by its handler, as the OpenAPI document states it. */
const DATA_RULE = {
  anyOf: [
    ...NOTIFICATION_TYPES.map((type) => ({
      properties: {
        type: { enum: [type] },
        data: z.toJSONSchema(DATA_OF_TYPE[type], { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }),
      },
    })),
    { properties: { type: { not: { enum: [...NOTIFICATION_TYPES] } } } },
  ],
};

const NotificationBody = z
  .looseObject({
    type: z
      .string({ error: MISSING })
      .meta({ example: 'qos_enforcement', description: `${NOTIFICATION_TYPES.join(', ')}; any other is a 501` }),
    data: z
      .record(z.string(), z.unknown(), { error: MISSING })
      .meta({ example: { service_instance_id: 'service-instance/2f6d0a1e-5c8b-4d53-9b8e-1f1d1c0e4a77', num_agents: 2 } }),
  })
  .meta({ id: 'Notification', ...DATA_RULE });

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
  const { gateway, reads } = context;
  const inFlight = new ClientLimit(
    'notifications',
    'LM_MAX_NOTIFICATIONS_PER_CLIENT',
    context.config.limits.notificationsPerClient,
    RETRY_AFTER_S,
  );

  async function qosEnforcement(data: Record<string, unknown>) {
    const qos = parseOr400(QosData, data);
    const uuid = uuidParam(uuidOf(qos.service_instance_id));
    const key = notificationKey('qos_enforcement', qos);
    const repr = toPythonLiteral(data);
    const merged = (await gateway.notificationsInFlight(uuid)).includes(key);
    // Sent either way: the instance merges a duplicate itself, and records that it did.
    await gateway.notify(uuid, { type: 'qos_enforcement', key, data: { ...qos } });
    if (merged) {
      return {
        error: false,
        message: `QoS Notification was not processed: an identical notification is being processed for service-instance/${uuid}`,
        notification: repr,
      };
    }
    return { error: false, message: 'QoS Notification is being processed...', notification: repr };
  }

  async function umWarning(data: Record<string, unknown>) {
    const warning = parseOr400(UmWarningData, data);
    const agentIp = await myIp(context);
    const told: string[] = [];
    let token: string | null = null;
    const signalled = { ...data, agent_ip: agentIp };
    const key = notificationKey('um_warning', signalled);
    do {
      const page = await reads.list({ statuses: ['started', 'degraded'], user: warning.user_id }, 1000, token);
      const here = page.instances.filter((i) => i.agents.some((agent) => agent.url === agentIp));
      const sent = await forEachBounded(here, FAN_OUT_CONCURRENCY, (instance) =>
        gateway.notify(uuidOf(instance.id), { type: 'um_warning', key, data: signalled }),
      );
      // An instance that ended since the listing has nothing to stop; any other failure fails the request.
      sent.forEach((outcome, i) => {
        if (outcome.status === 'fulfilled') told.push(here[i].id);
        else if (!(outcome.reason instanceof ApiError && outcome.reason.status === 404)) throw outcome.reason;
      });
      token = page.nextPageToken;
    } while (token !== null);
    return { error: false, message: 'UM Warning is being processed...', warning: toPythonLiteral(data), service_instances: told };
  }

  async function slaNotification(data: Record<string, unknown>) {
    const sla = parseOr400(SlaData, data);
    const id = typeof sla.service_instance_id === 'string' ? sla.service_instance_id : null;
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
      summary:
        "Notify the LM: qos_enforcement (rescale an instance), um_warning (stop a user's instances on this agent), sla_notification (recorded)",
      description:
        '`qos_enforcement` data: `service_instance_id`, `num_agents`: the instance is rescaled to `num_agents` agents ' +
        '(new ones from the Recommender; surplus ones removed, never the master). `um_warning` data: `user_id`, `result` ' +
        "with the violated limits: that user's instances stop their agents on this agent (not restarted automatically). " +
        "`sla_notification`: recorded on the named instance's timeline (`service_instance_id`), no lifecycle change. " +
        'An identical notification sent while one is being handled is merged into it.',
      tag: 'notifications',
      access: 'client',
      body: NotificationBody,
      responses: {
        200: { description: 'Accepted (the reaction runs in the instance workflow)', schema: NotificationResponse },
        400: { description: 'type or data missing, or data without what the type needs' },
        404: { description: 'The named instance does not exist or is terminated' },
        429: {
          description:
            'This client already has LM_MAX_NOTIFICATIONS_PER_CLIENT notifications being handled (Retry-After says when to try again)',
        },
        501: { description: 'Unknown type' },
      },
    },
    async ({ body, req }, res) => {
      const type = body.type as NotificationType;
      if (!NOTIFICATION_TYPES.includes(type)) {
        throw notImplemented(`type not defined / implemented: "${body.type}"; use ${NOTIFICATION_TYPES.join(', ')}`);
      }
      res.json(await inFlight.run(req, () => handlers[type](body.data)));
    },
  );
}
