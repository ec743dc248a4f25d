/**
 * A headless "browser" for OAuth flows over plain HTTP: a cookie jar that honours Path, Secure,
 * HttpOnly, Max-Age and the `__Host-` prefix rules, manual redirect following, and HTML form
 * submission. It lets a test walk authorize → consent → upstream login → callback exactly as a user
 * agent would, without a real browser (the Chromium test covers the real one).
 */

export class Browser {
  constructor() {
    /** @type {Map<string, Map<string, {value: string, path: string, expires: number}>>} host → name → cookie */
    this.jar = new Map();
    this.history = [];
  }

  cookieHeader(url) {
    const u = new URL(url);
    const cookies = this.jar.get(u.host);
    if (!cookies) return '';
    const now = Date.now();
    const out = [];
    for (const [name, c] of cookies) {
      if (c.expires <= now) {
        cookies.delete(name);
        continue;
      }
      if (u.pathname.startsWith(c.path)) out.push(`${name}=${c.value}`);
    }
    return out.join('; ');
  }

  /** Stores the response's Set-Cookie headers for the response's host. */
  store(url, response) {
    const u = new URL(url);
    const list = response.headers.getSetCookie?.() ?? [];
    for (const line of list) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = Object.fromEntries(
        attrs.map((a) => {
          const i = a.indexOf('=');
          return i < 0 ? [a.toLowerCase(), true] : [a.slice(0, i).toLowerCase(), a.slice(i + 1)];
        }),
      );
      if (name.startsWith('__Host-') && (!attr.secure || attr.path !== '/' || attr.domain)) {
        throw new Error(`invalid __Host- cookie from ${u.host}: ${line}`);
      }
      let expires = Infinity;
      if (attr['max-age'] !== undefined) expires = Date.now() + Number(attr['max-age']) * 1000;
      else if (attr.expires) expires = Date.parse(attr.expires);
      if (!this.jar.has(u.host)) this.jar.set(u.host, new Map());
      const jar = this.jar.get(u.host);
      if (expires <= Date.now()) jar.delete(name);
      else jar.set(name, { value, path: typeof attr.path === 'string' ? attr.path : '/', expires, raw: line });
    }
  }

  cookies(url) {
    return this.jar.get(new URL(url).host) ?? new Map();
  }

  /** One request without following redirects; cookies are sent and stored. */
  async request(url, init = {}) {
    const headers = new Headers(init.headers ?? {});
    const cookie = this.cookieHeader(url);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(url, res);
    this.history.push({ url, status: res.status, location: res.headers.get('location') });
    return res;
  }

  /**
   * Follows redirects from `url` until a non-redirect answer, or until `stopAt(url)` is true for the
   * next location (e.g. the client's redirect URI, which no server here answers).
   */
  async follow(url, { init, stopAt = () => false, max = 20 } = {}) {
    let res = await this.request(url, init);
    let current = url;
    for (let i = 0; i < max; i++) {
      if (![301, 302, 303, 307, 308].includes(res.status)) return { url: current, res };
      const next = new URL(res.headers.get('location'), current).toString();
      if (stopAt(next)) return { url: current, res, location: next };
      current = next;
      res = await this.request(current);
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Submits the form in `html` (the first one, or the one whose action matches), pressing `button`. */
  async submit(pageUrl, html, { fields = {}, button, formAction, stopAt } = {}) {
    const form = findForm(html, formAction);
    if (!form) throw new Error(`no form on ${pageUrl}:\n${html.slice(0, 500)}`);
    const body = new URLSearchParams(form.inputs);
    for (const [k, v] of Object.entries(fields)) body.set(k, v);
    if (button) {
      const b = form.buttons.find((x) => x.value === button || x.name === button || x.text === button);
      if (!b) throw new Error(`no button ${button} in form: ${JSON.stringify(form.buttons)}`);
      if (b.name) body.set(b.name, b.value ?? '');
    }
    const action = new URL(form.action || pageUrl, pageUrl).toString();
    return this.follow(action, {
      init: {
        method: (form.method || 'GET').toUpperCase(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(pageUrl).origin },
        body: body.toString(),
      },
      stopAt,
    });
  }
}

const decode = (s) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

const attrOf = (tag, name) => {
  const m = tag.match(new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i'));
  return m ? decode(m[2] ?? m[3] ?? m[4] ?? '') : undefined;
};

/** Extracts a form's action, method, named inputs and buttons with a tolerant tag scan. */
export function findForm(html, actionIncludes) {
  const forms = [...html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/gi)].map((m) => m[0]);
  const chosen = actionIncludes ? forms.find((f) => (attrOf(f.match(/<form\b[^>]*>/i)[0], 'action') ?? '').includes(actionIncludes)) : forms[0];
  if (!chosen) return undefined;
  const open = chosen.match(/<form\b[^>]*>/i)[0];
  const inputs = [];
  for (const m of chosen.matchAll(/<input\b[^>]*>/gi)) {
    const name = attrOf(m[0], 'name');
    const type = (attrOf(m[0], 'type') ?? 'text').toLowerCase();
    if (!name || type === 'submit' || type === 'button') continue;
    if ((type === 'checkbox' || type === 'radio') && !/\schecked\b/i.test(m[0])) continue;
    inputs.push([name, attrOf(m[0], 'value') ?? '']);
  }
  const buttons = [...chosen.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)].map((m) => ({
    name: attrOf(m[0], 'name'),
    value: attrOf(m[0], 'value'),
    text: m[2].replace(/<[^>]+>/g, '').trim(),
  }));
  for (const m of chosen.matchAll(/<input\b[^>]*type\s*=\s*["']?submit[^>]*>/gi)) {
    buttons.push({ name: attrOf(m[0], 'name'), value: attrOf(m[0], 'value'), text: attrOf(m[0], 'value') });
  }
  return { action: attrOf(open, 'action'), method: attrOf(open, 'method'), inputs, buttons };
}
