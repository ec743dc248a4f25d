/**
 * OAuth attacks a client or an attacker can try, one test per rule, each answered with the right
 * error and changing nothing: unregistered or open redirects, PKCE `plain` or missing, a wrong
 * verifier, code replay, a foreign resource, tampered login state, bad client credentials,
 * dangerous redirect URIs at registration, and the registration rate limit.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startStack } from '../support/stack.mjs';
import { walkLogin } from '../support/oauth-client.mjs';
import { Browser } from '../support/browser.mjs';

let stack;
before(async () => {
  stack = await startStack({ vars: { REGISTRATIONS_PER_HOUR: '1000' } });
});
after(async () => {
  await stack?.close();
});

const REDIRECT = 'http://127.0.0.1:1/cb';
const b64url = (b) => b.toString('base64url');
const pkce = () => {
  const verifier = b64url(randomBytes(32));
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) };
};
const form = (o) => new URLSearchParams(o).toString();

async function register(meta = {}) {
  const r = await fetch(`${stack.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Attack test', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', ...meta }),
  });
  return { status: r.status, body: await r.json() };
}

function authorizeUrl(params) {
  const u = new URL(`${stack.url}/authorize`);
  u.search = new URLSearchParams({ response_type: 'code', redirect_uri: REDIRECT, state: 'st', ...params }).toString();
  return u.toString();
}

/** Logs in through consent and the upstream form; returns the code and the PKCE verifier. */
async function codeFor(client_id, email = 'attack@example.com', extra = {}) {
  const { verifier, challenge } = pkce();
  const back = await walkLogin(new Browser(), authorizeUrl({ client_id, code_challenge: challenge, code_challenge_method: 'S256', ...extra }), {
    redirectUrl: REDIRECT,
    user: { email },
  });
  return { code: back.searchParams.get('code'), verifier, back };
}

