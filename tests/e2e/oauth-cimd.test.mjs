/**
 * Client ID Metadata Documents (off by default; `CLIENT_METADATA_DOCUMENTS=1`): a client whose
 * `client_id` is the URL of its metadata document logs in without registering; the document must
 * name its own URL and obey the registration rules. (Documents must be https; local development
 * on loopback, with DEV_MODE, may serve them over http, as this test does.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { startStack } from '../support/stack.mjs';
import { walkLogin } from '../support/oauth-client.mjs';
import { Browser } from '../support/browser.mjs';

const REDIRECT = 'http://127.0.0.1:1/cb';
let docs;
let docsUrl;
let stack;
let fetched = 0;
const served = new Map();

before(async () => {
  docs = createServer((req, res) => {
    fetched++;
    const body = served.get(req.url);
    res.statusCode = body ? 200 : 404;
    res.setHeader('content-type', 'application/json');
    res.end(body ?? '{}');
  });
  await new Promise((r) => docs.listen(0, '127.0.0.1', r));
  docsUrl = `http://127.0.0.1:${docs.address().port}`;
  served.set('/good.json', JSON.stringify({ client_id: `${docsUrl}/good.json`, client_name: 'Document Client', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }));
  served.set('/liar.json', JSON.stringify({ client_id: 'https://someone-else.example/c.json', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }));
  stack = await startStack({ vars: { CLIENT_METADATA_DOCUMENTS: '1' } });
});

after(async () => {
  await stack?.close();
  await new Promise((r) => docs.close(r));
});

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(client_id, challenge) {
  const u = new URL(`${stack.url}/authorize`);
  u.search = new URLSearchParams({ response_type: 'code', client_id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 's' }).toString();
  return u.toString();
}

test('the metadata says so when documents are on', async () => {
  const m = await (await fetch(`${stack.url}/.well-known/oauth-authorization-server`)).json();
  assert.equal(m.client_id_metadata_document_supported, true);
});

test('a client identified by its document URL logs in, gets tokens and opens /mcp', async () => {
  const clientId = `${docsUrl}/good.json`;
  const { verifier, challenge } = pkce();
  const browser = new Browser();
  const first = await browser.follow(authorizeUrl(clientId, challenge));
  assert.match(await first.res.clone().text(), /Document Client/, 'the consent page names the client from its document');
  const back = await walkLogin(browser, authorizeUrl(clientId, challenge), { redirectUrl: REDIRECT, user: { email: 'cimd@example.com' } });
  const code = back.searchParams.get('code');
  assert.ok(code);
  const t = await fetch(`${stack.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: clientId, code_verifier: verifier }),
  });
  assert.equal(t.status, 200);
  const { access_token } = await t.json();
  const r = await fetch(stack.mcpUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'cimd', version: '1' } } }),
  });
  assert.equal(r.status, 200);
});

test('documents are cached, not fetched on every request', async () => {
  const before = fetched;
  const { challenge } = pkce();
  for (let i = 0; i < 3; i++) await fetch(authorizeUrl(`${docsUrl}/good.json`, challenge), { redirect: 'manual' });
  assert.ok(fetched - before <= 1, `fetched ${fetched - before} times`);
});

test('a document that names another client_id, or none, is an unknown client (error page, no redirect)', async () => {
  const { challenge } = pkce();
  for (const path of ['/liar.json', '/missing.json']) {
    const r = await fetch(authorizeUrl(`${docsUrl}${path}`, challenge), { redirect: 'manual' });
    assert.equal(r.status, 400, path);
    assert.equal(r.headers.get('location'), null, path);
  }
});

test('off by default: a URL client id is just an unknown client', async () => {
  const plain = await startStack();
  try {
    const m = await (await fetch(`${plain.url}/.well-known/oauth-authorization-server`)).json();
    assert.equal(m.client_id_metadata_document_supported, undefined);
    const { challenge } = pkce();
    const u = new URL(`${plain.url}/authorize`);
    u.search = new URLSearchParams({ response_type: 'code', client_id: `${docsUrl}/good.json`, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256' }).toString();
    const r = await fetch(u, { redirect: 'manual' });
    assert.equal(r.status, 400);
  } finally {
    await plain.close();
  }
});
