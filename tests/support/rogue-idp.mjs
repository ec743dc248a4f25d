/**
 * tests/support/rogue-idp.mjs — a tiny hand-written OpenID Provider for NEGATIVE tests of the MCP
 * server's upstream id_token validation.
 *
 * Owns: an OP built only on node:http + node:crypto that behaves correctly at the protocol level
 * (discovery, JWKS, /authorize, /token with client auth and PKCE checks, /userinfo) but can be told,
 * with setMode(), to mint broken or hostile id_tokens. A correct relying party must reject every mode
 * except 'ok' and 'rotated' (the latter is accepted only after one JWKS refetch).
 *
 * Modes (persist until changed):
 *   'ok'                     well-formed token signed with the current published key
 *   'alg-none'               header {alg:'none'}, empty signature ("h.p.")
 *   'hs256'                  HS256, HMAC key = the current public key as SPKI PEM text (classic
 *                            RS/ES→HS key-confusion), header kid = the published kid
 *   'hs256-secret'           HS256, HMAC key = the client's secret (valid only for an RP that
 *                            accepts HS* although discovery only advertises the asymmetric alg)
 *   'wrong-aud'              aud = 'someone-else'
 *   'wrong-iss'              iss = '<issuer>/evil'
 *   'wrong-nonce'            nonce differs from the one sent to /authorize
 *   'missing-nonce'          no nonce claim
 *   'expired'                exp 10 minutes ago (iat 70 minutes ago)
 *   'not-yet-valid'          nbf 10 minutes ahead
 *   'iat-future'             iat 10 minutes ahead (exp still in the future)
 *   'unknown-kid'            signed by a key whose kid is never published in the JWKS
 *   'bad-signature'          correct header/claims, one signature byte flipped
 *   'rotated'                the first id_token minted after setMode('rotated') makes the IdP rotate
 *                            (as rotateKeys()): it is signed by a new key that appears in the JWKS
 *                            only from that moment (the old key stays too), so an RP holding a cached
 *                            JWKS must refetch once on the unknown kid; later tokens in this mode use
 *                            the same new key (no further rotation)
 *   'refresh-invalid-grant'  code grant works normally, refresh_token grant answers invalid_grant
 *
 * `stats` counts requests per endpoint (jwks fetches especially) and records the last /authorize
 * and /token parameters so a test can assert what the RP sent.
 */

import {
  createHash, createHmac, generateKeyPairSync, randomBytes, sign, timingSafeEqual,
} from 'node:crypto';
import { createServer } from 'node:http';

export const ROGUE_MODES = Object.freeze([
  'ok', 'alg-none', 'hs256', 'hs256-secret', 'wrong-aud', 'wrong-iss', 'wrong-nonce', 'missing-nonce',
  'expired', 'not-yet-valid', 'iat-future', 'unknown-kid', 'bad-signature', 'rotated',
  'refresh-invalid-grant',
]);

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const b64uJson = (obj) => b64u(JSON.stringify(obj));
const now = () => Math.floor(Date.now() / 1000);
const token = (bytes = 24) => randomBytes(bytes).toString('base64url');

/** A signing key: node KeyObject + public JWK with kid/alg/use. */
function makeKey(alg, label) {
  const { privateKey, publicKey } = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `${label}-${alg.toLowerCase()}-${randomBytes(4).toString('hex')}`;
  return {
    alg, kid, privateKey, publicKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
  };
}

/** JWS compact serialisation with an asymmetric key (ES256 in IEEE P1363 form, as JOSE requires). */
function signJws(header, payload, key) {
  const input = `${b64uJson(header)}.${b64uJson(payload)}`;
  const sig = sign('sha256', Buffer.from(input), key.alg === 'ES256'
    ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' }
    : key.privateKey);
  return `${input}.${b64u(sig)}`;
}

function hmacJws(header, payload, secret) {
  const input = `${b64uJson(header)}.${b64uJson(payload)}`;
  return `${input}.${b64u(createHmac('sha256', secret).update(input).digest())}`;
}

function safeEq(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
}

