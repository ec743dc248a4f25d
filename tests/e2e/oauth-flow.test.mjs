/**
 * OAuth 2.1 end to end with the official TypeScript MCP SDK client and the local OpenID Provider:
 * discovery (RFC 9728 → RFC 8414), dynamic registration, authorize → consent → upstream login →
 * callback → token, an authenticated /mcp call, refresh rotation, and revocation.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../support/stack.mjs';
import { login, walkLogin, TestOAuthProvider } from '../support/oauth-client.mjs';
import { Browser } from '../support/browser.mjs';

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

const form = (o) => new URLSearchParams(o).toString();
const post = (url, body, headers = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: form(body) });
const mcpPing = (token) =>
  fetch(stack.mcpUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
  });

test('RFC 9728 protected-resource metadata names this resource and its authorization server', async () => {
  for (const p of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
    const r = await fetch(stack.url + p);
    assert.equal(r.status, 200, p);
    const m = await r.json();
    assert.equal(m.resource, stack.mcpUrl);
    assert.deepEqual(m.authorization_servers, [stack.url]);
    assert.deepEqual(m.bearer_methods_supported, ['header']);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
  }
});

test('RFC 8414 metadata: exact issuer, S256 only, iss in responses, all endpoints, at every path clients try', async () => {
  for (const p of ['/.well-known/oauth-authorization-server', '/.well-known/oauth-authorization-server/mcp', '/.well-known/openid-configuration', '/mcp/.well-known/openid-configuration']) {
    const r = await fetch(stack.url + p);
    assert.equal(r.status, 200, p);
    const m = await r.json();
    assert.equal(m.issuer, stack.url);
    assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
    assert.equal(m.authorization_response_iss_parameter_supported, true);
    for (const k of ['authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'revocation_endpoint']) assert.ok(m[k]?.startsWith(stack.url), k);
  }
});

test('the SDK client completes the whole flow and its token opens /mcp', async () => {
  const p = await login(stack.mcpUrl, { user: { email: 'alice@example.com' } });
  const tokens = p.tokens();
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.ok(tokens.refresh_token);
  assert.equal(p.consentPages, 1);
  const r = await mcpPing(tokens.access_token);
  assert.notEqual(r.status, 401, await r.clone().text());
  assert.equal(p.lastRedirect.searchParams.get('iss'), stack.url, 'RFC 9207 iss on the redirect');
});

test('refresh rotates: the old refresh token works until the new one is used, then reuse revokes the grant', async () => {
  const p = await login(stack.mcpUrl, { user: { email: 'rotate@example.com' } });
  const { client_id } = p.clientInformation();
  const r0 = p.tokens().refresh_token;
  const refresh = (rt) => post(`${stack.url}/token`, { grant_type: 'refresh_token', refresh_token: rt, client_id });
  const a = await refresh(r0);
  assert.equal(a.status, 200);
  assert.equal(a.headers.get('cache-control'), 'no-store');
  const t1 = await a.json();
  assert.notEqual(t1.refresh_token, r0);
  // The client may not have stored t1: r0 still works once more, replacing t1.
  const b = await refresh(r0);
  assert.equal(b.status, 200, 'previous refresh token stays valid until the new one is used');
  const t2 = await b.json();
  // Using t2 retires r0; presenting r0 again revokes the whole grant.
  assert.equal((await refresh(t2.refresh_token)).status, 200);
  const reuse = await refresh(r0);
  assert.equal(reuse.status, 400);
  assert.equal((await reuse.json()).error, 'invalid_grant');
  assert.equal((await mcpPing(t2.access_token)).status, 401, 'the grant is revoked');
});

test('revocation (RFC 7009) ends the grant: its access token stops working at once', async () => {
  const p = await login(stack.mcpUrl, { user: { email: 'revoke@example.com' } });
  const { client_id } = p.clientInformation();
  const { access_token } = p.tokens();
  assert.notEqual((await mcpPing(access_token)).status, 401);
  const r = await post(`${stack.url}/revoke`, { token: access_token, client_id });
  assert.equal(r.status, 200);
  const after = await mcpPing(access_token);
  assert.equal(after.status, 401);
  assert.match(after.headers.get('www-authenticate'), /error="invalid_token"/);
});

test('an approval is remembered per client in this browser; a new client asks again', async () => {
  const browser = new Browser();
  const a = await login(stack.mcpUrl, { browser, user: { email: 'remember@example.com' } });
  assert.equal(a.consentPages, 1);
  // Same client, same browser: straight to the upstream login (which remembers the session too).
  const again = new TestOAuthProvider({ browser, user: { email: 'remember@example.com' } });
  again.saveClientInformation(a.clientInformation());
  const url = new URL(`${stack.url}/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: a.clientInformation().client_id, redirect_uri: a.redirectUrl,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCQaoeCZTQkZk9ceAW6yWTeM', code_challenge_method: 'S256', state: 's1',
  }).toString();
  const back = await walkLogin(browser, url.toString(), { redirectUrl: a.redirectUrl, user: again.user, onConsent: () => again.consentPages++ });
  assert.equal(again.consentPages, 0);
  assert.ok(back.searchParams.get('code'));
  // Another client in the same browser sees the consent page.
  const b = await login(stack.mcpUrl, { browser, clientName: 'Other', user: { email: 'remember@example.com' } });
  assert.equal(b.consentPages, 1);
});

test('Deny sends access_denied back to the client with state and iss', async () => {
  const p = new TestOAuthProvider({ decision: 'deny' });
  const reg = await fetch(`${stack.url}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(p.clientMetadata) });
  assert.equal(reg.status, 201);
  const client = await reg.json();
  const url = new URL(`${stack.url}/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: client.client_id, redirect_uri: p.redirectUrl,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCQaoeCZTQkZk9ceAW6yWTeM', code_challenge_method: 'S256', state: 'xyz',
  }).toString();
  const back = await walkLogin(p.browser, url.toString(), { redirectUrl: p.redirectUrl, user: p.user, decision: 'deny' });
  assert.equal(back.searchParams.get('error'), 'access_denied');
  assert.equal(back.searchParams.get('state'), 'xyz');
  assert.equal(back.searchParams.get('iss'), stack.url);
});
