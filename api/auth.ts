/** Bearer-token guards (DESIGN §6): LM_API_TOKEN for clients, LM_INTERNAL_TOKEN for LM-to-LM calls. */
import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Access } from './route-builder';

function matches(header: string | undefined, token: string): boolean {
  const presented = Buffer.from(header?.replace(/^Bearer\s+/i, '') ?? '');
  const expected = Buffer.from(token);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

function bearer(token: string | null, variable: string): RequestHandler {
  if (token === null) return (_req, _res, next) => next();
  return (req, res, next) => {
    if (matches(req.headers.authorization, token)) {
      next();
      return;
    }
    res.status(401).json({ error: true, message: `missing or wrong token: send "Authorization: Bearer <${variable}>"` });
  };
}

export function authGuards(apiToken: string | null, internalToken: string | null): Record<Access, RequestHandler> {
  return {
    public: (_req, _res, next) => next(),
    client: bearer(apiToken, 'LM_API_TOKEN'),
    internal: bearer(internalToken, 'LM_INTERNAL_TOKEN'),
  };
}
