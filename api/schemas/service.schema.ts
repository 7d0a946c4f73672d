/** The service of a submit request (spec/original-lm.md §4.1), validated before anything starts. */
import { z } from 'zod';
import { SPACE } from './document-patterns';
import {
  AGENT_TYPES,
  EXEC_TYPE_ALIASES,
  EXEC_TYPES,
  NUM_AGENTS_UNSPECIFIED,
  type ExecType,
  type Service,
} from '../../workflows/model/service';

/** Docker's reference grammar, simplified: [registry[:port]/]path[:tag][@digest]. */
const IMAGE_REFERENCE =
  /^(?:[a-zA-Z0-9][a-zA-Z0-9.-]*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** A compose file's URL: what `exec` is for the compose exec types. */
const COMPOSE_URL = new RegExp(`^https?://[^${SPACE}]+$`);
const URL_EXEC_TYPES: readonly ExecType[] = ['docker-compose', 'docker-compose-swarm'];
const ACCEPTED_EXEC_TYPES = [...EXEC_TYPES, ...Object.keys(EXEC_TYPE_ALIASES)];
const takesUrl = (execType: string): boolean => URL_EXEC_TYPES.includes(EXEC_TYPE_ALIASES[execType] ?? (execType as ExecType));

/** The rule of `superRefine` below, as the OpenAPI document states it: which `exec` goes with which `exec_type`. */
const EXEC_RULE = {
  anyOf: [
    { properties: { exec_type: { enum: ACCEPTED_EXEC_TYPES.filter((t) => !takesUrl(t)) }, exec: { pattern: IMAGE_REFERENCE.source } } },
    { properties: { exec_type: { enum: ACCEPTED_EXEC_TYPES.filter(takesUrl) }, exec: { pattern: COMPOSE_URL.source } } },
  ],
};

const ExecTypeSchema = z
  .string({ error: `service.exec_type is required: one of ${ACCEPTED_EXEC_TYPES.join(', ')}` })
  .transform((value, ctx): ExecType => {
    const execType = EXEC_TYPE_ALIASES[value] ?? value;
    if ((EXEC_TYPES as readonly string[]).includes(execType)) return execType as ExecType;
    ctx.addIssue({ code: 'custom', message: `unknown exec_type "${value}": use one of ${ACCEPTED_EXEC_TYPES.join(', ')}` });
    return z.NEVER;
  })
  .meta({ description: 'How the service runs; `K8s` is accepted for `kubernetes`', example: 'docker', enum: ACCEPTED_EXEC_TYPES });

const PortSchema = z.int({ error: 'ports are integers' }).min(1, 'ports are 1..65535').max(65535, 'ports are 1..65535');

/** The image name a service gets when it has no `name`: its repository's last path segment. */
function nameFromExec(exec: string): string {
  const path = exec.split('@')[0].replace(/:[^/]*$/, '');
  return path.split('/').pop() || 'service';
}

/** The service schema; `missing` is the message when there is none, `id` its name in the OpenAPI document. */
export const serviceSchema = (missing: string, id: string) =>
  z
    .looseObject(
      {
        id: z.string().min(1).optional().meta({ example: 'service/nginx-1' }),
        name: z.string().min(1).max(200).optional().meta({ description: 'Defaults to the image name', example: 'nginx' }),
        description: z.string().optional(),
        exec: z
          .string({ error: 'service.exec is required: the image (docker, compss, docker-swarm, kubernetes) or the URL of a compose file' })
          .min(1, 'service.exec must not be empty')
          .max(2048)
          .meta({ example: 'nginx:1.27' }),
        exec_type: ExecTypeSchema,
        exec_ports: z
          .array(PortSchema)
          .max(64)
          .default([])
          .meta({ example: [80] }),
        category: z.int().min(0).max(15).default(0).meta({ description: 'Selects the Recommender sort order (0–15)' }),
        num_agents: z
          .int()
          .min(0)
          .max(1000)
          .default(0)
          .meta({ description: '0 or absent: not specified (one agent for docker, every listed agent for compss)' }),
        agent_type: z.enum(AGENT_TYPES).default('normal'),
      },
      { error: (issue) => (issue.input === undefined ? missing : undefined) },
    )
    .superRefine((service, ctx) => {
      if (URL_EXEC_TYPES.includes(service.exec_type)) {
        if (!COMPOSE_URL.test(service.exec)) {
          ctx.addIssue({
            code: 'custom',
            path: ['exec'],
            message: `exec_type ${service.exec_type} needs "exec" to be the http(s) URL of a compose file (got "${service.exec}")`,
          });
        }
      } else if (!IMAGE_REFERENCE.test(service.exec)) {
        ctx.addIssue({
          code: 'custom',
          path: ['exec'],
          message: `"${service.exec}" is not a valid image reference: use [registry/]name[:tag], lowercase, e.g. nginx:1.27`,
        });
      }
    })
    .transform((service): Service => ({
      ...(service.id === undefined ? {} : { id: service.id }),
      name: service.name ?? nameFromExec(service.exec),
      ...(service.description === undefined ? {} : { description: service.description }),
      exec: service.exec,
      exec_type: service.exec_type,
      exec_ports: service.exec_ports,
      category: service.category,
      num_agents: service.num_agents === 0 ? NUM_AGENTS_UNSPECIFIED : service.num_agents,
      agent_type: service.agent_type,
    }))
    .meta({ id, description: 'A service definition; other CIMI fields are accepted and ignored', ...EXEC_RULE });

export const ServiceSchema = serviceSchema('parameter not found: service', 'Service');
