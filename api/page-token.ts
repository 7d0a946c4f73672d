/**
 * The `page_token` of `GET …/all`, opaque to clients, in two kinds. A read-model listing's token is a keyset
 * position: where the last page ended, the count made with the first page (a filter is counted once, not at every
 * page) and a fingerprint of its filter. A visibility listing's (`consistent=true`) is Temporal's token prefixed
 * with a checksum of it and of the listing's query. A token the listing did not give (made up, truncated, of the
 * other kind, or from another filter) is then a clear 400 before any store is asked, instead of whatever the store
 * makes of it (a retry loop until the deadline, with Temporal's SQLite visibility). Not a secret: it tells a
 * mistake from a token, it does not authenticate.
 */
import { createHash } from 'node:crypto';
import type { InstanceFilter, ListPosition } from '../common/read-model/read-model-store';
import { badRequest } from './api-error';

const CHECK_BYTES = 8;

export const BAD_PAGE_TOKEN =
  'page_token is not a next_page_token this listing gave (with these filters), or it has expired: leave it out to start again from the first page';

const checksum = (query: string, token: Uint8Array): Buffer =>
  createHash('sha256').update(query).update('\n').update(token).digest().subarray(0, CHECK_BYTES);

export function encodePageToken(query: string, token: Uint8Array): string {
  return Buffer.concat([checksum(query, token), token]).toString('base64url');
}

/** Temporal's token, or null when `text` is not a token this listing gave for `query`. */
export function decodePageToken(query: string, text: string): Uint8Array | null {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length <= CHECK_BYTES || bytes.toString('base64url') !== text) return null;
  const token = bytes.subarray(CHECK_BYTES);
  return checksum(query, token).equals(bytes.subarray(0, CHECK_BYTES)) ? token : null;
}

interface KeysetBody extends ListPosition {
  /** The count of the first page. */
  count: number;
  filter: string;
}

function fingerprint(filter: InstanceFilter): string {
  const canonical = JSON.stringify([[...filter.statuses].sort(), filter.user ?? null, filter.service ?? null, filter.execType ?? null]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 12);
}

export function encodeKeysetToken(filter: InstanceFilter, after: ListPosition, count: number): string {
  const body: KeysetBody = { ...after, count, filter: fingerprint(filter) };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** Where the next page of a read-model listing starts, and the first page's count; a 400 for any other token. */
export function decodeKeysetToken(token: string, filter: InstanceFilter): { after: ListPosition; count: number } {
  let body: Partial<KeysetBody>;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<KeysetBody>;
  } catch {
    throw badRequest(BAD_PAGE_TOKEN);
  }
  if (
    typeof body !== 'object' ||
    body === null ||
    typeof body.created !== 'string' ||
    typeof body.uuid !== 'string' ||
    typeof body.count !== 'number' ||
    typeof body.filter !== 'string'
  ) {
    throw badRequest(BAD_PAGE_TOKEN);
  }
  if (body.filter !== fingerprint(filter)) {
    throw badRequest(
      'page_token belongs to a listing with another filter: send the status, user, service and exec_type of its first page, or leave page_token out to start again',
    );
  }
  return { after: { created: body.created, uuid: body.uuid }, count: body.count };
}
