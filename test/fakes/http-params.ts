/** Typed access to request parameters (express 5 types path params as `string | string[]`). */
import type { Request } from 'express';

export function pathParam(req: Request, name: string): string {
  const value: unknown = req.params[name];
  if (Array.isArray(value)) return value.join('/');
  return typeof value === 'string' ? value : '';
}

/** The URL-decoded query string, read from the raw URL so repeated parameters are all kept. */
export function queryParams(req: Request): URLSearchParams {
  const index = req.originalUrl.indexOf('?');
  return new URLSearchParams(index >= 0 ? req.originalUrl.slice(index + 1) : '');
}
