// errors.js - Menhir's error envelope, {"error","message","details"?,"request_id"}, with the
// same codes and messages, so a client cannot tell the two servers apart by their errors.
import { randomBytes } from 'node:crypto';

// nginx passes its $request_id (as it passes REQUEST_ID to Menhir); run alone, make one.
export function requestId(req, res, next) {
  req.id = req.get('x-request-id') || randomBytes(16).toString('hex');
  res.set({ 'X-Request-Id': req.id, 'Cache-Control': 'no-store' });
  next();
}

export function sendError(req, res, status, code, message, details) {
  const body = { error: code, message };
  if (details && details.length > 0) body.details = details;
  body.request_id = req.id;
  res.status(status).json(body);
}

export function sendUnavailable(req, res, retryAfter, what) {
  res.set('Retry-After', retryAfter);
  sendError(req, res, 503, 'service_unavailable', `${what} is unavailable; retry later`);
}
