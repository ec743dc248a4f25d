/**
 * Forged bearers create nothing (issue: "Forged bearers create nothing"). Tokens, codes and refresh
 * tokens are `<user_key>:<grant_id>:<tag>:<secret>`, where the tag is an HMAC of the user and grant
 * under a key only the Worker holds: a token of the right shape with an invented user or grant is
 * refused by the Worker before any Durable Object is touched, so forging costs the attacker a
 * request and the server nothing (on the old format every forged bearer instantiated a new object,
 * ran its migrations and left a database behind). The key rotates without breaking live grants.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startStack } from '../support/stack.mjs';
import { login } from '../support/oauth-client.mjs';
import { devToken } from '../support/tokens.mjs';
import { post, rpc } from '../support/mcp.mjs';

const form = (o) => new URLSearchParams(o).toString();
const b64 = (n) => randomBytes(n).toString('base64url');
const forged = () => `${randomBytes(16).toString('hex')}:${b64(16)}:${b64(16)}:${b64(32)}`;

/** Every SQLite database under `dir` (Miniflare keeps one per Durable Object instance). */
function databases(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.sqlite')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Runs `n` calls of `f`, `width` at a time. */
async function many(n, width, f) {
  const results = [];
  for (let i = 0; i < n; i += width) {
    results.push(...(await Promise.all(Array.from({ length: Math.min(width, n - i) }, (_, j) => f(i + j)))));
  }
  return results;
}

test('1,000 forged bearers, codes and refresh tokens are refused and no Durable Object is created', async () => {
  const stack = await startStack({ persist: true });
  try {
    const p = await login(stack.mcpUrl);
    const client_id = p.clientInformation().client_id;
    const real = await post(stack.url, p.tokens().access_token, rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } }));
    assert.equal(real.status, 200, 'a real token works');
    await real.body?.cancel();
    const before = databases(stack.stateDir);
    assert.ok(before.length > 0, 'the state directory holds the real objects');

    const bearers = await many(1000, 50, () => post(stack.url, forged(), rpc('ping')).then(async (r) => {
      const challenge = r.headers.get('www-authenticate');
      await r.body?.cancel();
      return { status: r.status, challenge };
    }));
    assert.deepEqual([...new Set(bearers.map((b) => b.status))], [401]);
    assert.ok(bearers.every((b) => /invalid_token/.test(b.challenge)), 'each answered with an RFC 6750 challenge');

    const token = (grant, field) => many(1000, 50, () => fetch(`${stack.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: grant, [field]: forged(), client_id, code_verifier: b64(32), redirect_uri: p.redirectUrl }),
    }).then(async (r) => ({ status: r.status, error: (await r.json()).error })));
    for (const [grant, field] of [['authorization_code', 'code'], ['refresh_token', 'refresh_token']]) {
      const answers = await token(grant, field);
      assert.deepEqual([...new Set(answers.map((a) => `${a.status} ${a.error}`))], ['400 invalid_grant'], grant);
    }
    const revokes = await many(200, 50, () => fetch(`${stack.url}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ token: forged(), client_id }),
    }).then((r) => r.status));
    assert.deepEqual([...new Set(revokes)], [200], 'RFC 7009 §2.2: an invalid token still gets 200');

    assert.deepEqual(databases(stack.stateDir), before, 'no Durable Object was instantiated by a forged token');
    // The real grant was not disturbed by any of it.
    const again = await post(stack.url, p.tokens().access_token, rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } }));
    assert.equal(again.status, 200);
    await again.body?.cancel();
  } finally {
    await stack.close();
  }
});

test('a real token with its tag altered, or in the earlier three-part format, is refused', async () => {
  const stack = await startStack({ vars: { DEV_MODE: '1' } });
  try {
    const { access_token } = await devToken(stack.url, 'tess@example.com');
    const [user, grant, tag, secret] = access_token.split(':');
    const flipped = `${user}:${grant}:${tag.slice(0, -1)}${tag.endsWith('A') ? 'B' : 'A'}:${secret}`;
    const threePart = `${user}:${grant}:${secret}`;
    for (const t of [flipped, threePart]) {
      const r = await post(stack.url, t, rpc('ping'));
      assert.equal(r.status, 401, t);
      await r.body?.cancel();
    }
  } finally {
    await stack.close();
  }
});

test('the routing key rotates without breaking live grants', async () => {
  const oldKey = randomBytes(32).toString('hex');
  const newKey = randomBytes(32).toString('hex');
  const stack = await startStack({ persist: true, vars: { COOKIE_ENCRYPTION_KEY: oldKey } });
  const init = (t) => post(stack.url, t, rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } }))
    .then(async (r) => { await r.body?.cancel(); return r.status; });
  try {
    const p = await login(stack.mcpUrl);
    const client_id = p.clientInformation().client_id;
    const before = p.tokens();
    assert.equal(await init(before.access_token), 200);

    // Deploy with the new key, keeping the old one as the previous key.
    await stack.worker.restart({ vars: { COOKIE_ENCRYPTION_KEY: newKey, COOKIE_ENCRYPTION_KEY_PREVIOUS: oldKey } });
    assert.equal(await init(before.access_token), 200, 'tokens made under the previous key still route');
    const r = await fetch(`${stack.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'refresh_token', refresh_token: before.refresh_token, client_id }),
    });
    assert.equal(r.status, 200, 'a refresh token made under the previous key still refreshes');
    const after = await r.json();
    assert.notEqual(after.access_token.split(':')[2], before.access_token.split(':')[2], 'the new tokens carry the new key\'s tag');

    // Drop the previous key: the refreshed grant lives on, tokens of the old key stop.
    await stack.worker.restart({ vars: { COOKIE_ENCRYPTION_KEY: newKey, COOKIE_ENCRYPTION_KEY_PREVIOUS: '' } });
    assert.equal(await init(after.access_token), 200, 'the refreshed grant works under the new key alone');
    assert.equal(await init(before.access_token), 401, 'a token of the dropped key is refused');
  } finally {
    await stack.close();
  }
});
