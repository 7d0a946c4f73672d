/** Short-hands for the API calls tests make again and again. */
import type { AxiosInstance, AxiosResponse } from 'axios';
import { uuidOf, type ServiceInstance, type TimelineEntry } from '../../workflows/model/instance';
import { eventually } from './eventually';
import { BUSYBOX_IMAGE } from './test-images';

export interface SubmitOptions {
  name?: string;
  image?: string;
  ports?: number[];
  agents?: string[];
  wait?: boolean;
  extra?: Record<string, unknown>;
}

export function dockerService(options: SubmitOptions = {}): Record<string, unknown> {
  return {
    name: options.name ?? 'web',
    exec: options.image ?? BUSYBOX_IMAGE,
    exec_type: 'docker',
    exec_ports: options.ports ?? [],
  };
}

export async function submit(
  api: AxiosInstance,
  options: SubmitOptions = {},
): Promise<{ uuid: string; instance: ServiceInstance; response: AxiosResponse }> {
  const body = {
    service: dockerService(options),
    ...(options.agents ? { agents_list: options.agents.map((agent_ip) => ({ agent_ip })) } : {}),
    ...options.extra,
  };
  const response = await api.post(`/api/v2/lm/service${options.wait === false ? '' : '?wait=true'}`, body);
  if (response.status >= 300) throw new Error(`submit failed: ${response.status} ${JSON.stringify(response.data)}`);
  const instance = response.data.service_instance as ServiceInstance;
  return { uuid: uuidOf(instance.id), instance, response };
}

export async function operate(api: AxiosInstance, uuid: string, operation: string, wait = true): Promise<AxiosResponse> {
  return api.put(`/api/v2/lm/service-instances/${uuid}${wait ? '?wait=true' : ''}`, { operation });
}

export async function getInstance(api: AxiosInstance, uuid: string): Promise<ServiceInstance> {
  const response = await api.get(`/api/v2/lm/service-instances/${uuid}`);
  if (response.status !== 200) throw new Error(`GET ${uuid}: ${response.status} ${JSON.stringify(response.data)}`);
  return response.data.service_instance as ServiceInstance;
}

/** Resolves once the instance reads `terminated` (polled every 250 ms). */
export async function untilTerminated(api: AxiosInstance, uuid: string, timeoutMs = 60_000): Promise<void> {
  await eventually(
    `${uuid} terminated`,
    async () => ((await getInstance(api, uuid)).status === 'terminated' ? true : undefined),
    timeoutMs,
    250,
  );
}

/** The instance's whole timeline, as the API answers it. */
export async function getTimeline(api: AxiosInstance, uuid: string): Promise<TimelineEntry[]> {
  const response = await api.get(`/api/v2/lm/service-instances/${uuid}/timeline`);
  if (response.status !== 200) throw new Error(`GET ${uuid}/timeline: ${response.status} ${JSON.stringify(response.data)}`);
  return response.data.timeline as TimelineEntry[];
}

/** A start-job body (`PUT …/<uuid>/der`) for the COMPSs test agent, with the given `<params>` XML. */
export function startJobBody(parameters = '<params paramId="0"></params>'): Record<string, unknown> {
  return {
    operation: 'start-job',
    ceiClass: 'es.bsc.compss.agent.test.TestItf',
    className: 'es.bsc.compss.agent.test.Test',
    hasResult: false,
    methodName: 'main',
    parameters,
  };
}
