/**
 * VS Code as an OAuth client, request for request: it discovers the login from the 401 (RFC 9728 →
 * RFC 8414), registers with its own body (client_name "Visual Studio Code", the loopback
 * `http://127.0.0.1:33418/` and `https://vscode.dev/redirect`, a public client), and then signs in
 * either through a loopback listener on whatever port is free (RFC 8252 §7.3: only the port may
 * differ from the registered loopback URI) or through `https://vscode.dev/redirect` (the web and
 * remote case). Both flows end with a token that opens /mcp, and a refresh. The README's VS Code
 * `mcp.json` snippet must be valid JSON pointing at /mcp.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startStack, freePort } from '../support/stack.mjs';
import { ROOT } from '../support/worker.mjs';
import { Browser } from '../support/browser.mjs';
import { walkLogin } from '../support/oauth-client.mjs';
import { connect, tool } from '../support/mcp-tools.mjs';

/** The registration body VS Code sends (its dynamic authentication provider). */
const VSCODE_REGISTRATION = {
  client_name: 'Visual Studio Code',
  client_uri: 'https://code.visualstudio.com',
  redirect_uris: ['http://127.0.0.1:33418/', 'https://vscode.dev/redirect'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
};

let stack;
let metadata; // RFC 8414
let client; // the registration response

before(async () => {
  stack = await startStack();
});

after(async () => {
  await stack?.close();
});

const form = (o) => new URLSearchParams(o).toString();
const tokenRequest = (body) =>
  fetch(metadata.token_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form(body) });

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl({ redirectUri, challenge, state, scope }) {
  const u = new URL(metadata.authorization_endpoint);
  u.search = form({
    client_id: client.client_id,
    response_type: 'code',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    redirect_uri: redirectUri,
    state,
    resource: stack.mcpUrl,
    ...(scope ? { scope } : {}),
  });
  return u.toString();
}

/** authorize → consent (Approve) → upstream login → the redirect URI; returns the redirect URL. */
async function signIn(redirectUri, email) {
  const { verifier, challenge } = pkce();
  const state = randomBytes(16).toString('base64url');
  const consent = [];
  const browser = new Browser();
  const end = await walkLogin(browser, authorizeUrl({ redirectUri, challenge, state, scope: scopes() }), {
    redirectUrl: redirectUri,
    user: { email },
    onConsent: () => consent.push(browser.history.at(-1)),
  });
  assert.equal(end.searchParams.get('state'), state);
  assert.equal(end.searchParams.get('iss'), metadata.issuer, 'RFC 9207 iss');
  assert.ok(end.searchParams.get('code'), `no code in ${end}`);
  assert.equal(consent.length, 1, 'one consent page');
  return { end, verifier, code: end.searchParams.get('code') };
}

let prm;
const scopes = () => (prm?.scopes_supported ?? []).join(' ') || undefined;

test('discovery from the 401, then registration with VS Code\'s body', async () => {
  const r = await fetch(stack.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'Visual Studio Code', version: '1.110.0' } } }),
  });
  assert.equal(r.status, 401);
  const www = r.headers.get('www-authenticate') ?? '';
  const prmUrl = www.match(/resource_metadata="([^"]+)"/)?.[1];
  assert.ok(prmUrl, `resource_metadata in WWW-Authenticate: ${www}`);
  prm = await (await fetch(prmUrl)).json();
  assert.equal(prm.resource, stack.mcpUrl);
  const as = new URL(prm.authorization_servers[0]);
  metadata = await (await fetch(new URL('/.well-known/oauth-authorization-server', as))).json();
  assert.equal(metadata.issuer, stack.url);
  assert.ok(metadata.code_challenge_methods_supported.includes('S256'));
  assert.ok(metadata.token_endpoint_auth_methods_supported?.includes('none'), 'public clients');

  const reg = await fetch(metadata.registration_endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(VSCODE_REGISTRATION) });
  assert.equal(reg.status, 201, await reg.clone().text());
  client = await reg.json();
  assert.ok(client.client_id);
  assert.equal(client.client_secret, undefined, 'a public client gets no secret');
  assert.equal(client.client_name, 'Visual Studio Code');
  assert.deepEqual(client.redirect_uris, VSCODE_REGISTRATION.redirect_uris);
  assert.equal(client.token_endpoint_auth_method, 'none');
  assert.deepEqual(client.grant_types, ['authorization_code', 'refresh_token']);
});

