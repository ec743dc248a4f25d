/**
 * tests/support/idp.mjs — the local OpenID Provider that stands in for Cloudflare Access for SaaS.
 *
 * Owns: a real, standards-compliant OP built on `oidc-provider` v9 for the dev script and the
 * end-to-end tests. It speaks the subset of OIDC the MCP server relies on upstream:
 *   - discovery (`/.well-known/openid-configuration`), JWKS (`/jwks`), userinfo (`/userinfo`),
 *     authorization (`/authorization`), token (`/token`), revocation (`/token/revocation`),
 *     RP-initiated logout (`/session/end`) — the first four use Access for SaaS's path names;
 *   - authorization code flow with PKCE S256 required for every client, `state`, `nonce`;
 *   - scopes `openid email profile groups offline_access`; claims `sub email email_verified name
 *     groups` placed in the id_token itself (not only in userinfo);
 *   - client auth `client_secret_basic` / `client_secret_post` (v9 accepts either for a client
 *     registered with one of them);
 *   - refresh tokens on every code grant (like Access for SaaS with refresh tokens enabled), a
 *     working `refresh_token` grant, and invalid_grant after revocation or after the user's
 *     sessions are ended;
 *   - a plain server-rendered login form (any e-mail logs in, optional name and groups), consent
 *     auto-granted, a Cancel button that ends with `access_denied`;
 *   - test hooks: `autoLogin`, `allowLoginHint`, `endSessions(email)` and the loopback-only
 *     `POST /__idp/end-sessions` route.
 *
 * Signing keys (RSA 2048 for RS256 and EC P-256 for ES256) are generated in memory at start; no key
 * files exist. Both keys are published in the JWKS; `opts.alg` picks the id_token alg clients get by
 * default (a client entry may override it with `id_token_signed_response_alg`).
 *
 * Library:  const idp = await startIdp({ clients: [...] }); ... await idp.close();
 * CLI:      node tests/support/idp.mjs   (env: IDP_PORT, IDP_HOST, IDP_CLIENT_ID, IDP_CLIENT_SECRET,
 *           IDP_REDIRECT_URIS, IDP_ALG, IDP_AUTO_LOGIN_EMAIL, IDP_ALLOW_LOGIN_HINT)
 */

import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

import Provider, { errors as oidcErrors } from 'oidc-provider';

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/** HTML-escape a value for text and attribute contexts. */
function esc(value) {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Normalise an e-mail address the way the IdP keys its users. */
function normEmail(email) {
  return String(email ?? '').trim().toLowerCase();
}

/** A very forgiving e-mail check: something@something. */
function looksLikeEmail(email) {
  return /^[^\s@]+@[^\s@]+$/.test(email);
}

/** Stable subject identifier: a hash of the normalised e-mail (never changes for one address). */
export function subFor(email) {
  return createHash('sha256').update(`local-idp:${normEmail(email)}`).digest('hex').slice(0, 32);
}

/** Parse `groups` given as an array or a comma-separated string into a clean string array. */
function parseGroups(groups) {
  const list = Array.isArray(groups) ? groups : String(groups ?? '').split(',');
  return [...new Set(list.map((g) => String(g).trim()).filter(Boolean))];
}

/** Generate a private signing JWK for `alg` with node:crypto (no jose, no files). */
function generateSigningJwk(alg) {
  const { privateKey } = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    ...jwk, alg, use: 'sig', kid: `local-${alg.toLowerCase()}-${randomBytes(6).toString('hex')}`,
  };
}

/** Read a small urlencoded request body. */
async function readForm(req, limit = 64 * 1024) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendHtml(res, status, html) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    // form-action also governs the redirects after the POST: the login ends at the relying party's
    // callback (another origin), like Access for SaaS does.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'",
  });
  res.end(html);
}

