/** Sends a fake's answer: strings as text/plain (peers that answer text), anything else as JSON. */
import type { Response } from 'express';

export function sendPayload(res: Response, status: number, payload: unknown): void {
  res.status(status);
  if (status === 204 || status === 304) res.end();
  else if (typeof payload === 'string') res.type('text/plain').send(payload);
  else res.json(payload);
}
