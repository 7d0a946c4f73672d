/**
 * What `lmctl run` submits: a YAML or JSON file holding a service (as in the API's `service` field) or a whole
 * submit body (`service`, `agents_list`, `sla_template`, `expires_in` …), or a one-liner's `--image`/`--port`.
 */
import fs from 'node:fs';
import { parse } from 'yaml';
import { CliError, EXIT } from './exit-codes';

export type SubmitBody = Record<string, unknown> & { service?: Record<string, unknown> };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function readSubmitFile(file: string): SubmitBody {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EXIT.invalid);
  }
  let document: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both.
    document = parse(text);
  } catch (err) {
    throw new CliError(`${file} is neither YAML nor JSON: ${err instanceof Error ? err.message : String(err)}`, EXIT.invalid);
  }
  if (!isObject(document))
    throw new CliError(`${file} must hold an object: a service ({name, exec, exec_type, …}) or a submit body ({service: …})`, EXIT.invalid);
  return isObject(document.service) || typeof document.service_id === 'string' ? document : { service: document };
}

export interface OneLiner {
  image: string;
  name?: string;
  port: string[];
  execType: string;
}

export function oneLinerBody(options: OneLiner): SubmitBody {
  const ports = options.port.map((p) => {
    const port = Number(p);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError(`--port ${p} is not a port (1..65535)`, EXIT.invalid);
    return port;
  });
  return {
    service: { ...(options.name ? { name: options.name } : {}), exec: options.image, exec_type: options.execType, exec_ports: ports },
  };
}

/** `--agent` adds to (or makes) the body's agents_list. */
export function withAgents(body: SubmitBody, agents: string[]): SubmitBody {
  if (agents.length === 0) return body;
  return { ...body, agents_list: agents.map((agent_ip) => ({ agent_ip })) };
}
