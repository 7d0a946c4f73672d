/** What lmctl accepts as an instance: the bare uuid, `service-instance/<uuid>`, or a unique prefix of the uuid. */
import { INSTANCE_STATUSES } from '../workflows/model/status';
import type { ServiceInstance } from '../workflows/model/instance';
import type { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface ListPage {
  service_instances: ServiceInstance[];
  next_page_token: string | null;
}

/** Every instance that matches the filter, page by page. */
export async function listInstances(api: ApiClient, filter: { status?: string; user?: string }): Promise<ServiceInstance[]> {
  const all: ServiceInstance[] = [];
  let token: string | null = null;
  do {
    const page: ListPage = await api.get<ListPage>('/api/v2/lm/service-instances/all', {
      page_size: 1000,
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.user ? { user: filter.user } : {}),
      ...(token ? { page_token: token } : {}),
    });
    all.push(...page.service_instances);
    token = page.next_page_token;
  } while (token);
  return all;
}

export const ALL_STATUSES = INSTANCE_STATUSES.join(',');

export function uuidOfId(id: string): string {
  return id.replace(/^service-instances?\//, '');
}

export async function resolveInstanceId(api: ApiClient, given: string): Promise<string> {
  const bare = uuidOfId(given.trim()).toLowerCase();
  if (UUID.test(bare)) return bare;
  if (!/^[0-9a-f-]{1,36}$/.test(bare)) {
    throw new CliError(
      `"${given}" is not an instance id: give its uuid, service-instance/<uuid>, or the first characters of the uuid`,
      EXIT.invalid,
    );
  }
  const matches = (await listInstances(api, { status: ALL_STATUSES })).map((i) => uuidOfId(i.id)).filter((uuid) => uuid.startsWith(bare));
  const unique = [...new Set(matches)];
  if (unique.length === 1) return unique[0];
  if (unique.length === 0) throw new CliError(`no service instance id starts with "${bare}" (lmctl ps --all lists them)`, EXIT.notFound);
  throw new CliError(
    `"${bare}" names ${unique.length} instances (${unique.slice(0, 5).join(', ')}${unique.length > 5 ? ', …' : ''}): give more characters`,
    EXIT.invalid,
  );
}
