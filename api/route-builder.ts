/**
 * Declares a route once: Express gets the handler with validated input, the OpenAPI registry gets the same
 * schemas, so the document cannot drift from the code.
 */
import { OpenAPIRegistry, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { badRequest } from './api-error';
import type { Guards } from './auth';
import { describeZodError } from './error-mapping';
import { ErrorSchema } from './schemas/envelope.schema';

type Method = 'get' | 'post' | 'put' | 'delete';
/** `public`: open whatever the tokens (the API's own description only). */
export type Access = 'client' | 'internal' | 'public';

export interface RouteSpec<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  method: Method;
  /** Express paths; the first one is documented. */
  paths: string[];
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  body?: B;
  query?: Q;
  params?: P;
  /** Status → description (and schema for success answers; JSON unless `contentType` says otherwise). */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

export interface ValidInput<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  body: z.output<B>;
  query: z.output<Q>;
  params: z.output<P>;
  req: Request;
}

export type Handler<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> = (
  input: ValidInput<B, Q, P>,
  res: Response,
) => Promise<void>;

const Empty = z.looseObject({});

const UNAUTHORIZED: Record<Exclude<Access, 'public'>, string> = {
  client: 'The Authorization header does not carry LM_API_TOKEN',
  internal: 'The Authorization header does not carry the internal token (LM_INTERNAL_TOKEN, or LM_API_TOKEN when that is unset)',
};
const SECURITY_SCHEME: Record<Exclude<Access, 'public'>, string> = { client: 'clientToken', internal: 'internalToken' };

/** Answers every route can give besides its own, when it takes that input (see `document`). */
const INVALID_INPUT = 'Invalid input: a path, query or body parameter breaks the rule the message names';
const BODY_TOO_LARGE = 'The request body is over 1 MiB';

function parse<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): z.output<T> {
  if (schema === undefined) return value as z.output<T>;
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(describeZodError(result.error, where));
  return result.data as z.output<T>;
}

function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_]+)/g, '{$1}');
}

export class RouteBuilder {
  readonly registry = new OpenAPIRegistry();
  /** Express path → the methods served there, for the answer to any other method. */
  private readonly methods = new Map<string, Set<string>>();

  constructor(
    private readonly router: Router,
    private readonly guards: Guards,
  ) {}

  add<B extends z.ZodType = typeof Empty, Q extends z.ZodType = typeof Empty, P extends z.ZodType = typeof Empty>(
    spec: RouteSpec<B, Q, P>,
    handler: Handler<B, Q, P>,
  ): void {
    const run: RequestHandler = async (req, res, next) => {
      try {
        // A JSON body that is not an object (`[]`, `"x"`, `null`) is as wrong as a missing one.
        const rawBody: unknown = req.body;
        if (spec.body && (typeof rawBody !== 'object' || rawBody === null || Array.isArray(rawBody))) {
          throw badRequest('request body must be a JSON object, sent with Content-Type: application/json');
        }
        const input = {
          body: parse(spec.body, rawBody, 'request body'),
          query: parse(spec.query, req.query, 'query parameters'),
          params: parse(spec.params, req.params, 'path'),
          req,
        };
        await handler(input, res);
      } catch (err) {
        next(err);
      }
    };
    for (const path of spec.paths) {
      this.router[spec.method](path, this.guards.handlers[spec.access], run);
      const served = this.methods.get(path) ?? new Set<string>();
      this.methods.set(path, served.add(spec.method.toUpperCase()));
    }
    this.document(spec);
  }

  /**
   * After the last route: a method a path does not serve is a 405 that lists, in `Allow`, those it does (HEAD
   * comes with GET); OPTIONS answers that list. No token is needed to learn which methods exist.
   */
  finish(): void {
    for (const [path, served] of this.methods) {
      const allow = [...served, ...(served.has('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
      this.router.all(path, (req, res) => {
        res.set('Allow', allow);
        if (req.method === 'OPTIONS') {
          res.status(204).end();
          return;
        }
        res.status(405).json({ error: true, message: `${req.method} is not allowed on ${req.path}: use ${allow}` });
      });
    }
  }

  private document<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType>(spec: RouteSpec<B, Q, P>): void {
    const responses: RouteConfig['responses'] = {};
    const access = spec.access;
    const enforced = access !== 'public' && this.guards.enforced[access];
    // What the builder itself answers: 400 for input its schemas refuse (or a body that is not JSON), 413 for a
    // body over the parser's limit, 401 where a token is enforced. A route's own description of them wins.
    const answers: RouteSpec<B, Q, P>['responses'] = {};
    if (spec.body || spec.query || spec.params) answers[400] = { description: INVALID_INPUT };
    if (spec.body) answers[413] = { description: BODY_TOO_LARGE };
    if (enforced) answers[401] = { description: UNAUTHORIZED[access] };
    Object.assign(answers, spec.responses);
    for (const [status, { description, schema, contentType }] of Object.entries(answers)) {
      const body = schema ?? (Number(status) >= 400 ? ErrorSchema : undefined);
      responses[status] = body ? { description, content: { [contentType ?? 'application/json']: { schema: body } } } : { description };
    }
    const request: RouteConfig['request'] = {};
    if (spec.body) request.body = { required: true, content: { 'application/json': { schema: spec.body } } };
    if (spec.query instanceof z.ZodObject) request.query = spec.query;
    if (spec.params instanceof z.ZodObject) request.params = spec.params;
    this.registry.registerPath({
      method: spec.method,
      path: openApiPath(spec.paths[0]),
      summary: spec.summary,
      description: [spec.description, spec.paths.length > 1 ? `Also served at: ${spec.paths.slice(1).join(', ')}` : '']
        .filter(Boolean)
        .join('\n\n'),
      tags: [spec.tag],
      security: enforced ? [{ [SECURITY_SCHEME[access]]: [] }] : [],
      request,
      responses,
    });
  }
}
