/**
 * Fake SLA Manager (SLALite, spec/mf2c-peers.md §1): agreements created from templates, then started,
 * stopped and terminated; nothing leaves `terminated`. Errors use SLALite's `{"code":"<status>","message"}`.
 */
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { type FakeServer, type FakeServerOptions, startFakeServer } from './fake-server';
import { pathParam } from './http-params';
import { clone, isRecord, type JsonObject } from './json-values';

export type AgreementState = 'started' | 'stopped' | 'terminated';

export interface FakeAgreement {
  /** `agreement/<uuid>`, as returned to the LM. */
  id: string;
  templateId: string;
  parameters: JsonObject;
  state: AgreementState;
  /** Every state change applied, oldest first. */
  history: AgreementState[];
}

export interface FakeSlaManagerOptions extends FakeServerOptions {
  /** Known template ids (with or without `sla-template/`). Default: any `sla-template/<x>` is known. */
  templates?: string[];
  /** Parameters every template needs (Go placeholders like `{{.user}}`); default ["user"]. */
  requiredParameters?: string[];
}

export interface FakeSlaManager extends FakeServer {
  /** State of an agreement, id with or without the `agreement/` prefix. */
  stateOf(agreementId: string): AgreementState | undefined;
  agreement(agreementId: string): FakeAgreement | undefined;
  agreements(): FakeAgreement[];
  addTemplate(templateId: string): void;
}

const OPERATIONS: Record<string, AgreementState> = { start: 'started', stop: 'stopped', terminate: 'terminated' };
/** SLALite's repository stores agreements by bare uuid and strips ids to their last path segment. */
const lastSegment = (id: string): string => id.split('/').pop() ?? id;
const slaError = (status: number, message: string): JsonObject => ({ code: String(status), message });

export async function startFakeSlaManager(options: FakeSlaManagerOptions = {}): Promise<FakeSlaManager> {
  const agreements = new Map<string, FakeAgreement>();
  const templates = options.templates === undefined ? undefined : new Set(options.templates.map(lastSegment));
  const requiredParameters = options.requiredParameters ?? ['user'];
  const isKnownTemplate = (id: string): boolean =>
    templates === undefined ? /^sla-template\/.+/.test(id) : templates.has(lastSegment(id));

  const router = express.Router();
  router.get('/', (_req: Request, res: Response) => {
    res.json({
      providers: { Method: 'GET', Path: '/providers', Help: 'Providers' },
      agreements: { Method: 'GET', Path: '/agreements', Help: 'Agreements' },
      templates: { Method: 'GET', Path: '/templates', Help: 'Templates' },
    });
  });

  const createFromTemplate = (req: Request, res: Response): void => {
    const body: unknown = req.body;
    if (!isRecord(body) || typeof body.template_id !== 'string') {
      return void res.status(400).json(slaError(400, 'template_id not found in request body'));
    }
    if (!isKnownTemplate(body.template_id)) return void res.status(404).json(slaError(404, "Can't find object"));
    const parameters = isRecord(body.parameters) ? body.parameters : {};
    const missing = requiredParameters.find((name) => !(name in parameters));
    if (missing !== undefined) {
      return void res.status(400).json(slaError(400, `template: agreement:1: map has no entry for key "${missing}"`));
    }
    const id = `agreement/${randomUUID()}`;
    agreements.set(lastSegment(id), { id, templateId: body.template_id, parameters: clone(parameters), state: 'stopped', history: [] });
    res.status(201).json({ template_id: body.template_id, agreement_id: id, parameters });
  };
  router.post('/mf2c/create-agreement', createFromTemplate);
  router.post('/create-agreement', createFromTemplate);

  const agreementJson = (a: FakeAgreement): JsonObject => ({
    id: lastSegment(a.id),
    name: lastSegment(a.id),
    state: a.state,
    details: {
      id: lastSegment(a.id),
      type: 'agreement',
      client: { id: String(a.parameters.user ?? ''), name: String(a.parameters.user ?? '') },
    },
  });
  router.get('/agreements', (_req: Request, res: Response) => {
    res.json([...agreements.values()].map(agreementJson));
  });
  router.get('/agreements/:id', (req: Request, res: Response) => {
    const found = agreements.get(pathParam(req, 'id'));
    if (!found) return void res.status(404).json(slaError(404, "Can't find object"));
    res.json(agreementJson(found));
  });

  router.put('/agreements/:id/:operation', (req: Request, res: Response) => {
    const target = OPERATIONS[pathParam(req, 'operation')];
    if (target === undefined) return void res.status(404).type('text/plain').send('404 page not found\n');
    const found = agreements.get(pathParam(req, 'id'));
    if (!found) return void res.status(404).json(slaError(404, "Can't find object"));
    if (found.state === 'terminated') {
      return void res
        .status(400)
        .json(slaError(400, `Not valid transition from terminated to ${target} for agreement ${lastSegment(found.id)}`));
    }
    found.state = target;
    found.history.push(target);
    res.status(204).end();
  });

  const server = await startFakeServer({ peer: 'sla-manager', routes: router, errorBody: slaError }, options);
  const lookup = (agreementId: string): FakeAgreement | undefined => agreements.get(lastSegment(agreementId));
  return {
    ...server,
    stateOf: (agreementId) => lookup(agreementId)?.state,
    agreement: (agreementId) => {
      const found = lookup(agreementId);
      return found === undefined ? undefined : clone(found);
    },
    agreements: () => [...agreements.values()].map(clone),
    addTemplate: (templateId) => {
      if (templates === undefined) throw new Error('fake SLA manager: every sla-template/... id is already known');
      templates.add(lastSegment(templateId));
    },
  };
}
