/**
 * `Status` objects as the Kubernetes API server answers them (meta/v1 Status): the fake Kubernetes API answers
 * errors with these, so a client reads the same `code`, `reason` and `message` as from a real cluster.
 */

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
}

export interface KubernetesStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  /** Absent on success, as the API server sends it. */
  code?: number;
}

/** The reason the API server puts on each status code. */
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** A resource as the API server names it in messages: `deployments.apps`, or `services` for the core group. */
export interface ResourceName {
  plural: string;
  group: string;
  kind: string;
}

export function qualified(resource: ResourceName): string {
  return resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`;
}

export function failureStatus(code: number, message: string, reason?: string, details?: StatusDetails): KubernetesStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: reason ?? REASONS[code] ?? 'Unknown',
    ...(details ? { details } : {}),
    code,
  };
}

export function notFound(resource: ResourceName, name: string): KubernetesStatus {
  return failureStatus(404, `${qualified(resource)} "${name}" not found`, 'NotFound', {
    name,
    group: resource.group,
    kind: resource.plural,
  });
}

export function namespaceNotFound(namespace: string): KubernetesStatus {
  return failureStatus(404, `namespaces "${namespace}" not found`, 'NotFound', { name: namespace, kind: 'namespaces' });
}

export function alreadyExists(resource: ResourceName, name: string): KubernetesStatus {
  return failureStatus(409, `${qualified(resource)} "${name}" already exists`, 'AlreadyExists', {
    name,
    group: resource.group,
    kind: resource.plural,
  });
}

export function conflict(resource: ResourceName, name: string): KubernetesStatus {
  return failureStatus(
    409,
    `Operation cannot be fulfilled on ${qualified(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    'Conflict',
    { name, group: resource.group, kind: resource.plural },
  );
}

/** 422 with one line per invalid field, as `Deployment.apps "x" is invalid: [a, b]`. */
export function invalid(resource: ResourceName, name: string, causes: StatusCause[]): KubernetesStatus {
  const lines = causes.map((cause) => `${cause.field}: ${cause.message}`);
  const summary = lines.length === 1 ? lines[0] : `[${lines.join(', ')}]`;
  const kind = resource.group === '' ? resource.kind : `${resource.kind}.${resource.group}`;
  return failureStatus(422, `${kind} "${name}" is invalid: ${summary}`, 'Invalid', {
    name,
    group: resource.group,
    kind: resource.kind,
    causes,
  });
}

export function forbidden(resource: ResourceName, verb: string, namespace: string): KubernetesStatus {
  const group = resource.group === '' ? '""' : `"${resource.group}"`;
  return failureStatus(
    403,
    `${qualified(resource)} is forbidden: User "system:anonymous" cannot ${verb} resource "${resource.plural}" in API group ${group} in the namespace "${namespace}"`,
    'Forbidden',
    { group: resource.group, kind: resource.plural },
  );
}

export function successStatus(resource: ResourceName, name: string, uid: string): KubernetesStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, group: resource.group, kind: resource.plural, uid },
  };
}
