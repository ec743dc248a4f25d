/**
 * tests/e2e/idp-harness.test.mjs — proves the two test OpenID Providers work.
 *
 * Owns: node:test tests for tests/support/idp.mjs (the oidc-provider based stand-in for Access for
 * SaaS) and tests/support/rogue-idp.mjs (the hostile provider for negative tests). Everything is
 * driven with plain fetch + a tiny cookie jar, following redirects by hand, exactly as the
 * end-to-end tests will; id_tokens are verified with node:crypto against the served JWKS.
 *
 * Run: node --test tests/e2e/idp-harness.test.mjs
 */

import assert from 'node:assert/strict';
import {
  createHash, createHmac, createPublicKey, randomBytes, verify,
} from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { startIdp, subFor } from '../support/idp.mjs';
import { ROGUE_MODES, startRogueIdp } from '../support/rogue-idp.mjs';

const REDIRECT = 'http://127.0.0.1:9/callback'; // never contacted: the flow stops at its URL
const CLIENT = {
  client_id: 'test-client', client_secret: 'test-secret', redirect_uris: [REDIRECT],
};
const POST_CLIENT = {
  client_id: 'post-client',
  client_secret: 'post-secret',
  redirect_uris: [REDIRECT],
  token_endpoint_auth_method: 'client_secret_post',
};

// ---------------------------------------------------------------------------------------------
// Helpers: PKCE, cookies, redirects, JWT
// ---------------------------------------------------------------------------------------------

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Minimal cookie jar: name → value, ignoring path/domain (one host per test). */
class Jar {
  cookies = new Map();

  take(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)
        || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now()));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Fetch `url`, following redirects by hand (keeping cookies) until either a response that is not
 * a redirect or a redirect to `stopAt` (the client's redirect_uri), which is returned unfetched.
 */
async function browse(url, jar, { stopAt = REDIRECT, init = {} } = {}) {
  let next = url;
  let req = init;
  for (let hops = 0; hops < 20; hops += 1) {
    const res = await fetch(next, {
      ...req,
      redirect: 'manual',
      headers: { ...req.headers, cookie: jar.header() },
    });
    jar.take(res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      const target = new URL(location, next);
      if (target.href.startsWith(stopAt)) return { callback: target };
      next = target.href;
      req = {};
      continue;
    }
    return { res, body: await res.text(), url: next };
  }
  throw new Error('too many redirects');
}

function decodeJwt(jwt) {
  const [h, p, s] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url')),
    payload: JSON.parse(Buffer.from(p, 'base64url')),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s ?? '', 'base64url'),
  };
}

/** Verify a JWS with node:crypto against a JWKS; returns true/false (false also for unknown kid). */
function verifyWithJwks(jwt, jwks) {
  const { header, signingInput, signature } = decodeJwt(jwt);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk || !['RS256', 'ES256'].includes(header.alg) || jwk.alg !== header.alg) return false;
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  return verify('sha256', Buffer.from(signingInput),
    header.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, signature);
}

const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** POST a urlencoded form to the token endpoint with basic or post client auth. */
async function tokenRequest(endpoint, client, params, auth = 'basic') {
  const body = new URLSearchParams(params);
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth === 'basic') headers.authorization = basic(client.client_id, client.client_secret);
  else {
    body.set('client_id', client.client_id);
    body.set('client_secret', client.client_secret);
  }
  const res = await fetch(endpoint, { method: 'POST', headers, body });
  return { status: res.status, json: await res.json() };
}

