// Parsing and validation of the host's requests: one helper per field
// shape, each throwing the RpcError the host is answered with (bad_request
// for a malformed field, access_not_granted for a domain the user has not
// allowed). The handlers (handlers.js) are built from these.

import { RpcError } from './rpc.js';
import { CODE } from './protocol.js';
import { normalizeDomain } from './cookieindex.js';

/** badRequest builds the error a handler throws for a malformed field. */
export const badRequest = (message) => new RpcError(CODE.bad_request, message);

/**
 * notGranted is the error of a request for domains the user has not
 * allowed: `detail` lists them (space-separated), `connector` names who
 * asked when the host said.
 */
export const notGranted = (missing, connector) => new RpcError(CODE.access_not_granted,
  `${connector ? `connector ${connector}: ` : ''}access to ${missing.join(', ')} is not granted in this browser: allow it in the authbridge popup`,
  { detail: missing.join(' ') });

/** parseDomains returns `domains` when it is a non-empty array of domain names, else throws bad_request. */
export function parseDomains(domains) {
  if (!Array.isArray(domains) || domains.length === 0 || domains.some((d) => typeof d !== 'string' || normalizeDomain(d) === '')) {
    throw badRequest('domains must be a non-empty array of domain names');
  }
  return domains;
}

/** parseHttpURL returns `value` as a URL when it is an absolute http or https URL, else throws bad_request. */
export function parseHttpURL(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    throw badRequest('url must be an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('url must be http or https');
  return url;
}

/** optional returns msg[field] when it is absent or of type `type` ('string', 'boolean'), else throws bad_request. */
export function optional(msg, field, type) {
  const v = msg[field];
  if (v !== undefined && typeof v !== type) throw badRequest(`${field} must be a ${type}`);
  return v;
}

/** parseLimit returns `limit` (def when absent) when it is a whole number from 1 to max, else throws bad_request. */
export function parseLimit(limit, def, max) {
  const n = limit === undefined ? def : limit;
  if (!Number.isInteger(n) || n < 1 || n > max) throw badRequest(`limit must be a whole number from 1 to ${max}`);
  return n;
}

/**
 * requireGranted throws access_not_granted when the browser's grants do not
 * cover every one of domains; msg.connector (when a string) names who asked.
 */
export function requireGranted(grants, domains, msg) {
  const missing = grants.missing(domains);
  if (missing.length > 0) throw notGranted(missing, typeof msg.connector === 'string' ? msg.connector : '');
}
