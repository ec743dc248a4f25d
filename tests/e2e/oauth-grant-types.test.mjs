/**
 * /token honours the grant types a client registered (RFC 7591 §2, RFC 6749 §5.2): a client that
 * registered only `authorization_code` gets no refresh token from its code and `unauthorized_client`
 * for a refresh grant; a client cannot register without `authorization_code` (it could never get a
 * grant). A registration that omits `grant_types` gets both: many MCP clients leave it out and
 * still rely on refresh tokens.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startStack } from '../support/stack.mjs';
import { walkLogin } from '../support/oauth-client.mjs';
import { Browser } from '../support/browser.mjs';

const REDIRECT = 'http://127.0.0.1:1/cb';
let stack;
before(async () => {
  stack = await startStack({ vars: { REGISTRATIONS_PER_HOUR: '1000' } });
});
after(async () => {
  await stack?.close();
});

async function register(extra) {
  const r = await fetch(`${stack.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Grant types', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', ...extra }),
  });
  return { status: r.status, body: await r.json() };
}

const token = (body) =>
  fetch(`${stack.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() });

async function tokensFor(client_id) {
  const verifier = randomBytes(32).toString('base64url');
  const u = new URL(`${stack.url}/authorize`);
  u.search = new URLSearchParams({
    response_type: 'code', client_id, redirect_uri: REDIRECT, state: 's',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  }).toString();
  const back = await walkLogin(new Browser(), u.toString(), { redirectUrl: REDIRECT, user: { email: 'grants@example.com' } });
  const r = await token({ grant_type: 'authorization_code', code: back.searchParams.get('code'), redirect_uri: REDIRECT, client_id, code_verifier: verifier });
  assert.equal(r.status, 200);
  return r.json();
}

const mcpStatus = async (accessToken) =>
  (
    await fetch(stack.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    })
  ).status;

test('a client that registered only authorization_code gets no refresh token, and unauthorized_client for a refresh grant', async () => {
  const { status, body: c } = await register({ grant_types: ['authorization_code'] });
  assert.equal(status, 201);
  assert.deepEqual(c.grant_types, ['authorization_code']);
  const t = await tokensFor(c.client_id);
  assert.ok(t.access_token);
  assert.equal(t.refresh_token, undefined, 'no refresh token in the answer');
  assert.notEqual(await mcpStatus(t.access_token), 401, 'the access token works');

  // Another client's real refresh token, presented by this client: refused for the grant type.
  const { body: other } = await register({});
  const ot = await tokensFor(other.client_id);
  const r = await token({ grant_type: 'refresh_token', refresh_token: ot.refresh_token, client_id: c.client_id });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, 'unauthorized_client');
  const own = await token({ grant_type: 'refresh_token', refresh_token: 'anything', client_id: c.client_id });
  assert.equal((await own.json()).error, 'unauthorized_client');
  const stillOk = await token({ grant_type: 'refresh_token', refresh_token: ot.refresh_token, client_id: other.client_id });
  assert.equal(stillOk.status, 200, "the refused attempt changed nothing for the token's own client");
});

test('a registration without grant_types gets authorization_code and refresh_token, and refreshes', async () => {
  const { status, body: c } = await register({});
  assert.equal(status, 201);
  assert.deepEqual(c.grant_types, ['authorization_code', 'refresh_token']);
  const t = await tokensFor(c.client_id);
  assert.ok(t.refresh_token);
  const r = await token({ grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: c.client_id });
  assert.equal(r.status, 200);
  assert.ok((await r.json()).refresh_token, 'rotated');
});

test('explicitly registering both works the same', async () => {
  const { body: c } = await register({ grant_types: ['authorization_code', 'refresh_token'] });
  const t = await tokensFor(c.client_id);
  assert.ok(t.refresh_token);
});

test('a client cannot register without authorization_code, so it can never redeem a code', async () => {
  for (const grant_types of [['refresh_token'], []]) {
    const { status, body } = await register({ grant_types });
    assert.equal(status, 400, JSON.stringify(grant_types));
    assert.equal(body.error, 'invalid_client_metadata');
  }
});
