import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, AppServices } from '../context.ts';
import { renderDocsPage } from '../docs.ts';
import { HealthSchema } from '../schemas.ts';

export const OPENAPI_INFO = {
  title: 'facecast',
  description:
    'Speech to a talking avatar: create an avatar from a photo, then render it speaking an audio file or a text as an MP4.',
};

const health = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['system'],
  summary: 'Liveness: the server answers and its job queue is open',
  responses: {
    200: { description: 'Healthy', content: { 'application/json': { schema: HealthSchema } } },
  },
});

export function mountSystemRoutes(
  app: OpenAPIHono<AppEnv>,
  services: AppServices,
  version: string,
): void {
  app.openapi(health, (c) => {
    const { waiting, running } = services.jobs.stats();
    return c.json(
      {
        status: 'ok' as const,
        version,
        uptimeMs: Math.round(services.metrics.uptimeMs),
        jobs: { waiting, running },
      },
      200,
    );
  });

  app.get('/metrics', (c) =>
    c.body(services.metrics.render(), 200, { 'Content-Type': services.metrics.contentType }),
  );

  const document = () =>
    app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: { ...OPENAPI_INFO, version },
      security: [{ apiKey: [] }],
    });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'Required only when the server is started with API keys (FACECAST_API_KEYS).',
  });
  app.get('/openapi.json', (c) => c.json(document()));
  app.get('/docs', (c) => c.html(renderDocsPage(document() as unknown as Record<string, unknown>)));
}
