/**
 * No open redirector (RFC 9700 §4.11.2): anyone can register a client with any redirect URI, so an
 * invalid authorization request (no PKCE, a bad scope, a bad response_type) from a client this
 * browser never approved is answered with an error page naming the client as registered and the
 * problem — never a redirect to the registered URI. A client the user approved before still gets
 * its error redirects (with `error`, `state` and `iss`), as RFC 6749 §4.1.2.1 wants.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startStack } from '../support/stack.mjs';
import { walkLogin } from '../support/oauth-client.mjs';
import { Browser } from '../support/browser.mjs';

const REDIRECT = 'https://phishing.example/landing';
let stack;
before(async () => {
  stack = await startStack({ vars: { REGISTRATIONS_PER_HOUR: '1000' } });
});
after(async () => {
  await stack?.close();
});

async function register(client_name) {
  const r = await fetch(`${stack.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name, redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
  });
  assert.equal(r.status, 201);
  return (await r.json()).client_id;
}

const challenge = () => createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');

function authorizeUrl(client_id, params = {}) {
  const u = new URL(`${stack.url}/authorize`);
  const base = { response_type: 'code', client_id, redirect_uri: REDIRECT, state: 'st', code_challenge: challenge(), code_challenge_method: 'S256' };
  const all = { ...base, ...params };
  for (const [k, v] of Object.entries(all)) if (v === undefined) delete all[k];
  u.search = new URLSearchParams(all).toString();
  return u.toString();
}

const invalid = [
  { problem: 'no PKCE', params: { code_challenge: undefined, code_challenge_method: undefined }, error: 'invalid_request' },
  { problem: 'PKCE plain', params: { code_challenge_method: 'plain' }, error: 'invalid_request' },
  { problem: 'a malformed scope', params: { scope: 'mcp "x' }, error: 'invalid_scope' },
  { problem: 'response_type=token', params: { response_type: 'token' }, error: 'unsupported_response_type' },
  { problem: 'a foreign resource', params: { resource: 'https://other.example/mcp' }, error: 'invalid_target' },
];

test('a never-approved client gets an error page naming it and the problem, not a redirect', async () => {
  const name = 'Totally <b>Legit</b> & Co';
  const client_id = await register(name);
  for (const { problem, params, error } of invalid) {
    const r = await new Browser().request(authorizeUrl(client_id, params));
    assert.equal(r.status, 400, problem);
    assert.equal(r.headers.get('location'), null, `${problem}: no redirect`);
    assert.match(r.headers.get('content-type'), /text\/html/);
    const html = await r.text();
    assert.ok(html.includes('Totally &lt;b&gt;Legit&lt;/b&gt; &amp; Co'), `${problem}: the registered name, escaped`);
    assert.ok(!html.includes('<b>Legit'), problem);
    assert.ok(html.includes(client_id), `${problem}: the client id`);
    assert.ok(html.includes(error), `${problem}: the problem (${error})`);
    assert.ok(!html.includes('phishing.example'), `${problem}: no link to the redirect URI`);
  }
});

test('a client this browser approved before keeps its error redirects; another client in the same browser does not', async () => {
  const approved = await register('Approved app');
  const browser = new Browser();
  const back = await walkLogin(browser, authorizeUrl(approved), { redirectUrl: REDIRECT, user: { email: 'redirects@example.com' } });
  assert.ok(back.searchParams.get('code'), 'the user approved the client and logged in');
  for (const { problem, params, error } of invalid) {
    const r = await browser.request(authorizeUrl(approved, params));
    assert.equal(r.status, 302, problem);
    const loc = new URL(r.headers.get('location'));
    assert.equal(loc.origin + loc.pathname, REDIRECT, problem);
    assert.equal(loc.searchParams.get('error'), error, problem);
    assert.equal(loc.searchParams.get('state'), 'st', problem);
    assert.equal(loc.searchParams.get('iss'), stack.url, problem);
  }
  const other = await register('Other app');
  const r = await browser.request(authorizeUrl(other, invalid[0].params));
  assert.equal(r.status, 400, 'the approval was for the other client only');
  assert.equal(r.headers.get('location'), null);
});
