/**
 * A `fetch` that behaves like a browser page at `origin` calling another origin (the Fetch
 * standard's CORS protocol): every request carries `Origin`; a request that is not "simple" is
 * preceded by an `OPTIONS` preflight whose answer must allow the origin, the method and every
 * header; the answer must allow the origin; and the page sees only the CORS-safelisted response
 * headers plus those in `Access-Control-Expose-Headers`. A refusal throws a `TypeError`, as a
 * browser's fetch does. Every request (preflights included) is recorded in `log`.
 */

const SIMPLE_METHODS = new Set(['GET', 'HEAD', 'POST']);
const SIMPLE_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
const SAFELISTED_REQUEST = new Set(['accept', 'accept-language', 'content-language', 'content-type']);
const SAFELISTED_RESPONSE = new Set(['cache-control', 'content-language', 'content-length', 'content-type', 'expires', 'last-modified', 'pragma']);

const list = (v) => (v ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);

/** @param {string} origin  the page's origin, e.g. https://playground.ai.cloudflare.com */
export function corsFetch(origin) {
  const log = [];
  const allows = (res) => {
    const acao = res.headers.get('access-control-allow-origin');
    return acao === '*' || acao === origin;
  };
  async function browserFetch(input, init = {}) {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.origin === origin) throw new Error('corsFetch is for cross-origin requests only');
    const headers = new Headers(req.headers);
    headers.delete('origin');
    const names = [...headers.keys()].map((k) => k.toLowerCase());
    const contentType = (headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    const unsafe = names.filter((n) => !SAFELISTED_REQUEST.has(n) || (n === 'content-type' && !SIMPLE_CONTENT_TYPES.has(contentType))).sort();
    if (!SIMPLE_METHODS.has(req.method) || unsafe.length > 0) {
      const pre = await fetch(url, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': req.method, ...(unsafe.length ? { 'access-control-request-headers': unsafe.join(',') } : {}) },
      });
      await pre.arrayBuffer();
      log.push({ method: 'OPTIONS', path: url.pathname, status: pre.status, for: req.method });
      const methods = list(pre.headers.get('access-control-allow-methods'));
      const allowed = list(pre.headers.get('access-control-allow-headers'));
      const ok = pre.status >= 200 && pre.status < 300 && allows(pre)
        && (SIMPLE_METHODS.has(req.method) || methods.includes(req.method.toLowerCase()) || methods.includes('*'))
        && unsafe.every((h) => allowed.includes(h) || (allowed.includes('*') && h !== 'authorization'));
      if (!ok) throw new TypeError(`CORS preflight for ${req.method} ${url.pathname} from ${origin} refused (status ${pre.status})`);
    }
    headers.set('origin', origin);
    const body = req.body ? await req.arrayBuffer() : undefined;
    const res = await fetch(url, { method: req.method, headers, body, signal: init.signal });
    log.push({ method: req.method, path: url.pathname, status: res.status });
    if (!allows(res)) {
      await res.body?.cancel();
      throw new TypeError(`CORS: ${req.method} ${url.pathname} from ${origin} answered ${res.status} without Access-Control-Allow-Origin`);
    }
    const exposed = new Set(list(res.headers.get('access-control-expose-headers')));
    const visible = new Headers();
    for (const [k, v] of res.headers) if (SAFELISTED_RESPONSE.has(k) || exposed.has(k) || exposed.has('*')) visible.append(k, v);
    const nullBody = [101, 204, 205, 304].includes(res.status);
    return new Response(nullBody ? null : res.body, { status: res.status, statusText: res.statusText, headers: visible });
  }
  return { fetch: browserFetch, log };
}
