/**
 * The web UI (ui/, built by `vite build` to dist/ui) served by the same fastify app as the API. Files are
 * registered one by one (wildcard: false) so no catch-all route exists: an unknown /api path still reaches the
 * API's not-found handler and its JSON problem, never index.html. Other unknown GETs that look like a page
 * get index.html (the SPA fallback; the client router reads the path).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** dist/ui of this package, found from this module whether it runs from src/ (tests) or dist/src/. */
export function defaultUiRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) {
      const root = join(dir, 'dist', 'ui');
      return existsSync(join(root, 'index.html')) ? root : null;
    }
    dir = dirname(dir);
  }
  return null;
}

export async function registerUiStatic(app: FastifyInstance, root: string): Promise<void> {
  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    index: ['index.html'],
    // Hashed file names under assets/ never change content; index.html must be re-read after an upgrade.
    setHeaders: (res, path) => {
      res.setHeader(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
}

/** Whether an unmatched request should get the UI's index.html: a GET for a page, never under /api/. */
export function wantsSpa(req: FastifyRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = req.url.split('?')[0];
  if (path === '/api' || path.startsWith('/api/') || path === '/metrics') return false;
  // A missing file with an extension (a stale asset) is a plain 404, not a page.
  return !/\.[a-z0-9]+$/i.test(path.slice(path.lastIndexOf('/')));
}

export function sendSpa(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-cache').type('text/html').sendFile('index.html');
}