const tokenRequest = (body, headers = {}) =>
  fetch(`${stack.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: form(body) });

const mcpStatus = async (token) =>
  (
    await fetch(stack.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    })
  ).status;

test('an unregistered redirect URI gets an error page, never a redirect (RFC 6749 §4.1.2.1)', async () => {
  const { body: c } = await register();
  const { challenge } = pkce();
  for (const redirect_uri of ['https://evil.example/cb', 'http://127.0.0.1:1/cb/../evil', 'http://127.0.0.1:1/cbx', 'javascript:alert(1)']) {
    const r = await fetch(authorizeUrl({ client_id: c.client_id, redirect_uri, code_challenge: challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
    assert.equal(r.status, 400, redirect_uri);
    assert.equal(r.headers.get('location'), null, redirect_uri);
    assert.match(r.headers.get('content-type'), /text\/html/);
  }
});

test('an unknown client gets an error page, never a redirect', async () => {
  const { challenge } = pkce();
  const r = await fetch(authorizeUrl({ client_id: 'nope', code_challenge: challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
  assert.equal(r.status, 400);
  assert.equal(r.headers.get('location'), null);
});

test('loopback redirect URIs match on any port (RFC 8252 §7.3), other parts exactly', async () => {
  const { body: c } = await register({ redirect_uris: ['http://127.0.0.1/callback'] });
  const { challenge } = pkce();
  const ok = await fetch(authorizeUrl({ client_id: c.client_id, redirect_uri: 'http://127.0.0.1:53682/callback', code_challenge: challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
  assert.equal(ok.status, 200, 'consent page for any port');
  const bad = await fetch(authorizeUrl({ client_id: c.client_id, redirect_uri: 'http://127.0.0.1:53682/other', code_challenge: challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
  assert.equal(bad.status, 400);
});

// These clients were never approved in the requesting browser, so the errors are shown, not
// redirected (oauth-open-redirect.test.mjs checks the redirects an approved client gets).
test('PKCE is required and only S256: plain or missing is refused', async () => {
  const { body: c } = await register();
  for (const params of [{ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }, {}]) {
    const r = await fetch(authorizeUrl({ client_id: c.client_id, ...params }), { redirect: 'manual' });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('location'), null);
    assert.match(await r.text(), /invalid_request/);
  }
});

test('a resource other than this server is invalid_target (RFC 8707)', async () => {
  const { body: c } = await register();
  const { challenge } = pkce();
  const r = await fetch(authorizeUrl({ client_id: c.client_id, code_challenge: challenge, code_challenge_method: 'S256', resource: 'https://other.example/mcp' }), { redirect: 'manual' });
  assert.equal(r.status, 400);
  assert.match(await r.text(), /invalid_target/);
});

test('a wrong or missing code_verifier fails and does not use up the code', async () => {
  const { body: c } = await register();
  const { code, verifier } = await codeFor(c.client_id);
  const missing = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: c.client_id });
  assert.equal(missing.status, 400);
  assert.equal((await missing.json()).error, 'invalid_request');
  const wrong = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: c.client_id, code_verifier: pkce().verifier });
  assert.equal(wrong.status, 400);
  assert.equal((await wrong.json()).error, 'invalid_grant');
  const right = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: c.client_id, code_verifier: verifier });
  assert.equal(right.status, 200);
});

test('a replayed code is refused and revokes the tokens it produced', async () => {
  const { body: c } = await register();
  const { code, verifier } = await codeFor(c.client_id);
  const body = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: c.client_id, code_verifier: verifier };
  const first = await tokenRequest(body);
  assert.equal(first.status, 200);
  const { access_token } = await first.json();
  assert.notEqual(await mcpStatus(access_token), 401);
  const replay = await tokenRequest(body);
  assert.equal(replay.status, 400);
  assert.equal((await replay.json()).error, 'invalid_grant');
  assert.equal(await mcpStatus(access_token), 401, 'the grant behind the replayed code is revoked');
});

test('the code is bound to its client and redirect URI', async () => {
  const { body: c } = await register();
  const { body: other } = await register();
  const { code, verifier } = await codeFor(c.client_id);
  const wrongClient = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: other.client_id, code_verifier: verifier });
  assert.equal((await wrongClient.json()).error, 'invalid_grant');
  const wrongRedirect = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:1/other', client_id: c.client_id, code_verifier: verifier });
  assert.equal((await wrongRedirect.json()).error, 'invalid_grant');
  const ok = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: c.client_id, code_verifier: verifier });
  assert.equal(ok.status, 200, 'failed attempts did not use up the code');
});

test('a token for another resource is refused at /token (invalid_target)', async () => {
  const { body: c } = await register();
  const { code, verifier } = await codeFor(c.client_id);
  const r = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: c.client_id, code_verifier: verifier, resource: 'https://other.example/mcp' });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, 'invalid_target');
});

test('confidential clients: a wrong secret is invalid_client, 401 with a Basic challenge', async () => {
  const { status, body: c } = await register({ token_endpoint_auth_method: 'client_secret_basic' });
  assert.equal(status, 201);
  assert.ok(c.client_secret, 'the secret is returned once');
  const basic = (id, secret) => 'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');
  const { code, verifier } = await codeFor(c.client_id);
  const body = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier };
  const bad = await tokenRequest(body, { authorization: basic(c.client_id, 'wrong') });
  assert.equal(bad.status, 401);
  assert.equal((await bad.json()).error, 'invalid_client');
  assert.match(bad.headers.get('www-authenticate') ?? '', /^Basic/);
  const good = await tokenRequest(body, { authorization: basic(c.client_id, c.client_secret) });
  assert.equal(good.status, 200);
});

test('an unknown grant type is unsupported_grant_type; a non-form body is invalid_request', async () => {
  const { body: c } = await register();
  const r = await tokenRequest({ grant_type: 'password', username: 'a', password: 'b', client_id: c.client_id });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, 'unsupported_grant_type');
  const j = await fetch(`${stack.url}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(j.status, 400);
  assert.equal((await j.json()).error, 'invalid_request');
});