async function readBody(req, limit = 64 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function json(res, status, body, headers = {}) {
  res.writeHead(status, {
    'content-type': 'application/json', 'cache-control': 'no-store', ...headers,
  });
  res.end(JSON.stringify(body));
}

/**
 * Start the rogue provider.
 *
 * @param {object} [opts]
 * @param {number} [opts.port=0]
 * @param {string} [opts.host='127.0.0.1']
 * @param {Array<{client_id:string, client_secret:string, redirect_uris:string[]}>} [opts.clients]
 * @param {'RS256'|'ES256'} [opts.alg='RS256']
 * @param {string} [opts.mode='ok']
 * @param {{email:string, name?:string, groups?:string[]}} [opts.user]  identity put in tokens
 *        (an authorization request's login_hint overrides the e-mail).
 * @param {number} [opts.idTokenTTL=3600]
 * @param {number} [opts.jwksMaxAge=3600]  Cache-Control max-age on /jwks.
 * @returns {Promise<{issuer:string, port:number, close:()=>Promise<void>, setMode:(m:string)=>void,
 *          getMode:()=>string, rotateKeys:()=>object, setUser:(u:object)=>void, stats:object,
 *          resetStats:()=>void, jwks:()=>{keys:object[]}, currentKey:()=>object,
 *          unpublishedKey:object}>}
 */
export async function startRogueIdp(opts = {}) {
  const {
    port = 0,
    host = '127.0.0.1',
    clients = [],
    alg = 'RS256',
    idTokenTTL = 3600,
    jwksMaxAge = 3600,
  } = opts;
  if (!['RS256', 'ES256'].includes(alg)) throw new TypeError(`unsupported alg ${alg}`);
  let mode = opts.mode ?? 'ok';
  if (!ROGUE_MODES.includes(mode)) throw new TypeError(`unknown rogue mode ${mode}`);
  // 'rotated': the first id_token minted after setMode('rotated') triggers one rotation.
  let rotationPending = mode === 'rotated';
  let user = {
    email: 'rogue@example.com', name: 'Rogue User', groups: ['rogues'], ...opts.user,
  };

  const clientMap = new Map(clients.map((c) => [c.client_id, c]));

  // Keys: `published` are in the JWKS; `current` signs; `neverPublished` is used by 'unknown-kid'.
  let current = makeKey(alg, 'rogue');
  const published = [current];
  const neverPublished = makeKey(alg, 'ghost');

  const codes = new Map(); // code → { client_id, redirect_uri, nonce, code_challenge, scope, email }
  const refreshTokens = new Map(); // refresh_token → { client_id, email, scope }
  const accessTokens = new Map(); // access_token → email

  const stats = {
    discoveryFetches: 0,
    jwksFetches: 0,
    authorizeRequests: 0,
    tokenRequests: 0,
    codeGrants: 0,
    refreshGrants: 0,
    userinfoRequests: 0,
    idTokensIssued: 0,
    lastAuthorize: null, // URLSearchParams as a plain object
    lastToken: null, // { grant_type, client_auth: 'basic'|'post', ... }
  };
  const resetStats = () => {
    for (const k of Object.keys(stats)) stats[k] = typeof stats[k] === 'number' ? 0 : null;
  };

  /** Rotate: a fresh key becomes current and is published; earlier keys stay in the JWKS. */
  function rotateKeys() {
    current = makeKey(alg, 'rogue');
    published.push(current);
    return current.jwk;
  }

  // Listen first so the issuer can include the chosen port.
  let handler = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const actualPort = server.address().port;
  const issuer = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;

  /** Build an id_token according to the current mode. */
  function mintIdToken({ clientId, nonce, email, authTime }) {
    const client = clientMap.get(clientId);
    const t = now();
    const claims = {
      iss: issuer,
      sub: createHash('sha256').update(`rogue:${email}`).digest('hex').slice(0, 32),
      aud: clientId,
      iat: t,
      exp: t + idTokenTTL,
      auth_time: authTime,
      email,
      email_verified: true,
      name: user.name,
      groups: [...(user.groups ?? [])],
    };
    if (nonce !== undefined) claims.nonce = nonce;
    let key = current;
    let header = { alg, typ: 'JWT', kid: key.kid };

    switch (mode) {
      case 'wrong-aud': claims.aud = 'someone-else'; break;
      case 'wrong-iss': claims.iss = `${issuer}/evil`; break;
      case 'wrong-nonce': claims.nonce = `not-${nonce ?? 'the-nonce'}`; break;
      case 'missing-nonce': delete claims.nonce; break;
      case 'expired': claims.iat = t - 4200; claims.exp = t - 600; claims.auth_time = t - 4200; break;
      case 'not-yet-valid': claims.nbf = t + 600; break;
      case 'iat-future': claims.iat = t + 600; claims.exp = t + 600 + idTokenTTL; break;
      case 'unknown-kid': key = neverPublished; header = { ...header, kid: key.kid }; break;
      case 'rotated':
        if (rotationPending) {
          rotationPending = false;
          rotateKeys();
        }
        key = current;
        header = { ...header, kid: key.kid };
        break;
      default: break;
    }
    stats.idTokensIssued += 1;

    switch (mode) {
      case 'alg-none':
        return `${b64uJson({ alg: 'none', typ: 'JWT' })}.${b64uJson(claims)}.`;
      case 'hs256': {
        const pem = current.publicKey.export({ type: 'spki', format: 'pem' });
        return hmacJws({ alg: 'HS256', typ: 'JWT', kid: current.kid }, claims, pem);
      }
      case 'hs256-secret':
        return hmacJws({ alg: 'HS256', typ: 'JWT', kid: current.kid }, claims, client?.client_secret ?? '');
      case 'bad-signature': {
        const [h, p, s] = signJws(header, claims, key).split('.');
        const sig = Buffer.from(s, 'base64url');
        sig[sig.length >> 1] ^= 0x01;
        return `${h}.${p}.${b64u(sig)}`;
      }
      default:
        return signJws(header, claims, key);
    }
  }

  function discovery() {
    return {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      userinfo_endpoint: `${issuer}/userinfo`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [alg],
      scopes_supported: ['openid', 'email', 'profile', 'groups', 'offline_access'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      code_challenge_methods_supported: ['S256'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'email', 'email_verified', 'name', 'groups'],
    };
  }

  function badRequestPage(res, msg) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`rogue-idp: ${msg}\n`);
  }

  function authorize(url, res) {
    stats.authorizeRequests += 1;
    const p = url.searchParams;
    stats.lastAuthorize = Object.fromEntries(p);
    const client = clientMap.get(p.get('client_id'));
    if (!client) return badRequestPage(res, 'unknown client_id');
    const redirectUri = p.get('redirect_uri');
    if (!redirectUri || !client.redirect_uris.includes(redirectUri)) {
      return badRequestPage(res, 'redirect_uri not registered');
    }
    const back = new URL(redirectUri);
    const fail = (error, description) => {
      back.searchParams.set('error', error);
      if (description) back.searchParams.set('error_description', description);
      if (p.has('state')) back.searchParams.set('state', p.get('state'));
      back.searchParams.set('iss', issuer);
      res.writeHead(302, { location: back.href }).end();
    };
    if (p.get('response_type') !== 'code') return fail('unsupported_response_type');
    if (!p.get('code_challenge') || p.get('code_challenge_method') !== 'S256') {
      return fail('invalid_request', 'PKCE S256 required');
    }
    if (!(p.get('scope') ?? '').split(' ').includes('openid')) return fail('invalid_scope', 'openid required');
    const code = token();
    codes.set(code, {
      client_id: client.client_id,
      redirect_uri: redirectUri,
      nonce: p.get('nonce') ?? undefined,
      code_challenge: p.get('code_challenge'),
      scope: p.get('scope'),
      email: p.get('login_hint') || user.email,
      authTime: now(),
      expiresAt: Date.now() + 600_000,
    });
    back.searchParams.set('code', code);
    if (p.has('state')) back.searchParams.set('state', p.get('state'));
    back.searchParams.set('iss', issuer);
    res.writeHead(302, { location: back.href, 'cache-control': 'no-store' }).end();
    return undefined;
  }

  /** Client authentication: client_secret_basic or client_secret_post (exactly one). */
  function authenticateClient(req, form) {
    const auth = req.headers.authorization;
    let id;
    let secret;
    let method;
    if (auth?.startsWith('Basic ')) {
      const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i < 0) return { error: 'invalid_client' };
      // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
      id = decodeURIComponent(decoded.slice(0, i).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(i + 1).replace(/\+/g, ' '));
      method = 'basic';
      if (form.has('client_secret')) return { error: 'invalid_request' };
    } else if (form.has('client_secret')) {
      id = form.get('client_id');
      secret = form.get('client_secret');
      method = 'post';
    } else {
      return { error: 'invalid_client' };
    }
    if (form.has('client_id') && form.get('client_id') !== id) return { error: 'invalid_client' };
    const client = clientMap.get(id);
    if (!client || !safeEq(client.client_secret, secret)) return { error: 'invalid_client' };
    return { client, method };
  }

  async function tokenEndpoint(req, res) {
    stats.tokenRequests += 1;
    if (req.method !== 'POST') return json(res, 405, { error: 'invalid_request' }, { allow: 'POST' });
    const form = new URLSearchParams(await readBody(req));
    const { client, method, error } = authenticateClient(req, form);
    stats.lastToken = { ...Object.fromEntries(form), client_auth: method ?? null };
    delete stats.lastToken.client_secret;
    if (error === 'invalid_client') {
      return json(res, 401, { error }, { 'www-authenticate': 'Basic realm="rogue-idp"' });
    }
    if (error) return json(res, 400, { error });

    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      stats.codeGrants += 1;
      const code = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? ''); // single use, even on failure
      if (!code || code.expiresAt < Date.now() || code.client_id !== client.client_id) {
        return json(res, 400, { error: 'invalid_grant', error_description: 'unknown code' });
      }
      if (form.get('redirect_uri') !== code.redirect_uri) {
        return json(res, 400, { error: 'invalid_grant', error_description: 'redirect_uri mismatch' });
      }
      const verifier = form.get('code_verifier') ?? '';
      const expected = createHash('sha256').update(verifier).digest('base64url');
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || !safeEq(expected, code.code_challenge)) {
        return json(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
      }
      return issueTokens(res, client, code.email, code.scope, code.nonce, code.authTime);
    }
    if (grantType === 'refresh_token') {
      stats.refreshGrants += 1;
      if (mode === 'refresh-invalid-grant') {
        return json(res, 400, { error: 'invalid_grant', error_description: 'refresh token revoked' });
      }
      const rt = refreshTokens.get(form.get('refresh_token') ?? '');
      if (!rt || rt.client_id !== client.client_id) {
        return json(res, 400, { error: 'invalid_grant', error_description: 'unknown refresh token' });
      }
      // No nonce on refreshed id_tokens (OIDC Core §12.2).
      return issueTokens(res, client, rt.email, rt.scope, undefined, rt.authTime);
    }
    return json(res, 400, { error: 'unsupported_grant_type' });
  }

  function issueTokens(res, client, email, scope, nonce, authTime) {
    const accessToken = token();
    const refreshToken = token();
    accessTokens.set(accessToken, email);
    refreshTokens.set(refreshToken, {
      client_id: client.client_id, email, scope, authTime,
    });
    const idToken = mintIdToken({
      clientId: client.client_id, nonce, email, authTime,
    });
    return json(res, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      id_token: idToken,
      refresh_token: refreshToken,
      expires_in: 3600,
      scope,
    });
  }

  function userinfo(req, res) {
    stats.userinfoRequests += 1;
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const email = m && accessTokens.get(m[1]);
    if (!email) return json(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    return json(res, 200, {
      sub: createHash('sha256').update(`rogue:${email}`).digest('hex').slice(0, 32),
      email,
      email_verified: true,
      name: user.name,
      groups: [...(user.groups ?? [])],
    });
  }

  const jwks = () => ({ keys: published.map((k) => k.jwk) });

  handler = async (req, res) => {
    try {
      const url = new URL(req.url, issuer);
      switch (url.pathname) {
        case '/.well-known/openid-configuration':
          stats.discoveryFetches += 1;
          return json(res, 200, discovery(), { 'cache-control': 'public, max-age=3600' });
        case '/jwks':
          stats.jwksFetches += 1;
          return json(res, 200, jwks(), { 'cache-control': `public, max-age=${jwksMaxAge}` });
        case '/authorize':
          return authorize(url, res);
        case '/token':
          return await tokenEndpoint(req, res);
        case '/userinfo':
          return userinfo(req, res);
        default:
          return json(res, 404, { error: 'not_found' });
      }
    } catch (err) {
      if (!res.headersSent) json(res, 500, { error: 'server_error', error_description: String(err?.message ?? err) });
      return undefined;
    }
  };

  return {
    issuer,
    port: actualPort,
    stats,
    resetStats,
    /** Choose how the next id_tokens are crafted (see ROGUE_MODES). */
    setMode(next) {
      if (!ROGUE_MODES.includes(next)) throw new TypeError(`unknown rogue mode ${next}`);
      mode = next;
      rotationPending = next === 'rotated';
    },
    getMode: () => mode,
    /** Publish a new key and sign with it from now on (the old key stays published). */
    rotateKeys,
    /** Identity used for the next tokens: { email, name, groups }. */
    setUser(u) { user = { ...user, ...u }; },
    /** The JWKS as currently served. */
    jwks,
    /** The current signing key's public JWK and KeyObject (for tests). */
    currentKey: () => ({ jwk: current.jwk, publicKey: current.publicKey }),
    /** The 'unknown-kid' key (never published), for tests. */
    unpublishedKey: { jwk: neverPublished.jwk, publicKey: neverPublished.publicKey },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
