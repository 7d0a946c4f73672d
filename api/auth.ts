/**
 * Bearer-token guards (DESIGN §6). With LM_API_TOKEN set no endpoint is open: client endpoints need it, and
 * LM-to-LM endpoints need LM_INTERNAL_TOKEN, or the API token when no internal token is set (config.auth
 * already resolves that). Without any token the API is open, as the original was. Compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Access } from './route-builder';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Digests have one length whatever was sent, so neither the comparison nor its length check leaks the token. */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(presented), digest(token)) && presented.length > 0;
}

function bearer(token: string | null, variable: string): RequestHandler {
  if (token === null) return (_req, _res, next) => next();
  return (req, res, next) => {
    if (tokenMatches(req.headers.authorization, token)) {
      next();
      return;
    }
    res.status(401).json({ error: true, message: `missing or wrong token: send "Authorization: Bearer <${variable}>"` });
  };
}

export interface Guards {
  handlers: Record<Access, RequestHandler>;
  /** Whether a token is enforced for this access: the OpenAPI document declares a 401 only where it can happen. */
  enforced: Record<Exclude<Access, 'public'>, boolean>;
}

export function authGuards(auth: { apiToken: string | null; internalToken: string | null; internalFromApiToken: boolean }): Guards {
  return {
    handlers: {
      client: bearer(auth.apiToken, 'LM_API_TOKEN'),
      internal: bearer(auth.internalToken, auth.internalFromApiToken ? 'LM_API_TOKEN (no LM_INTERNAL_TOKEN is set)' : 'LM_INTERNAL_TOKEN'),
      public: bearer(null, ''),
    },
    enforced: { client: auth.apiToken !== null, internal: auth.internalToken !== null },
  };
}
