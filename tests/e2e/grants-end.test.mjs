/**
 * A grant that ends takes everything it opened with it (issue: "Revocation ends everything the
 * grant opened"). For each way a grant ends — the RFC 7009 revocation endpoint, a replayed
 * authorization code, a reused retired refresh token, an upstream `invalid_grant` at refresh, and
 * the grant's expiry — the session's GET stream, a 2026-07-28 `subscriptions/listen` stream and an
 * SSE answer still running (a sampling request waiting for the client) all close within a second,
 * no notification reaches them afterwards, the old token is refused, and a fresh login presenting
 * the old session id gets 404 (it starts again with `initialize`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { startStack } from '../support/stack.mjs';
import { login, TestOAuthProvider } from '../support/oauth-client.mjs';
import { post, rpc, modernRpc, rawSession, LATEST, MODERN } from '../support/mcp.mjs';

const form = (o) => new URLSearchParams(o).toString();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Reads an SSE response until it ends; `ended` resolves to the time (ms) it did. */
function watch(response) {
  const w = { events: [], endedAt: null };
  w.ended = (async () => {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
          if (data) w.events.push(JSON.parse(data));
        }
      }
    } catch {
      // a reset connection ends the stream too
    }
    w.endedAt = Date.now();
    return w.endedAt;
  })();
  return w;
}

/** Opens, with `token`, everything a grant can keep open: a session with its GET stream and an
 * SSE answer waiting for the client, and a 2026-07-28 listen stream. */
async function openEverything(stack, token) {
  const sessionId = await rawSession(stack.url, token, LATEST, { sampling: {} });
  const h = { 'Mcp-Session-Id': sessionId, 'MCP-Protocol-Version': LATEST };
  const get = await fetch(stack.mcpUrl, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream', ...h } });
  assert.equal(get.status, 200, 'GET stream');
  const sub = await post(stack.url, token, rpc('resources/subscribe', { uri: 'r2://objects/watched.txt' }, 'sub'), h);
  assert.equal(sub.status, 200);
  await sub.body?.cancel();
  const ask = await post(stack.url, token, rpc('tools/call', { name: 'test_sampling', arguments: { prompt: 'hi' } }, 'ask'), h);
  assert.match(ask.headers.get('content-type'), /^text\/event-stream/, 'a running SSE answer');
  const listenBody = modernRpc('subscriptions/listen', { notifications: { resourcesListChanged: true, resourceSubscriptions: ['r2://objects/watched.txt'] } }, 'L');
  const listen = await post(stack.url, token, listenBody, { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'subscriptions/listen' });
  assert.equal(listen.status, 200, 'listen stream');
  const streams = { get: watch(get), ask: watch(ask), listen: watch(listen) };
  await sleep(300);
  return { sessionId, streams };
}

/** A write by another grant of the same user, which every live stream of the user would hear. */
async function writeElsewhere(stack, user) {
  const other = await login(stack.mcpUrl, { user });
  const r = await post(stack.url, other.tokens().access_token, modernRpc('tools/call', { name: 'put_object', arguments: { key: 'watched.txt', content: String(Date.now()) } }), {
    'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'tools/call', 'Mcp-Name': 'put_object',
  });
  assert.equal(r.status, 200);
  assert.notEqual((await r.json()).result.isError, true);
  return other;
}

/** Everything `opened` is over within `withinMs` of `endedAt`, and the grant's leftovers are refused. */
async function assertAllEnded(stack, opened, token, endedAt, user, withinMs = 1000) {
  const ends = await Promise.race([
    Promise.all(Object.values(opened.streams).map((w) => w.ended)),
    sleep(5000).then(() => null),
  ]);
  assert.ok(ends, `streams still open 5 s later: ${Object.entries(opened.streams).filter(([, w]) => !w.endedAt).map(([k]) => k)}`);
  for (const [name, w] of Object.entries(opened.streams)) {
    assert.ok(w.endedAt - endedAt <= withinMs, `${name} closed ${w.endedAt - endedAt} ms after the grant ended`);
  }
  const heard = Object.values(opened.streams).map((w) => w.events.length);
  const other = await writeElsewhere(stack, user);
  await sleep(300);
  assert.deepEqual(Object.values(opened.streams).map((w) => w.events.length), heard, 'nothing reaches a closed stream');
  const old = await post(stack.url, token, rpc('ping'), { 'Mcp-Session-Id': opened.sessionId, 'MCP-Protocol-Version': LATEST });
  assert.equal(old.status, 401, 'the ended grant\'s token is refused');
  const fresh = await post(stack.url, other.tokens().access_token, rpc('ping'), { 'Mcp-Session-Id': opened.sessionId, 'MCP-Protocol-Version': LATEST });
  assert.equal(fresh.status, 404, 'a fresh login must start a new session');
}

const USER = { email: 'grace@example.com' };

test('the revocation endpoint ends the grant\'s sessions and streams', async () => {
  const stack = await startStack({ vars: { MCP_CONFORMANCE: '1' } });
  try {
    const p = await login(stack.mcpUrl, { user: USER });
    const opened = await openEverything(stack, p.tokens().access_token);
    const r = await fetch(`${stack.url}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ token: p.tokens().refresh_token, client_id: p.clientInformation().client_id }),
    });
    assert.equal(r.status, 200);
    await assertAllEnded(stack, opened, p.tokens().access_token, Date.now(), USER);
  } finally {
    await stack.close();
  }
});

test('a replayed authorization code ends the grant it opened, streams included', async () => {
  const stack = await startStack({ vars: { MCP_CONFORMANCE: '1' } });
  try {
    const p = new TestOAuthProvider({ user: USER });
    assert.equal(await auth(p, { serverUrl: stack.mcpUrl }), 'REDIRECT');
    const code = p.lastRedirect.searchParams.get('code');
    assert.equal(await auth(p, { serverUrl: stack.mcpUrl, authorizationCode: code }), 'AUTHORIZED');
    const opened = await openEverything(stack, p.tokens().access_token);
    const replay = await fetch(`${stack.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'authorization_code', code, code_verifier: p.codeVerifier(), redirect_uri: p.redirectUrl, client_id: p.clientInformation().client_id }),
    });
    assert.equal(replay.status, 400);
    assert.equal((await replay.json()).error, 'invalid_grant');
    await assertAllEnded(stack, opened, p.tokens().access_token, Date.now(), USER);
  } finally {
    await stack.close();
  }
});

