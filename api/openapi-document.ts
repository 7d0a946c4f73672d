/** The OpenAPI 3 document, generated from the schemas the routes validate with; Swagger UI serves it. */
import { OpenApiGeneratorV3, type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { z } from 'zod';
import type { RouteBuilder } from './route-builder';

const OpenApiSchema = z
  .looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.looseObject({}) })
  .meta({ id: 'OpenApiDocument' });

export const LM_API_VERSION = '2.0.0';

export function openApiDocument(registry: OpenAPIRegistry): ReturnType<OpenApiGeneratorV3['generateDocument']> {
  registry.registerComponent('securitySchemes', 'clientToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'LM_API_TOKEN: with it set, every endpoint but this description needs it',
  });
  registry.registerComponent('securitySchemes', 'internalToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'LM-to-LM calls: LM_INTERNAL_TOKEN, or LM_API_TOKEN when no internal token is set',
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

/**
 * JSON at `/api/v2/lm.json` and `GET /api/v2/lm`; Swagger UI at `/api/v2/lm.html`. Readable without a token:
 * it is the same for every LM of this version, holds no instance, configuration or secret, and is where a user
 * enters the token (Swagger UI's Authorize) to try the API. Mounted after every other route: the document it
 * serves describes them all, itself included.
 */
export function mountApiDocs(routes: RouteBuilder, router: Router): void {
  let document: object = {};
  // Both paths are documented: an OPTIONS or a 405 on `/api/v2/lm` lists GET, which the document must then say.
  for (const [path, summary] of [
    ['/api/v2/lm.json', 'This OpenAPI document'],
    ['/api/v2/lm', "This OpenAPI document, at the original's path"],
  ]) {
    routes.add(
      {
        method: 'get',
        paths: [path],
        summary,
        tag: 'status',
        access: 'public',
        responses: { 200: { description: 'The OpenAPI 3.0 document of this LM', schema: OpenApiSchema } },
      },
      async (_input, res) => {
        res.json(document);
      },
    );
  }
  document = openApiDocument(routes.registry);
  router.use('/api/v2/lm/ui', swaggerUi.serve, swaggerUi.setup(document));
  // Swagger UI loads its assets relative to its page, so it lives under a directory.
  router.get('/api/v2/lm.html', (_req, res) => res.redirect(302, '/api/v2/lm/ui/'));
}
