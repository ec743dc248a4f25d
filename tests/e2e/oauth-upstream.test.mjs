/**
 * The upstream leg against a hostile OpenID Provider: every forged or broken id_token is refused
 * with an error page and no code (alg none, HS256 key confusion, wrong aud/iss/nonce, expired, not
 * yet valid, unknown kid, bad signature); the JWKS is cached and refetched once on key rotation,
 * and made-up key ids refetch it at most once a minute;
 * an upstream `invalid_grant` on refresh ends our grant; a dead provider fails logins clearly while
 * existing tokens keep working.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../support/stack.mjs';
import { login, TestOAuthProvider } from '../support/oauth-client.mjs';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';

const form = (o) => new URLSearchParams(o).toString();

for (const alg of ['RS256', 'ES256']) {
  test(`id_tokens signed with ${alg} are accepted when everything checks out`, async () => {
    const stack = await startStack({ idp: 'rogue', idpOptions: { alg } });
    try {
      const p = await login(stack.mcpUrl);
      assert.ok(p.tokens().access_token);
      assert.equal(stack.idp.stats.lastToken.client_auth, 'basic', 'client_secret_basic upstream');
      assert.ok(stack.idp.stats.lastAuthorize.code_challenge, 'PKCE upstream');
      assert.equal(stack.idp.stats.lastAuthorize.code_challenge_method, 'S256');
      assert.ok(stack.idp.stats.lastAuthorize.nonce, 'nonce upstream');
      assert.match(stack.idp.stats.lastAuthorize.scope, /openid/);
    } finally {
      await stack.close();
    }
  });
}

test('every forged or broken id_token is refused with an error page and no code', async () => {
  const stack = await startStack({ idp: 'rogue' });
  try {
    const bad = ['alg-none', 'hs256', 'hs256-secret', 'wrong-aud', 'wrong-iss', 'wrong-nonce', 'missing-nonce', 'expired', 'not-yet-valid', 'iat-future', 'unknown-kid', 'bad-signature'];
    for (const mode of bad) {
      stack.idp.setMode(mode);
      const p = new TestOAuthProvider();
      const attempt = auth(p, { serverUrl: stack.mcpUrl });
      await assert.rejects(attempt, /stopped at .*\/callback.* with 400: [\s\S]*could not be verified/, mode);
      assert.equal(p.tokens(), undefined, mode);
    }
  } finally {
    await stack.close();
  }
});

test('the JWKS is cached, and refetched once when the provider rotates its key', async () => {
  const stack = await startStack({ idp: 'rogue' });
  try {
    await login(stack.mcpUrl);
    await login(stack.mcpUrl);
    assert.equal(stack.idp.stats.jwksFetches, 1, 'one fetch for two logins');
    stack.idp.setMode('rotated');
    await login(stack.mcpUrl);
    assert.equal(stack.idp.stats.jwksFetches, 2, 'one refetch on the unknown kid');
    await login(stack.mcpUrl);
    assert.equal(stack.idp.stats.jwksFetches, 2);
  } finally {
    await stack.close();
  }
});

test('id_tokens naming unknown keys refetch the JWKS at most once a minute', async () => {
  const stack = await startStack({ idp: 'rogue' });
  try {
    await login(stack.mcpUrl);
    assert.equal(stack.idp.stats.jwksFetches, 1);
    stack.idp.setMode('unknown-kid');
    for (let i = 0; i < 5; i++) {
      const p = new TestOAuthProvider();
      await assert.rejects(auth(p, { serverUrl: stack.mcpUrl }), /could not be verified/);
    }
    assert.equal(stack.idp.stats.jwksFetches, 2, 'five made-up kids, one refetch');
    stack.idp.setMode('ok');
    await login(stack.mcpUrl);
    assert.equal(stack.idp.stats.jwksFetches, 2, 'the known key is still served from the cache');
  } finally {
    await stack.close();
  }
});

test('refreshing our grant refreshes upstream; an upstream invalid_grant ends our grant', async () => {
  // Every refresh checks the upstream (by default only those 5 minutes after the last check).
  const stack = await startStack({ idp: 'rogue', vars: { UPSTREAM_RECHECK_SECS: '0' } });
  try {
    const p = await login(stack.mcpUrl);
    const { client_id } = p.clientInformation();
    const refresh = (rt) =>
      fetch(`${stack.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ grant_type: 'refresh_token', refresh_token: rt, client_id }) });
    const r1 = await refresh(p.tokens().refresh_token);
    assert.equal(r1.status, 200);
    assert.equal(stack.idp.stats.refreshGrants, 1, 'the upstream session was refreshed too');
    const t1 = await r1.json();
    stack.idp.setMode('refresh-invalid-grant');
    const r2 = await refresh(t1.refresh_token);
    assert.equal(r2.status, 400);
    assert.equal((await r2.json()).error, 'invalid_grant');
    const mcp = await fetch(stack.mcpUrl, { method: 'POST', headers: { authorization: `Bearer ${t1.access_token}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(mcp.status, 401, 'the Access session bounds the MCP grant');
  } finally {
    await stack.close();
  }
});

test('with the provider down, logins fail with a clear page and existing tokens keep working', async () => {
  const stack = await startStack({ idp: 'rogue', persist: true });
  try {
    const p = await login(stack.mcpUrl);
    const token = p.tokens().access_token;
    await stack.idp.close();
    await stack.worker.restart(); // a fresh isolate has no cached discovery
    const fresh = new TestOAuthProvider();
    await assert.rejects(auth(fresh, { serverUrl: stack.mcpUrl }), /with 502: [\s\S]*login service is unavailable/);
    const mcp = await fetch(stack.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    assert.notEqual(mcp.status, 401);
    assert.ok(mcp.status < 500, `existing token still served (${mcp.status})`);
  } finally {
    await stack.close();
  }
});
