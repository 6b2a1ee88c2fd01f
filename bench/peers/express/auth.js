// auth.js - the bearer access token, checked as Menhir's core/auth.c and core/jwt.c check it:
// RS256 with the key its kid names, iss, aud, exp/nbf/iat with 30 s of leeway, a lifetime no
// longer than Menhir's access_token_ttl, the claims Menhir issues, the revocation table (the
// token, its session, its user's minimum version), then its role against the route's minimum.
import jwt from 'jsonwebtoken';

import { sendError, sendUnavailable } from './errors.js';
import { REVOKED, VALID } from './revocation.js';

const LEEWAY = 30; // seconds, Menhir's TOKEN_LEEWAY_SECONDS
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const RANK = { viewer: 1, member: 2, admin: 3, owner: 4 };

// What jsonwebtoken leaves to the caller: exp, nbf and iat are required integers (it only
// checks them when present), iat not in the future, a bounded lifetime, and Menhir's own
// claims well-formed.
function claimsOk(c, now, maxTtl) {
  return Number.isInteger(c.exp) && Number.isInteger(c.nbf) && Number.isInteger(c.iat) &&
    c.iat <= now + LEEWAY && c.exp - c.iat <= maxTtl + LEEWAY && UUID.test(c.sub) &&
    UUID.test(c.tid) && UUID.test(c.jti) && UUID.test(c.sid) && Object.hasOwn(RANK, c.role) &&
    Number.isInteger(c.ver) && c.ver >= 0;
}

function invalidToken(req, res) {
  res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
  sendError(req, res, 401, 'invalid_token', 'the access token is invalid or expired');
}

// Middleware for a route open to minRole and above; req.principal holds the claims after it.
export function authenticate(config, revocations, minRole) {
  const options = {
    algorithms: ['RS256'],
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: LEEWAY,
  };
  // Synchronous despite the callback: the key is a KeyObject already in memory.
  const keyFor = (header, done) => done(null, config.keys.get(header.kid));

  return (req, res, next) => {
    const h = req.get('authorization');
    if (!h || h.slice(0, 7).toLowerCase() !== 'bearer ' || h.length === 7) {
      res.set('WWW-Authenticate', 'Bearer realm="menhir"');
      return sendError(req, res, 401, 'unauthenticated',
        'this endpoint needs an access token (Authorization: Bearer ...)');
    }
    jwt.verify(h.slice(7), keyFor, options, (err, claims) => {
      if (err || !claimsOk(claims, Math.floor(Date.now() / 1000), config.maxTtl)) return invalidToken(req, res);
      const state = revocations.check(claims.jti, claims.sid, claims.sub, claims.ver);
      if (state === REVOKED) return invalidToken(req, res);
      // Fail closed: without the revocation feed nobody can say the token is still good.
      if (state !== VALID) return sendUnavailable(req, res, config.retryAfter, 'the token revocation service');
      if (RANK[claims.role] < RANK[minRole]) {
        return sendError(req, res, 403, 'forbidden', 'your role in this tenant does not allow this');
      }
      req.principal = claims;
      next();
    });
  };
}