test('a reused retired refresh token ends the grant, streams included', async () => {
  const stack = await startStack({ vars: { MCP_CONFORMANCE: '1' } });
  try {
    const p = await login(stack.mcpUrl, { user: USER });
    const client_id = p.clientInformation().client_id;
    const refresh = (rt) => fetch(`${stack.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'refresh_token', refresh_token: rt, client_id }),
    });
    const rt1 = p.tokens().refresh_token;
    const t2 = await (await refresh(rt1)).json();
    const t3 = await (await refresh(t2.refresh_token)).json();
    assert.ok(t3.access_token, 'two rotations: rt1 is now retired');
    const opened = await openEverything(stack, t3.access_token);
    const reuse = await refresh(rt1);
    assert.equal(reuse.status, 400);
    assert.equal((await reuse.json()).error, 'invalid_grant');
    await assertAllEnded(stack, opened, t3.access_token, Date.now(), USER);
  } finally {
    await stack.close();
  }
});

test('an upstream invalid_grant at refresh ends the grant, streams included', async () => {
  const stack = await startStack({ vars: { MCP_CONFORMANCE: '1', UPSTREAM_RECHECK_SECS: '0' } });
  try {
    const p = await login(stack.mcpUrl, { user: USER });
    const opened = await openEverything(stack, p.tokens().access_token);
    stack.idp.endSessions(USER.email);
    const r = await fetch(`${stack.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'refresh_token', refresh_token: p.tokens().refresh_token, client_id: p.clientInformation().client_id }),
    });
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error, 'invalid_grant');
    await assertAllEnded(stack, opened, p.tokens().access_token, Date.now(), USER);
  } finally {
    await stack.close();
  }
});

test('a grant that reaches its end closes its streams within a second of it', async () => {
  const stack = await startStack({ vars: { MCP_CONFORMANCE: '1', GRANT_MAX_TTL: '12' } });
  try {
    const before = Date.now();
    const p = await login(stack.mcpUrl, { user: USER });
    const after = Date.now();
    assert.ok(p.tokens().expires_in <= 12, `the access token ends with the grant (${p.tokens().expires_in} s)`);
    const opened = await openEverything(stack, p.tokens().access_token);
    // The grant's clock started at the upstream callback, between `before` and `after`.
    const ends = await Promise.race([Promise.all(Object.values(opened.streams).map((w) => w.ended)), sleep(25_000).then(() => null)]);
    assert.ok(ends, 'the streams were still open 25 s after login');
    for (const at of ends) {
      // Grant times are whole seconds: the grant's clock starts at the second the login completed.
      assert.ok(at >= before + 11_000 - 50, `closed before the grant ended (${at - before} ms after login began)`);
      assert.ok(at <= after + 12_000 + 1000, `closed ${at - after - 12_000} ms after the grant ended`);
    }
    // The later checks log in again; the old grant is gone by now.
    await assertAllEnded(stack, opened, p.tokens().access_token, Math.max(...ends), USER);
  } finally {
    await stack.close();
  }
});