async function discover(issuer) {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`);
  assert.equal(res.status, 200);
  return res.json();
}

/** Start an authorization request and return what came back (login page or callback). */
async function authorize(meta, client, jar, extra = {}) {
  const { verifier, challenge } = pkce();
  const state = randomBytes(8).toString('hex');
  const nonce = randomBytes(8).toString('hex');
  const url = new URL(meta.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: client.redirect_uris[0],
    scope: 'openid email profile groups',
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  const out = await browse(url.href, jar);
  return {
    ...out, verifier, state, nonce,
  };
}

/** Submit the IdP login form found in `html`. */
async function submitLogin(issuer, html, jar, fields) {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  assert.ok(action, 'login form has an action');
  return browse(new URL(action, issuer).href, jar, {
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The real provider (oidc-provider)
// ---------------------------------------------------------------------------------------------

describe('idp.mjs (oidc-provider stand-in for Access for SaaS)', () => {
  let idp;
  let meta;
  let jwks;

  before(async () => {
    idp = await startIdp({ clients: [CLIENT, POST_CLIENT] });
    meta = await discover(idp.issuer);
    jwks = await (await fetch(meta.jwks_uri)).json();
  });
  after(() => idp?.close());

  test('issuer, discovery and JWKS', () => {
    assert.match(idp.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(meta.issuer, idp.issuer);
    assert.equal(meta.authorization_endpoint, `${idp.issuer}/authorization`);
    assert.equal(meta.token_endpoint, `${idp.issuer}/token`);
    assert.equal(meta.jwks_uri, `${idp.issuer}/jwks`);
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    for (const s of ['openid', 'email', 'profile', 'groups', 'offline_access']) {
      assert.ok(meta.scopes_supported.includes(s), s);
    }
    assert.deepEqual(meta.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post']);
    assert.ok(meta.grant_types_supported.includes('refresh_token'));
    assert.deepEqual(jwks.keys.map((k) => k.alg).sort(), ['ES256', 'RS256']);
    for (const k of jwks.keys) assert.equal(k.d, undefined, 'no private parts in JWKS');
  });

  test('PKCE is required', async () => {
    const url = new URL(meta.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code', client_id: CLIENT.client_id, redirect_uri: REDIRECT, scope: 'openid', state: 'st',
    });
    const out = await browse(url.href, new Jar());
    assert.equal(out.callback.searchParams.get('error'), 'invalid_request');
    assert.equal(out.callback.searchParams.get('state'), 'st');
  });

  test('code + PKCE flow via the login form, id_token claims, refresh, revocation', async () => {
    const jar = new Jar();
    const start = await authorize(meta, CLIENT, jar);
    assert.equal(start.res.status, 200);
    assert.match(start.body, /name="email"/);
    assert.match(start.body, /name="groups"/);
    assert.match(start.body, /value="cancel"/);

    const done = await submitLogin(idp.issuer, start.body, jar, {
      email: 'Alice@Example.com', name: 'Alice A', groups: 'admins, devs', action: 'login',
    });
    const cb = done.callback;
    assert.ok(cb, 'redirected back to the client');
    assert.equal(cb.searchParams.get('state'), start.state);
    assert.equal(cb.searchParams.get('iss'), idp.issuer);
    const code = cb.searchParams.get('code');
    assert.ok(code);

    // Wrong verifier → invalid_grant (and the code is then burnt, so use a fresh flow below).
    const bad = await tokenRequest(meta.token_endpoint, CLIENT, {
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pkce().verifier,
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, 'invalid_grant');

    // Same browser session: no login form this time, straight back with a code.
    const again = await authorize(meta, CLIENT, jar);
    assert.ok(again.callback, 'existing session skips the login form');
    const tok = await tokenRequest(meta.token_endpoint, CLIENT, {
      grant_type: 'authorization_code',
      code: again.callback.searchParams.get('code'),
      redirect_uri: REDIRECT,
      code_verifier: again.verifier,
    });
    assert.equal(tok.status, 200, JSON.stringify(tok.json));
    assert.equal(tok.json.token_type, 'Bearer');
    assert.ok(tok.json.access_token);
    assert.ok(tok.json.refresh_token, 'refresh token issued without offline_access');

    const { header, payload } = decodeJwt(tok.json.id_token);
    assert.equal(header.alg, 'RS256');
    assert.ok(verifyWithJwks(tok.json.id_token, jwks), 'id_token signature verifies against JWKS');
    assert.equal(payload.iss, idp.issuer);
    assert.equal(payload.aud, CLIENT.client_id);
    assert.equal(payload.nonce, again.nonce);
    assert.equal(payload.sub, subFor('alice@example.com'));
    assert.equal(payload.email, 'alice@example.com');
    assert.equal(payload.email_verified, true);
    assert.equal(payload.name, 'Alice A');
    assert.deepEqual(payload.groups, ['admins', 'devs']);
    assert.ok(payload.exp > payload.iat);
    assert.equal(idp.users.get('alice@example.com').sub, payload.sub);

    // Refresh works and yields a fresh, valid id_token with the same subject.
    const ref = await tokenRequest(meta.token_endpoint, CLIENT, {
      grant_type: 'refresh_token', refresh_token: tok.json.refresh_token,
    });
    assert.equal(ref.status, 200, JSON.stringify(ref.json));
    assert.ok(ref.json.access_token);
    assert.ok(verifyWithJwks(ref.json.id_token, jwks));
    assert.equal(decodeJwt(ref.json.id_token).payload.sub, payload.sub);
    const rt = ref.json.refresh_token ?? tok.json.refresh_token;

    // The access token works at userinfo.
    const ui = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${ref.json.access_token}` } });
    assert.equal(ui.status, 200);
    assert.equal((await ui.json()).email, 'alice@example.com');

    // Revoke the refresh token → refresh fails with invalid_grant.
    const rev = await fetch(meta.revocation_endpoint, {
      method: 'POST',
      headers: {
        authorization: basic(CLIENT.client_id, CLIENT.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: rt, token_type_hint: 'refresh_token' }),
    });
    assert.equal(rev.status, 200);
    const dead = await tokenRequest(meta.token_endpoint, CLIENT, { grant_type: 'refresh_token', refresh_token: rt });
    assert.equal(dead.status, 400);
    assert.equal(dead.json.error, 'invalid_grant');
  });

  test('client_secret_post, login_hint off by default, ending sessions kills refresh', async () => {
    const jar = new Jar();
    const start = await authorize(meta, POST_CLIENT, jar, { login_hint: 'bob@example.com' });
    assert.equal(start.res.status, 200, 'login_hint ignored unless allowLoginHint');
    assert.match(start.body, /value="bob@example.com"/, 'hint pre-fills the e-mail field');
    const done = await submitLogin(idp.issuer, start.body, jar, { email: 'bob@example.com' });
    const tok = await tokenRequest(meta.token_endpoint, POST_CLIENT, {
      grant_type: 'authorization_code',
      code: done.callback.searchParams.get('code'),
      redirect_uri: REDIRECT,
      code_verifier: start.verifier,
    }, 'post');
    assert.equal(tok.status, 200, JSON.stringify(tok.json));
    const { payload } = decodeJwt(tok.json.id_token);
    assert.equal(payload.name, 'bob', 'name defaults to the local part');
    assert.deepEqual(payload.groups, []);

    // End Bob's sessions through the loopback test route → refresh fails.
    const end = await fetch(`${idp.issuer}/__idp/end-sessions`, {
      method: 'POST', body: new URLSearchParams({ email: 'bob@example.com' }),
    });
    assert.deepEqual(await end.json(), { sessions: 1, grants: 1 });
    const dead = await tokenRequest(meta.token_endpoint, POST_CLIENT, {
      grant_type: 'refresh_token', refresh_token: tok.json.refresh_token,
    }, 'post');
    assert.equal(dead.status, 400);
    assert.equal(dead.json.error, 'invalid_grant');
  });

  test('Cancel ends the interaction with access_denied', async () => {
    const jar = new Jar();
    const start = await authorize(meta, CLIENT, jar);
    const done = await submitLogin(idp.issuer, start.body, jar, { action: 'cancel' });
    assert.equal(done.callback.searchParams.get('error'), 'access_denied');
    assert.equal(done.callback.searchParams.get('state'), start.state);
    assert.equal(done.callback.searchParams.get('code'), null);
  });

  test('an invalid e-mail re-renders the form with 400', async () => {
    const jar = new Jar();
    const start = await authorize(meta, CLIENT, jar);
    const done = await submitLogin(idp.issuer, start.body, jar, { email: 'nope' });
    assert.equal(done.res.status, 400);
    assert.match(done.body, /role="alert"/);
  });
});

