/**
 * The validation rules of the Kubernetes API server that a Deployment or Service from the LM can break
 * (apimachinery's name and label rules, apps/v1 and core/v1 validation), with the server's own wording, so
 * a client sees the same 422 `causes` as from a real cluster.
 */
import type { StatusCause } from './kubernetes-status';
import { isRecord, type JsonObject } from './json-values';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_1123_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const LABEL_1035_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function invalidValue(field: string, value: unknown, why: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${why}`, field };
}

function required(field: string): StatusCause {
  return { reason: 'FieldValueRequired', message: 'Required value', field };
}

function notSupported(field: string, value: unknown, supported: string[]): StatusCause {
  return {
    reason: 'FieldValueNotSupported',
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((v) => `"${v}"`).join(', ')}`,
    field,
  };
}

function duplicate(field: string, value: unknown): StatusCause {
  return { reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(value)}`, field };
}

export function validateName(name: unknown, rule: 'subdomain' | 'dns1035'): StatusCause[] {
  if (typeof name !== 'string' || name === '') return [required('metadata.name')];
  if (rule === 'subdomain' && (name.length > 253 || !DNS1123_SUBDOMAIN.test(name))) {
    return [invalidValue('metadata.name', name, SUBDOMAIN_MESSAGE)];
  }
  if (rule === 'dns1035' && (name.length > 63 || !DNS1035_LABEL.test(name))) {
    return [invalidValue('metadata.name', name, LABEL_1035_MESSAGE)];
  }
  return [];
}

export function validateLabels(labels: unknown, field: string): StatusCause[] {
  if (labels === undefined) return [];
  if (!isRecord(labels)) return [invalidValue(field, labels, 'must be a map of strings')];
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const name = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key;
    if (name.length > 63 || !QUALIFIED_NAME.test(name))
      causes.push(invalidValue(field, key, 'name part must consist of alphanumeric characters'));
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      causes.push(invalidValue(`${field}`, value, LABEL_VALUE_MESSAGE));
    }
  }
  return causes;
}

function validatePort(port: unknown, field: string): StatusCause[] {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    return [invalidValue(field, port, 'must be between 1 and 65535, inclusive')];
  }
  return [];
}

function validatePortName(name: unknown, field: string): StatusCause[] {
  if (name === undefined) return [];
  if (typeof name !== 'string' || name.length > 15 || !IANA_SVC_NAME.test(name) || !/[a-z]/.test(name) || name.includes('--')) {
    return [
      invalidValue(
        field,
        name,
        'must be no more than 15 characters, contain only lowercase alphanumerics or "-", and contain at least one letter',
      ),
    ];
  }
  return [];
}

function validateContainers(containers: unknown, field: string): StatusCause[] {
  if (!Array.isArray(containers) || containers.length === 0) return [required(field)];
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  containers.forEach((container: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isRecord(container)) return void causes.push(invalidValue(at, container, 'must be an object'));
    const { name, image, imagePullPolicy, ports } = container;
    if (typeof name !== 'string' || name === '') causes.push(required(`${at}.name`));
    else if (name.length > 63 || !DNS1123_LABEL.test(name)) causes.push(invalidValue(`${at}.name`, name, LABEL_1123_MESSAGE));
    else if (names.has(name)) causes.push(duplicate(`${at}.name`, name));
    else names.add(name);
    if (typeof image !== 'string' || image.trim() === '') causes.push(required(`${at}.image`));
    if (imagePullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(String(imagePullPolicy))) {
      causes.push(notSupported(`${at}.imagePullPolicy`, imagePullPolicy, ['Always', 'IfNotPresent', 'Never']));
    }
    if (ports !== undefined && !Array.isArray(ports)) causes.push(invalidValue(`${at}.ports`, ports, 'must be a list'));
    const portNames = new Set<string>();
    (Array.isArray(ports) ? ports : []).forEach((port: unknown, j) => {
      const portAt = `${at}.ports[${j}]`;
      if (!isRecord(port)) return void causes.push(invalidValue(portAt, port, 'must be an object'));
      causes.push(...validatePort(port.containerPort, `${portAt}.containerPort`), ...validatePortName(port.name, `${portAt}.name`));
      if (typeof port.name === 'string') {
        if (portNames.has(port.name)) causes.push(duplicate(`${portAt}.name`, port.name));
        portNames.add(port.name);
      }
    });
  });
  return causes;
}

function matchesSelector(selector: JsonObject, labels: unknown): boolean {
  if (!isRecord(labels)) return false;
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

export function validateDeployment(deployment: JsonObject): StatusCause[] {
  const metadata = isRecord(deployment.metadata) ? deployment.metadata : {};
  const causes = [...validateName(metadata.name, 'subdomain'), ...validateLabels(metadata.labels, 'metadata.labels')];
  const spec = deployment.spec;
  if (!isRecord(spec)) return [...causes, required('spec')];
  const { replicas, selector, template } = spec;
  if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
    causes.push(invalidValue('spec.replicas', replicas, 'must be greater than or equal to 0'));
  }
  const matchLabels = isRecord(selector) && isRecord(selector.matchLabels) ? selector.matchLabels : null;
  if (matchLabels === null || Object.keys(matchLabels).length === 0) causes.push(required('spec.selector'));
  const templateMeta = isRecord(template) && isRecord(template.metadata) ? template.metadata : {};
  causes.push(...validateLabels(templateMeta.labels, 'spec.template.metadata.labels'));
  if (matchLabels !== null && !matchesSelector(matchLabels, templateMeta.labels)) {
    causes.push(invalidValue('spec.template.metadata.labels', templateMeta.labels ?? {}, '`selector` does not match template `labels`'));
  }
  const podSpec = isRecord(template) && isRecord(template.spec) ? template.spec : {};
  causes.push(...validateContainers(podSpec.containers, 'spec.template.spec.containers'));
  return causes;
}

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];

export function validateService(service: JsonObject): StatusCause[] {
  const metadata = isRecord(service.metadata) ? service.metadata : {};
  const causes = [...validateName(metadata.name, 'dns1035'), ...validateLabels(metadata.labels, 'metadata.labels')];
  const spec = isRecord(service.spec) ? service.spec : {};
  const type = spec.type ?? 'ClusterIP';
  if (!SERVICE_TYPES.includes(String(type))) causes.push(notSupported('spec.type', type, SERVICE_TYPES));
  const headless = spec.clusterIP === 'None';
  if (headless && type !== 'ClusterIP')
    causes.push(invalidValue('spec.clusterIPs[0]', 'None', "may not be set to 'None' for NodePort services"));
  causes.push(...validateLabels(spec.selector, 'spec.selector'));
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  if (ports.length === 0 && !headless && type !== 'ExternalName') causes.push(required('spec.ports'));
  const seen = new Set<string>();
  ports.forEach((port: unknown, i) => {
    const at = `spec.ports[${i}]`;
    if (!isRecord(port)) return void causes.push(invalidValue(at, port, 'must be an object'));
    if (ports.length > 1 && (typeof port.name !== 'string' || port.name === '')) causes.push(required(`${at}.name`));
    causes.push(...validatePortName(port.name, `${at}.name`), ...validatePort(port.port, `${at}.port`));
    const protocol = port.protocol ?? 'TCP';
    if (!PROTOCOLS.includes(String(protocol))) causes.push(notSupported(`${at}.protocol`, protocol, PROTOCOLS));
    const key = `${String(port.port)}/${String(protocol)}`;
    if (seen.has(key)) causes.push(duplicate(at, { port: port.port, protocol }));
    seen.add(key);
    if (port.nodePort !== undefined) {
      if (type !== 'NodePort' && type !== 'LoadBalancer')
        causes.push(invalidValue(`${at}.nodePort`, port.nodePort, "may not be used when `type` is 'ClusterIP'"));
      else if (typeof port.nodePort !== 'number' || port.nodePort < 30000 || port.nodePort > 32767) {
        causes.push(
          invalidValue(`${at}.nodePort`, port.nodePort, 'provided port is not in the valid range. The range of valid ports is 30000-32767'),
        );
      }
    }
  });
  return causes;
}
