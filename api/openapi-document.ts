/** The OpenAPI 3 document, generated from the schemas the routes validate with; Swagger UI serves it. */
import { OpenApiGeneratorV3, type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import swaggerUi from 'swagger-ui-express';

export const LM_API_VERSION = '2.0.0';

export function openApiDocument(registry: OpenAPIRegistry): ReturnType<OpenApiGeneratorV3['generateDocument']> {
  registry.registerComponent('securitySchemes', 'clientToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'LM_API_TOKEN; only enforced when it is set',
  });
  registry.registerComponent('securitySchemes', 'internalToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'LM_INTERNAL_TOKEN, for LM-to-LM calls; only enforced when it is set',
  });
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'Lifecycle Management REST API',
      version: LM_API_VERSION,
      description:
        'API v2 of the mF2C Lifecycle Manager. Every service instance is a Temporal workflow; its steps are visible in the Temporal Web UI.',
    },
  });
}

/** JSON at `/api/v2/lm.json` and `GET /api/v2/lm`; Swagger UI at `/api/v2/lm.html`. */
export function mountApiDocs(router: Router, document: object): void {
  router.get(['/api/v2/lm.json', '/api/v2/lm'], (_req, res) => {
    res.json(document);
  });
  router.use('/api/v2/lm/ui', swaggerUi.serve, swaggerUi.setup(document));
  // Swagger UI loads its assets relative to its page, so it lives under a directory.
  router.get('/api/v2/lm.html', (_req, res) => res.redirect(302, '/api/v2/lm/ui/'));
}