test('a tampered or foreign login state at /callback gets an error page and no code', async () => {
  const { body: c } = await register();
  const { challenge } = pkce();
  const browser = new Browser();
  // Walk up to the upstream login page, then answer the callback with a forged state.
  const first = await browser.follow(authorizeUrl({ client_id: c.client_id, code_challenge: challenge, code_challenge_method: 'S256' }));
  const html = await first.res.text();
  const toUpstream = await browser.submit(first.url, html, { button: 'approve' });
  assert.equal(toUpstream.res.status, 200, 'at the upstream login page');
  for (const state of ['forged', '']) {
    const r = await browser.request(`${stack.url}/callback?code=abc&state=${state}`);
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('location'), null);
  }
  // The real state from another browser (no cookie) is refused too.
  const loginUrl = new URL(browser.history.find((h) => h.location?.includes('/authorization'))?.location ?? 'http://x/');
  const realState = loginUrl.searchParams.get('state');
  assert.ok(realState);
  const foreign = await fetch(`${stack.url}/callback?code=abc&state=${realState}`, { redirect: 'manual' });
  assert.equal(foreign.status, 400);
});

test('registration refuses dangerous redirect URIs and malformed documents', async () => {
  for (const uri of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'data:text/html,x', 'file:///etc/passwd', 'http://evil.example/cb', 'https://a.example/cb#frag', ' https://a.example/cb', 'https://a.example/c\nb', 'vbscript:x']) {
    const { status, body } = await register({ redirect_uris: [uri] });
    assert.equal(status, 400, uri);
    assert.equal(body.error, 'invalid_redirect_uri', uri);
  }
  const r = await fetch(`${stack.url}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, 'invalid_client_metadata');
  const big = await fetch(`${stack.url}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [REDIRECT], client_name: 'x'.repeat(20000) }) });
  assert.equal(big.status, 413);
});

test('private-use schemes of desktop clients register (vscode:, cursor:), https works too', async () => {
  const { status } = await register({ redirect_uris: ['vscode://vscode.github-authentication/did-authenticate', 'https://vscode.dev/redirect', 'cursor://anysphere.cursor-retrieval/oauth/callback'] });
  assert.equal(status, 201);
});

test('registrations are rate limited per source', async () => {
  const limitedStack = await startStack({ vars: { REGISTRATIONS_PER_HOUR: '5' } });
  let limited;
  for (let i = 0; i < 10 && !limited; i++) {
    const r = await fetch(`${limitedStack.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.7' },
      body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
    });
    if (r.status === 429) limited = { r, i };
    else assert.equal(r.status, 201);
  }
  const other = await fetch(`${limitedStack.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.8' },
    body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
  });
  await limitedStack.close();
  assert.ok(limited, 'a 429 after the hourly allowance');
  assert.equal(limited.i, 5, 'exactly the allowance went through');
  assert.equal((await limited.r.json()).error, 'slow_down');
  assert.ok(Number(limited.r.headers.get('retry-after')) > 0);
  assert.equal(other.status, 201, 'another source is not limited');
});

test('the consent page forbids framing and loads nothing external', async () => {
  const { body: c } = await register();
  const { challenge } = pkce();
  const r = await fetch(authorizeUrl({ client_id: c.client_id, code_challenge: challenge, code_challenge_method: 'S256' }));
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
  assert.match(r.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  const cookie = r.headers.getSetCookie().find((c) => c.startsWith('__Host-'));
  assert.match(cookie, /; Secure/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  const html = await r.text();
  assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=["']?https?:/i);
  assert.match(html, /Attack test/);
});

test('HTML in a client name is escaped on the consent page', async () => {
  const { body: c } = await register({ client_name: '<script>alert(1)</script>' });
  const { challenge } = pkce();
  const html = await (await fetch(authorizeUrl({ client_id: c.client_id, code_challenge: challenge, code_challenge_method: 'S256' }))).text();
  assert.doesNotMatch(html, /<script>alert/);
  assert.match(html, /&lt;script&gt;/);
});

test('a consent form replayed without its cookie (CSRF) is refused', async () => {
  const { body: c } = await register();
  const { challenge } = pkce();
  const browser = new Browser();
  const first = await browser.follow(authorizeUrl({ client_id: c.client_id, code_challenge: challenge, code_challenge_method: 'S256' }));
  const html = await first.res.text();
  const attacker = new Browser();
  const r = await attacker.submit(first.url, html, { button: 'approve' });
  assert.equal(r.res.status, 400, 'no consent cookie in the attacker browser');
  const used = await browser.submit(first.url, html, { button: 'approve' });
  assert.equal(used.res.status, 200);
  const again = await browser.submit(first.url, html, { button: 'approve' });
  assert.equal(again.res.status, 400, 'the consent cookie is single use');
});