test('loopback sign-in on a port other than the registered one (RFC 8252): code reaches the listener, token opens /mcp, refresh works', async () => {
  // VS Code's loopback listener: whatever port is free, path "/".
  const received = [];
  const listener = createServer((req, res) => {
    received.push(new URL(req.url, 'http://127.0.0.1'));
    res.end('You can close this page.');
  });
  await new Promise((r) => listener.listen(0, '127.0.0.1', r));
  const port = listener.address().port;
  assert.notEqual(port, 33418);
  const redirectUri = `http://127.0.0.1:${port}/`;
  try {
    const { end, verifier, code } = await signIn(redirectUri, 'vscode@example.com');
    assert.equal(`${end.origin}${end.pathname}`, redirectUri);
    // The browser's last hop: the redirect lands on VS Code's listener.
    assert.equal((await fetch(end)).status, 200);
    assert.equal(received.length, 1);
    assert.equal(received[0].searchParams.get('code'), code);

    // The token request must name the same redirect URI as the authorization request.
    const t = await tokenRequest({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: client.client_id, resource: stack.mcpUrl });
    assert.equal(t.status, 200, await t.clone().text());
    const tokens = await t.json();
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.ok(tokens.refresh_token);

    const mcp = await connect(stack.url, tokens.access_token, 'Visual Studio Code');
    await tool(mcp, 'put_object', { key: 'vscode/loopback.txt', content: 'from the loopback flow' });
    assert.deepEqual((await tool(mcp, 'list_objects', { prefix: 'vscode/' })).objects.map((o) => o.key), ['vscode/loopback.txt']);
    await mcp.close();

    const rt = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.client_id });
    assert.equal(rt.status, 200, await rt.clone().text());
    const refreshed = await rt.json();
    assert.notEqual(refreshed.access_token, tokens.access_token);
    const again = await connect(stack.url, refreshed.access_token, 'Visual Studio Code');
    assert.deepEqual((await tool(again, 'list_objects', { prefix: 'vscode/' })).objects.map((o) => o.key), ['vscode/loopback.txt']);
    await again.close();
  } finally {
    await new Promise((r) => listener.close(r));
  }
});

test('a code issued for one loopback port cannot be redeemed naming another redirect URI', async () => {
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}/`;
  const { verifier, code } = await signIn(redirectUri, 'vscode@example.com');
  const t = await tokenRequest({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: 'http://127.0.0.1:33418/', client_id: client.client_id, resource: stack.mcpUrl });
  assert.equal(t.status, 400, await t.clone().text());
  assert.equal((await t.json()).error, 'invalid_grant');
});

test('only the port of a registered loopback URI may vary: another path or a non-loopback host is refused', async () => {
  const port = await freePort();
  for (const redirectUri of [`http://127.0.0.1:${port}/elsewhere`, `http://example.com:${port}/`, `http://127.0.0.2:${port}/`, 'https://vscode.dev/redirect/../evil']) {
    const { challenge } = pkce();
    const r = await fetch(authorizeUrl({ redirectUri, challenge, state: 's' }), { redirect: 'manual' });
    // An unregistered redirect URI is never redirected to (RFC 6749 §4.1.2.1): an error page instead.
    assert.equal(r.status, 400, `${redirectUri}: ${r.status} ${r.headers.get('location') ?? ''}`);
    assert.equal(r.headers.get('location'), null, redirectUri);
  }
});

test('sign-in through https://vscode.dev/redirect: the code comes back there and redeems', async () => {
  const redirectUri = 'https://vscode.dev/redirect';
  const { end, verifier, code } = await signIn(redirectUri, 'vscode-web@example.com');
  assert.equal(`${end.origin}${end.pathname}`, redirectUri);
  const t = await tokenRequest({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: client.client_id, resource: stack.mcpUrl });
  assert.equal(t.status, 200, await t.clone().text());
  const tokens = await t.json();
  const mcp = await connect(stack.url, tokens.access_token, 'Visual Studio Code');
  assert.deepEqual((await tool(mcp, 'list_objects', {})).objects, [], 'a different user: an empty namespace');
  await mcp.close();
});

test('the README\'s VS Code mcp.json snippet is valid JSON for an http server at /mcp', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('**VS Code**');
  assert.ok(at >= 0, 'README has a VS Code entry');
  const block = readme.slice(at).match(/```json\n([\s\S]*?)```/);
  assert.ok(block, 'a ```json block follows the VS Code entry');
  const config = JSON.parse(block[1]);
  const servers = Object.values(config.servers ?? {});
  assert.equal(servers.length, 1, JSON.stringify(config));
  assert.equal(servers[0].type, 'http');
  assert.match(servers[0].url, /^https:\/\/[^/]+\/mcp$/);
  // The other JSON the README gives for clients parses too (Cursor's is inline, Claude Desktop's a block).
  const cursor = readme.match(/\*\*Cursor\*\*[^\n]*`(\{[^`]+\})`/);
  assert.ok(cursor, 'Cursor snippet');
  assert.match(JSON.parse(cursor[1]).mcpServers.r2.url, /\/mcp$/);
  const claude = readme.slice(readme.indexOf('**Claude Desktop')).match(/```json\n([\s\S]*?)```/);
  assert.deepEqual(JSON.parse(claude[1]).mcpServers.r2.args.slice(0, 1), ['mcp-remote']);
});
