/**
 * Idempotency-Key: one key is one request. Keys are scoped per operation (a `stop` and a `start` sent with the
 * same key are two requests), and within an operation a key reused with another method, path or body is a 422
 * naming the key rather than a silent replay of the first request's effect.
 *
 * The digest of the first request is kept in Temporal itself, so every API process sees it: a record workflow
 * `idempotency-key/<operation>/<sha256(key)>` whose memo holds the digest. Its id is the store (a second start
 * with the id fails, closed or not, for as long as the namespace retains closed workflows); it never runs — no
 * worker polls its task queue — and is terminated at once. The operation itself is then sent with update id
 * `<operation>:<key>`, which Temporal deduplicates.
 */
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Request } from 'express';
import { ApiError, badRequest } from './api-error';

export type IdempotentOperation = 'submit' | 'start' | 'stop' | 'restart' | 'terminate' | 'start-job';

const RECORD_TYPE = 'idempotencyKeyRecord';
/** Polled by nobody: a record is only its id and memo. */
const RECORD_TASK_QUEUE = 'lm-idempotency-records';
const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;
const DEADLINE_MS = 10_000;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** JSON with sorted keys: the same body in another key order is the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Both spellings of the instance paths and any case of the uuid name one resource. */
function canonicalPath(path: string): string {
  return path.replace('/service-instance/', '/service-instances/').replace(/\/+$/, '').toLowerCase();
}

export function requestDigest(req: Pick<Request, 'method' | 'path' | 'body'>): string {
  return sha256(`${req.method.toUpperCase()} ${canonicalPath(req.path)}\n${canonical(req.body)}`);
}

export class IdempotencyKeys {
  constructor(private readonly client: Client) {}

  /**
   * Null without a key; else the key, once this request is known to be the key's first or a repeat of it.
   * Throws 400 for a key that cannot be one, 422 for a key already used by another request.
   */
  async admit(req: Request, operation: IdempotentOperation): Promise<string | null> {
    const key = req.header('Idempotency-Key');
    if (key === undefined) return null;
    if (!KEY_PATTERN.test(key)) throw badRequest('Idempotency-Key must be 1 to 200 printable ASCII characters without spaces');
    const digest = requestDigest(req);
    const workflowId = `idempotency-key/${operation}/${sha256(key)}`;
    const request = `${req.method.toUpperCase()} ${req.path}`;
    await this.client.withDeadline(Date.now() + DEADLINE_MS, async () => {
      try {
        const handle = await this.client.workflow.start(RECORD_TYPE, {
          workflowId,
          taskQueue: RECORD_TASK_QUEUE,
          args: [],
          memo: { digest, request },
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          workflowExecutionTimeout: '1 minute',
          staticSummary: `Idempotency-Key record of ${operation} (${request})`,
        });
        await handle.terminate('an Idempotency-Key record: only its id and memo matter').catch(() => undefined);
        return;
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      const first = await this.recorded(workflowId);
      if (first !== null && first.digest !== digest) {
        throw new ApiError(
          422,
          `Idempotency-Key "${key}" was already used for another ${operation} request (${first.request}, with another body): ` +
            'a key names one request; send this one with a new key',
        );
      }
    });
    return key;
  }

  private async recorded(workflowId: string): Promise<{ digest: string; request: string } | null> {
    try {
      const memo = (await this.client.workflow.getHandle(workflowId).describe()).memo ?? {};
      return typeof memo.digest === 'string' ? { digest: memo.digest, request: String(memo.request ?? 'an earlier request') } : null;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }
}

/** The update id of an operation sent with `key`: scoped, so one key never names two operations. */
export function scopedUpdateId(operation: IdempotentOperation, key: string | null): string | undefined {
  return key === null ? undefined : `${operation}:${key}`;
}