describe('idp.mjs test hooks and ES256', () => {
  test('autoLogin + ES256: no form, ES256 id_token', async () => {
    const idp = await startIdp({
      clients: [CLIENT], alg: 'ES256', autoLogin: { email: 'carol@example.com', groups: ['g1'], name: 'Carol' },
    });
    try {
      const meta = await discover(idp.issuer);
      // oidc-provider keeps offline_access only with prompt=consent (OIDC Core §11); the
      // consent prompt is then auto-granted by the interaction handler.
      const out = await authorize(meta, CLIENT, new Jar(), {
        scope: 'openid email groups offline_access', prompt: 'consent',
      });
      assert.ok(out.callback, 'no login form, no consent page');
      const tok = await tokenRequest(meta.token_endpoint, CLIENT, {
        grant_type: 'authorization_code',
        code: out.callback.searchParams.get('code'),
        redirect_uri: REDIRECT,
        code_verifier: out.verifier,
      });
      assert.equal(tok.status, 200, JSON.stringify(tok.json));
      const { header, payload } = decodeJwt(tok.json.id_token);
      assert.equal(header.alg, 'ES256');
      const jwks = await (await fetch(meta.jwks_uri)).json();
      assert.ok(verifyWithJwks(tok.json.id_token, jwks));
      assert.equal(payload.email, 'carol@example.com');
      assert.deepEqual(payload.groups, ['g1']);
      assert.equal(payload.name, undefined, 'no profile scope → no name');
      assert.ok(tok.json.refresh_token);
      assert.ok(tok.json.scope.split(' ').includes('offline_access'), `offline_access granted: ${tok.json.scope}`);
    } finally {
      await idp.close();
    }
  });

  test('allowLoginHint logs the hinted user in directly; refreshTokens: false', async () => {
    const idp = await startIdp({ clients: [CLIENT], allowLoginHint: true, refreshTokens: false });
    try {
      const meta = await discover(idp.issuer);
      const out = await authorize(meta, CLIENT, new Jar(), { login_hint: 'dave@example.com' });
      assert.ok(out.callback);
      const tok = await tokenRequest(meta.token_endpoint, CLIENT, {
        grant_type: 'authorization_code',
        code: out.callback.searchParams.get('code'),
        redirect_uri: REDIRECT,
        code_verifier: out.verifier,
      });
      assert.equal(decodeJwt(tok.json.id_token).payload.email, 'dave@example.com');
      assert.equal(tok.json.refresh_token, undefined, 'refreshTokens: false → none issued');
    } finally {
      await idp.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The rogue provider
// ---------------------------------------------------------------------------------------------

for (const alg of ['RS256', 'ES256']) {
  describe(`rogue-idp.mjs (${alg})`, () => {
    let rogue;
    let meta;

    before(async () => {
      rogue = await startRogueIdp({ clients: [CLIENT], alg, user: { email: 'eve@example.com', groups: ['x'] } });
      meta = await discover(rogue.issuer);
    });
    after(() => rogue?.close());

    /** One authorize + token round trip; returns tokens, the sent nonce and the decoded id_token. */
    async function roundTrip({ auth = 'basic', verifier } = {}) {
      const out = await authorize(meta, CLIENT, new Jar());
      assert.ok(out.callback);
      assert.equal(out.callback.searchParams.get('state'), out.state);
      const tok = await tokenRequest(meta.token_endpoint, CLIENT, {
        grant_type: 'authorization_code',
        code: out.callback.searchParams.get('code'),
        redirect_uri: REDIRECT,
        code_verifier: verifier ?? out.verifier,
      }, auth);
      return { ...tok, nonce: out.nonce, jwt: tok.json.id_token && decodeJwt(tok.json.id_token) };
    }

    const getJwks = async () => (await fetch(meta.jwks_uri)).json();

    test('discovery advertises the one alg', () => {
      assert.equal(meta.issuer, rogue.issuer);
      assert.deepEqual(meta.id_token_signing_alg_values_supported, [alg]);
    });

    test('ok: valid token, basic and post auth, PKCE and secret checked, JWKS counted', async () => {
      rogue.setMode('ok');
      rogue.resetStats();
      const r = await roundTrip();
      assert.equal(r.status, 200);
      for (const k of ['access_token', 'token_type', 'id_token', 'refresh_token', 'expires_in']) assert.ok(r.json[k], k);
      assert.equal(r.jwt.header.alg, alg);
      assert.ok(verifyWithJwks(r.json.id_token, await getJwks()));
      const p = r.jwt.payload;
      assert.equal(p.iss, rogue.issuer);
      assert.equal(p.aud, CLIENT.client_id);
      assert.equal(p.nonce, r.nonce);
      assert.equal(p.email, 'eve@example.com');
      assert.deepEqual(p.groups, ['x']);
      assert.ok(p.sub && p.name && p.iat && p.exp > p.iat);
      assert.equal(rogue.stats.jwksFetches, 1);
      assert.equal(rogue.stats.lastAuthorize.code_challenge_method, 'S256');
      assert.equal(rogue.stats.lastToken.client_auth, 'basic');

      const post = await roundTrip({ auth: 'post' });
      assert.equal(post.status, 200);
      assert.equal(rogue.stats.lastToken.client_auth, 'post');

      const badPkce = await roundTrip({ verifier: pkce().verifier });
      assert.equal(badPkce.status, 400);
      assert.equal(badPkce.json.error, 'invalid_grant');

      const badSecret = await tokenRequest(meta.token_endpoint, { ...CLIENT, client_secret: 'wrong' }, {
        grant_type: 'refresh_token', refresh_token: r.json.refresh_token,
      });
      assert.equal(badSecret.status, 401);
      assert.equal(badSecret.json.error, 'invalid_client');

      const ref = await tokenRequest(meta.token_endpoint, CLIENT, {
        grant_type: 'refresh_token', refresh_token: r.json.refresh_token,
      });
      assert.equal(ref.status, 200);
      assert.ok(verifyWithJwks(ref.json.id_token, await getJwks()));
      assert.equal(decodeJwt(ref.json.id_token).payload.nonce, undefined);
    });

    test('alg-none', async () => {
      rogue.setMode('alg-none');
      const r = await roundTrip();
      assert.equal(r.jwt.header.alg, 'none');
      assert.equal(r.json.id_token.endsWith('.'), true);
      assert.equal(r.jwt.signature.length, 0);
      assert.equal(r.jwt.payload.nonce, r.nonce);
    });

    test('hs256 (key confusion) and hs256-secret', async () => {
      rogue.setMode('hs256');
      const r = await roundTrip();
      assert.equal(r.jwt.header.alg, 'HS256');
      const jwks = await getJwks();
      assert.ok(jwks.keys.some((k) => k.kid === r.jwt.header.kid), 'kid points at the published key');
      const pem = rogue.currentKey().publicKey.export({ type: 'spki', format: 'pem' });
      const mac = createHmac('sha256', pem).update(r.jwt.signingInput).digest();
      assert.deepEqual(r.jwt.signature, mac, 'HMAC keyed with the public key PEM');
      assert.equal(verifyWithJwks(r.json.id_token, jwks), false);

      rogue.setMode('hs256-secret');
      const s = await roundTrip();
      const mac2 = createHmac('sha256', CLIENT.client_secret).update(s.jwt.signingInput).digest();
      assert.deepEqual(s.jwt.signature, mac2, 'HMAC keyed with the client secret');
    });

    const claimModes = {
      'wrong-aud': (p) => assert.equal(p.aud, 'someone-else'),
      'wrong-iss': (p) => assert.notEqual(p.iss, rogue.issuer),
      'wrong-nonce': (p, nonce) => { assert.ok(p.nonce); assert.notEqual(p.nonce, nonce); },
      'missing-nonce': (p) => assert.equal('nonce' in p, false),
      expired: (p) => assert.ok(p.exp < Date.now() / 1000 - 500),
      'not-yet-valid': (p) => assert.ok(p.nbf > Date.now() / 1000 + 500),
      'iat-future': (p) => { assert.ok(p.iat > Date.now() / 1000 + 500); assert.ok(p.exp > p.iat); },
    };
    for (const [mode, check] of Object.entries(claimModes)) {
      test(`${mode}: validly signed, claim is off`, async () => {
        rogue.setMode(mode);
        const r = await roundTrip();
        assert.equal(r.status, 200);
        assert.ok(verifyWithJwks(r.json.id_token, await getJwks()), 'signature itself is valid');
        check(r.jwt.payload, r.nonce);
      });
    }

    test('unknown-kid: kid never in JWKS, signed by that key', async () => {
      rogue.setMode('unknown-kid');
      const r = await roundTrip();
      const jwks = await getJwks();
      assert.equal(jwks.keys.some((k) => k.kid === r.jwt.header.kid), false);
      assert.equal(r.jwt.header.kid, rogue.unpublishedKey.jwk.kid);
      assert.ok(verifyWithJwks(r.json.id_token, { keys: [rogue.unpublishedKey.jwk] }));
    });

    test('bad-signature: published kid, signature does not verify', async () => {
      rogue.setMode('bad-signature');
      const r = await roundTrip();
      const jwks = await getJwks();
      assert.ok(jwks.keys.some((k) => k.kid === r.jwt.header.kid));
      assert.equal(verifyWithJwks(r.json.id_token, jwks), false);
    });

    test('rotated: cached JWKS is stale, one refetch finds the new kid', async () => {
      rogue.setMode('ok');
      rogue.resetStats();
      const cached = await getJwks(); // what an RP would have cached
      rogue.setMode('rotated');
      const r = await roundTrip();
      assert.equal(cached.keys.some((k) => k.kid === r.jwt.header.kid), false, 'not in the cached JWKS');
      const fresh = await getJwks();
      assert.ok(verifyWithJwks(r.json.id_token, fresh), 'verifies after refetch');
      assert.equal(fresh.keys.length, cached.keys.length + 1, 'old key kept');
      assert.equal(rogue.stats.jwksFetches, 2);
      const r2 = await roundTrip();
      assert.equal(r2.jwt.header.kid, r.jwt.header.kid, 'rotates only once per setMode');
    });

    test('refresh-invalid-grant', async () => {
      rogue.setMode('refresh-invalid-grant');
      const r = await roundTrip();
      assert.equal(r.status, 200);
      const ref = await tokenRequest(meta.token_endpoint, CLIENT, {
        grant_type: 'refresh_token', refresh_token: r.json.refresh_token,
      });
      assert.equal(ref.status, 400);
      assert.equal(ref.json.error, 'invalid_grant');
    });

    test('every mode is covered', () => {
      assert.equal(ROGUE_MODES.length, 15);
      assert.throws(() => rogue.setMode('nonsense'), TypeError);
    });
  });
}
