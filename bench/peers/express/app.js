// app.js - the Express application: Menhir's ping and documents list, its JSON 404 and 500.
import express from 'express';

import { authenticate } from './auth.js';
import { listDocuments } from './documents.js';
import { requestId, sendError } from './errors.js';

export function createApp(config, pool, revocations) {
  const app = express();
  app.disable('x-powered-by');
  // Menhir's list sends no ETag: hashing every body would be work Menhir does not do.
  app.set('etag', false);
  // The list reads the raw query itself (URLSearchParams), in order, as Menhir does.
  app.set('query parser', false);

  app.use(requestId);
  app.get('/api/v1/ping', (req, res) => res.json({ data: { status: 'ok' } }));
  app.get('/api/v1/documents', authenticate(config, revocations, 'viewer'), listDocuments(config, pool));
  app.use((req, res) => sendError(req, res, 404, 'not_found', 'no such endpoint'));
  // eslint-disable-next-line no-unused-vars -- Express tells error handlers by their arity
  app.use((err, req, res, next) => {
    console.error(`express peer ${process.pid}: ${req.method} ${req.path}: ${err.stack || err}`);
    sendError(req, res, 500, 'internal_error', 'an internal error occurred');
  });
  return app;
}
