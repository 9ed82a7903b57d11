// Request parameters as Go's http.Request.Form holds them: an application/x-www-form-urlencoded body
// (POST/PUT) first, then the URL's query string, with repeated keys (`match[]`) kept in order.
import type { FastifyInstance, FastifyRequest } from 'fastify';

const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Lets POST/PUT bodies in form encoding through as text; a no-op when the context already has a parser. */
export function registerFormParser(app: FastifyInstance): void {
  if (app.hasContentTypeParser(FORM_TYPE)) return;
  app.addContentTypeParser(FORM_TYPE, { parseAs: 'string' }, (_req, body, done) => done(null, body));
}

/** The form values of a request: body parameters before query parameters, as r.ParseForm merges them. */
export function formValues(req: FastifyRequest): URLSearchParams {
  const out = new URLSearchParams();
  const body = req.body;
  if (typeof body === 'string' && body !== '') {
    for (const [k, v] of new URLSearchParams(body)) out.append(k, v);
  } else if (typeof body === 'object' && body !== null && !Buffer.isBuffer(body)) {
    // Another route's parser may already have decoded the form into an object.
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      for (const one of Array.isArray(v) ? v : [v]) if (typeof one === 'string') out.append(k, one);
    }
  }
  const q = req.url.indexOf('?');
  if (q >= 0) for (const [k, v] of new URLSearchParams(req.url.slice(q + 1))) out.append(k, v);
  return out;
}

/** Only the URL's query parameters (Go's r.URL.Query()). */
export function queryValues(req: FastifyRequest): URLSearchParams {
  const q = req.url.indexOf('?');
  return new URLSearchParams(q >= 0 ? req.url.slice(q + 1) : '');
}
