/**
 * Every service-instance document the API answers with carries `ui_url`: the instance's workflow on the Temporal
 * Web UI, where its lifecycle is inspected step by step. It is added on the way out rather than kept in the
 * workflow's state, because the UI's address is this LM's configuration (LM_TEMPORAL_UI_URL), not the
 * instance's, and may change while the instance lives. One hook for every route that answers with instances.
 */
import type { RequestHandler } from 'express';
import { INSTANCE_ID_PREFIX } from '../workflows/model/instance';

/** The workflow's page: the UI shows its latest run. Namespace and workflow id are path segments, so encoded. */
export function workflowUiUrl(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function withUiUrl(instance: unknown, link: (id: string) => string): unknown {
  if (!isObject(instance) || typeof instance.id !== 'string' || !instance.id.startsWith(INSTANCE_ID_PREFIX)) return instance;
  return { ...instance, ui_url: link(instance.id) };
}

/** Adds `ui_url` to the `service_instance` and `service_instances` of JSON answers. */
export function instanceUiLinks(temporal: { uiUrl: string; namespace: string }): RequestHandler {
  const link = (id: string) => workflowUiUrl(temporal.uiUrl, temporal.namespace, id);
  return (_req, res, next) => {
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      if (!isObject(body)) return send(body);
      const linked: Json = { ...body };
      if ('service_instance' in body) linked.service_instance = withUiUrl(body.service_instance, link);
      if (Array.isArray(body.service_instances)) linked.service_instances = body.service_instances.map((i: unknown) => withUiUrl(i, link));
      return send(linked);
    };
    next();
  };
}