function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function page(title, body) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }
  label { display: block; margin: .8rem 0 .2rem; } input { width: 100%; padding: .4rem; box-sizing: border-box; }
  .buttons { margin-top: 1.2rem; display: flex; gap: .5rem; } .error { color: #b00020; }
  .muted { color: #666; font-size: .9em; }
</style></head>
<body>${body}</body></html>`;
}

// ---------------------------------------------------------------------------------------------
// In-memory adapter. Written here (instead of oidc-provider's MemoryAdapter) because (a) the
// built-in one prints a "development-only" warning on every start, and (b) endSessions() needs to
// enumerate sessions and grants by account, which the LRU-based one cannot do.
// ---------------------------------------------------------------------------------------------

function createStore() {
  /** key `${model}:${id}` → { payload, expiresAt (ms epoch or Infinity) } */
  const map = new Map();

  const live = (key) => {
    const entry = map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      map.delete(key);
      return undefined;
    }
    return entry;
  };

  class Adapter {
    constructor(model) {
      this.model = model;
    }

    key(id) {
      return `${this.model}:${id}`;
    }

    async upsert(id, payload, expiresIn) {
      const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
      map.set(this.key(id), { model: this.model, payload, expiresAt });
    }

    async find(id) {
      return live(this.key(id))?.payload;
    }

    async findByUid(uid) {
      for (const [key, entry] of map) {
        if (entry.model === this.model && entry.payload.uid === uid && live(key)) return entry.payload;
      }
      return undefined;
    }

    async findByUserCode(userCode) {
      for (const [key, entry] of map) {
        if (entry.model === this.model && entry.payload.userCode === userCode && live(key)) return entry.payload;
      }
      return undefined;
    }

    async consume(id) {
      const entry = live(this.key(id));
      if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id) {
      map.delete(this.key(id));
    }

    async revokeByGrantId(grantId) {
      for (const [key, entry] of map) {
        if (entry.payload.grantId === grantId) map.delete(key);
      }
    }
  }

  /** All live payloads of one model. */
  function all(model) {
    const out = [];
    for (const [key, entry] of map) {
      if (entry.model === model && live(key)) out.push(entry.payload);
    }
    return out;
  }

  /** Drop everything tied to an account: sessions, grants and the grants' tokens. */
  function dropAccount(accountId) {
    let sessions = 0;
    let grants = 0;
    for (const [key, entry] of map) {
      const p = entry.payload;
      if (entry.model === 'Session' && p.accountId === accountId) {
        map.delete(key);
        sessions += 1;
      } else if (entry.model === 'Grant' && p.accountId === accountId) {
        map.delete(key);
        grants += 1;
        for (const [k2, e2] of map) if (e2.payload.grantId === p.jti) map.delete(k2);
      } else if (p.accountId === accountId && p.grantId) {
        map.delete(key); // tokens of grants already removed
      }
    }
    return { sessions, grants };
  }

  return { Adapter, all, dropAccount, map };
}

// ---------------------------------------------------------------------------------------------
// The provider
// ---------------------------------------------------------------------------------------------

/**
 * Start the local OpenID Provider.
 *
 * @param {object} [opts]
 * @param {number} [opts.port=0]            0 picks a free port.
 * @param {string} [opts.host='127.0.0.1']
 * @param {Array<{client_id:string, client_secret?:string, redirect_uris:string[],
 *          token_endpoint_auth_method?:'client_secret_basic'|'client_secret_post'|'none',
 *          id_token_signed_response_alg?:'RS256'|'ES256'}>} [opts.clients]
 * @param {'RS256'|'ES256'} [opts.alg='RS256']  default id_token signing alg for clients.
 * @param {number} [opts.accessTokenTTL=3600]   seconds.
 * @param {number} [opts.idTokenTTL=3600]       seconds.
 * @param {number} [opts.refreshTokenTTL=1209600] seconds (14 days).
 * @param {number} [opts.sessionTTL=1209600]    seconds.
 * @param {boolean} [opts.refreshTokens=true]   issue a refresh token on every code grant.
 * @param {boolean} [opts.rotateRefreshToken]   true: rotate on every refresh; false: never;
 *                                              unset: oidc-provider's default (after 70% of TTL).
 * @param {{email:string, groups?:string[]|string, name?:string}} [opts.autoLogin]
 *                                              skip the login form and log this user in.
 * @param {boolean} [opts.allowLoginHint=false] `login_hint=<email>` logs that user in directly.
 * @param {boolean} [opts.testRoutes=true]      serve `POST /__idp/end-sessions` (email=…).
 * @param {(line:string)=>void} [opts.log]      one line per login / server error; default silent.
 * @returns {Promise<{issuer:string, port:number, close:()=>Promise<void>, users:Map<string,object>,
 *          addUser:(u:object)=>object, endSessions:(email:string)=>{sessions:number,grants:number},
 *          provider:Provider, jwks:{keys:object[]}, stats:{refreshGrants:number, userinfoRequests:number},
 *          setFault:(f:{token?:number|null})=>void}>}
 *
 * `setFault({ token: 503 })` makes the token endpoint answer that status (as an outage would) until
 * `setFault({ token: null })`; `stats` counts successful refresh grants and userinfo requests.
 */
export async function startIdp(opts = {}) {
  const {
    port = 0,
    host = '127.0.0.1',
    clients = [],
    alg = 'RS256',
    accessTokenTTL = 3600,
    idTokenTTL = 3600,
    refreshTokenTTL = 14 * 24 * 3600,
    sessionTTL = 14 * 24 * 3600,
    refreshTokens = true,
    rotateRefreshToken,
    autoLogin,
    allowLoginHint = false,
    testRoutes = true,
    log = () => {},
  } = opts;
  if (!['RS256', 'ES256'].includes(alg)) throw new TypeError(`unsupported alg ${alg}`);

  // Users seen by this IdP, keyed by normalised e-mail; bySub serves findAccount().
  const users = new Map();
  const bySub = new Map();
  function addUser({ email, name, groups } = {}) {
    const e = normEmail(email);
    if (!looksLikeEmail(e)) throw new TypeError(`not an e-mail address: ${email}`);
    const user = {
      sub: subFor(e),
      email: e,
      name: String(name ?? '').trim() || e.split('@')[0],
      groups: parseGroups(groups),
    };
    users.set(e, user);
    bySub.set(user.sub, user);
    return user;
  }

  const store = createStore();
  const stats = { refreshGrants: 0, userinfoRequests: 0 };
  const faults = { token: null };

  // Listen first: with port 0 the issuer (which embeds the port) is only known afterwards.
  let handler = (_req, res) => { res.writeHead(503).end(); };
  const server = createServer((req, res) => handler(req, res));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const actualPort = server.address().port;
  const issuer = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;

  const keys = [generateSigningJwk('RS256'), generateSigningJwk('ES256')];

  const provider = new Provider(issuer, {
    adapter: store.Adapter,
    clients: clients.map((c) => ({
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: alg,
      grant_types: refreshTokens ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
      response_types: ['code'],
      ...c,
    })),
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      id_token_signed_response_alg: alg,
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    jwks: { keys },
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'ES256'] },
    responseTypes: ['code'],
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    claims: {
      acr: null,
      auth_time: null,
      iss: null,
      sid: null,
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    // Put scope-granted claims into the id_token itself, as Access for SaaS does.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    routes: {
      authorization: '/authorization',
      userinfo: '/userinfo',
      jwks: '/jwks',
      token: '/token',
      revocation: '/token/revocation',
      end_session: '/session/end',
    },
    // Distinct names so they never collide with the MCP server's cookies on the same host
    // (cookies are not isolated by port).
    cookies: {
      names: { session: 'idp_session', interaction: 'idp_interaction', resume: 'idp_interaction_resume' },
      keys: [randomBytes(32).toString('base64url')],
    },
    features: {
      devInteractions: { enabled: false },
      // Not part of Access for SaaS; keep discovery close to what the server meets in production.
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.type = 'html';
          ctx.body = page('Sign out', `<h1>Sign out</h1>${form}
            <div class="buttons"><button form="op.logoutForm" name="logout" value="yes">Sign out</button>
            <button form="op.logoutForm">Stay signed in</button></div>`);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = page('Signed out', '<h1>Signed out</h1>');
        },
      },
    },
    interactions: {
      // Absolute, so naive redirect followers need not resolve a relative Location.
      url: (_ctx, interaction) => `${issuer}/interaction/${interaction.uid}`,
    },
    // Auto-consent: every requested OIDC scope/claim is granted to the (already logged-in) user,
    // so the consent prompt never fires; the MCP server shows its own consent page.
    loadExistingGrant: async (ctx) => {
      const { oidc } = ctx;
      const accountId = oidc.session.accountId;
      const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
      let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
      if (!grant || grant.accountId !== accountId || grant.clientId !== oidc.client.clientId) {
        grant = new oidc.provider.Grant({ accountId, clientId: oidc.client.clientId });
      }
      const scope = [...oidc.requestParamOIDCScopes].join(' ');
      if (scope) grant.addOIDCScope(scope);
      const claims = [...oidc.requestParamClaims];
      if (claims.length) grant.addOIDCClaims(claims);
      await grant.save();
      return grant;
    },
    // Refresh tokens: issued on every code grant when enabled (Access for SaaS behaviour), not
    // only when offline_access was requested. Without offline_access they are bound to the
    // session (oidc-provider's default expiresWithSession), so ending it invalidates them.
    issueRefreshToken: async (_ctx, client, code) => (
      refreshTokens
      && client.grantTypeAllowed('refresh_token')
      && code.scopes.has('openid')
    ),
    ...(typeof rotateRefreshToken === 'boolean' ? { rotateRefreshToken } : {}),
    findAccount: async (_ctx, sub) => {
      const user = bySub.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        // oidc-provider filters these by the granted scopes (email/profile/groups).
        claims: async () => ({
          sub,
          email: user.email,
          email_verified: true,
          name: user.name,
          groups: [...user.groups],
        }),
      };
    },
    ttl: {
      AccessToken: accessTokenTTL,
      AuthorizationCode: 600,
      IdToken: idTokenTTL,
      RefreshToken: refreshTokenTTL,
      Interaction: 3600,
      Session: sessionTTL,
      Grant: refreshTokenTTL,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      PreAuthorizedCode: 600,
    },
    clientBasedCORS: () => true,
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Error', `<h1>Error</h1>${Object.entries(out)
        .map(([k, v]) => `<p><strong>${esc(k)}</strong>: <span id="${esc(k)}">${esc(v)}</span></p>`).join('')}`);
    },
  });

  // Koa would print every 5xx to stderr; route genuine server errors to our logger instead.
  provider.on('server_error', (_ctx, err) => log(`[idp] server_error: ${err?.stack ?? err}`));
  provider.silent = true;

  const providerCallback = provider.callback();

  // -------------------------------------------------------------------------------------------
  // Interaction (login) page
  // -------------------------------------------------------------------------------------------

  function loginForm(uid, details, client, { error, email = '', name = '', groups = '' } = {}) {
    const clientName = client?.clientName || details.params.client_id;
    return page('Sign in', `
<h1>Sign in</h1>
<p class="muted">Local test IdP for <strong>${esc(clientName)}</strong>. Any e-mail address signs in.</p>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}">
  <label for="email">E-mail</label>
  <input id="email" name="email" type="text" autocomplete="username" autofocus value="${esc(email)}">
  <label for="name">Name (optional)</label>
  <input id="name" name="name" type="text" value="${esc(name)}">
  <label for="groups">Groups (optional, comma-separated)</label>
  <input id="groups" name="groups" type="text" value="${esc(groups)}">
  <div class="buttons">
    <button type="submit" name="action" value="login">Sign in</button>
    <button type="submit" name="action" value="cancel">Cancel</button>
  </div>
</form>`);
  }

  async function finishLogin(req, res, details, who, how) {
    const user = addUser(who);
    log(`[idp] login ${user.email}${user.groups.length ? ` groups=${user.groups.join(',')}` : ''} client=${details.params.client_id} (${how})`);
    await provider.interactionFinished(req, res, {
      login: { accountId: user.sub, amr: ['pwd'], remember: true },
    }, { mergeWithLastSubmission: false });
  }

  async function autoConsent(req, res, details) {
    // Normally unreachable thanks to loadExistingGrant; kept as a safety net.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const d = details.prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  async function handleInteraction(req, res, uid) {
    let details;
    try {
      details = await provider.interactionDetails(req, res);
    } catch (err) {
      if (err instanceof oidcErrors.SessionNotFound) {
        return sendHtml(res, 400, page('Error', `<h1>Sign-in expired</h1><p class="error">${esc(err.error_description ?? err.message)}</p>`));
      }
      throw err;
    }
    if (details.uid !== uid) {
      return sendHtml(res, 400, page('Error', '<h1>Interaction mismatch</h1>'));
    }

    const promptName = details.prompt.name;
    if (promptName === 'consent') return autoConsent(req, res, details);
    if (promptName !== 'login') {
      return sendHtml(res, 501, page('Error', `<h1>Unsupported prompt ${esc(promptName)}</h1>`));
    }

    if (req.method === 'GET') {
      if (autoLogin) return finishLogin(req, res, details, autoLogin, 'autoLogin');
      const hint = details.params.login_hint;
      if (allowLoginHint && hint && looksLikeEmail(normEmail(hint))) {
        return finishLogin(req, res, details, { email: hint }, 'login_hint');
      }
      const client = await provider.Client.find(details.params.client_id);
      return sendHtml(res, 200, loginForm(uid, details, client, { email: hint ?? '' }));
    }

    if (req.method === 'POST') {
      const form = await readForm(req);
      if (form.get('action') === 'cancel') {
        log(`[idp] login cancelled client=${details.params.client_id}`);
        return provider.interactionFinished(req, res, {
          error: 'access_denied', error_description: 'End-User cancelled the sign-in',
        }, { mergeWithLastSubmission: false });
      }
      const email = normEmail(form.get('email'));
      const name = form.get('name') ?? '';
      const groups = form.get('groups') ?? '';
      if (!looksLikeEmail(email)) {
        const client = await provider.Client.find(details.params.client_id);
        return sendHtml(res, 400, loginForm(uid, details, client, {
          error: 'Enter an e-mail address.', email, name, groups,
        }));
      }
      return finishLogin(req, res, details, { email, name, groups }, 'form');
    }

    res.writeHead(405, { allow: 'GET, POST' }).end();
    return undefined;
  }

  /** End every session and grant of a user; their refresh tokens then fail with invalid_grant. */
  function endSessions(email) {
    const result = store.dropAccount(subFor(email));
    log(`[idp] ended ${result.sessions} session(s), ${result.grants} grant(s) of ${normEmail(email)}`);
    return result;
  }

  provider.on('grant.success', (ctx) => {
    if (ctx.oidc?.params?.grant_type === 'refresh_token') stats.refreshGrants += 1;
  });

  handler = async (req, res) => {
    try {
      const url = new URL(req.url, issuer);
      if (url.pathname === '/token' && faults.token) {
        res.writeHead(faults.token, { 'content-type': 'text/html' }).end('<h1>Service unavailable</h1>');
        return undefined;
      }
      if (url.pathname === '/userinfo') stats.userinfoRequests += 1;
      const m = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
      if (m) return await handleInteraction(req, res, m[1]);
      if (testRoutes && url.pathname === '/__idp/end-sessions' && req.method === 'POST') {
        const form = await readForm(req);
        return sendJson(res, 200, endSessions(form.get('email') ?? url.searchParams.get('email')));
      }
      return providerCallback(req, res);
    } catch (err) {
      log(`[idp] error: ${err?.stack ?? err}`);
      if (!res.headersSent) sendHtml(res, 500, page('Error', '<h1>Internal error</h1>'));
      else res.destroy();
      return undefined;
    }
  };

  if (autoLogin) addUser(autoLogin);

  return {
    issuer,
    port: actualPort,
    users,
    addUser,
    endSessions,
    provider,
    stats,
    setFault: (f) => Object.assign(faults, f),
    /** Public JWKS as served at /jwks. */
    jwks: {
      keys: keys.map(({ d, p, q, dp, dq, qi, ...pub }) => pub),
    },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// CLI mode: node tests/support/idp.mjs
// ---------------------------------------------------------------------------------------------

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const env = process.env;
  const redirectUris = (env.IDP_REDIRECT_URIS ?? 'http://127.0.0.1:8787/callback,http://localhost:8787/callback')
    .split(',').map((s) => s.trim()).filter(Boolean);
  const idp = await startIdp({
    port: Number(env.IDP_PORT ?? 9400),
    host: env.IDP_HOST ?? '127.0.0.1',
    alg: env.IDP_ALG ?? 'RS256',
    clients: [{
      client_id: env.IDP_CLIENT_ID ?? 'mcp-dev',
      client_secret: env.IDP_CLIENT_SECRET ?? 'dev-secret-change-me',
      redirect_uris: redirectUris,
      token_endpoint_auth_method: env.IDP_CLIENT_AUTH ?? 'client_secret_basic',
    }],
    autoLogin: env.IDP_AUTO_LOGIN_EMAIL ? { email: env.IDP_AUTO_LOGIN_EMAIL, groups: env.IDP_AUTO_LOGIN_GROUPS } : undefined,
    allowLoginHint: env.IDP_ALLOW_LOGIN_HINT === '1' || env.IDP_ALLOW_LOGIN_HINT === 'true',
    log: (line) => console.log(line),
  });
  console.log(`[idp] issuer ${idp.issuer}`);
  console.log(`[idp] client ${env.IDP_CLIENT_ID ?? 'mcp-dev'} redirect_uris ${redirectUris.join(' ')}`);
  console.log('[idp] login: any e-mail, e.g. dev@example.com');
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await idp.close();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
