/**
 * A grant cannot outlive the person's access (issue: "A grant cannot outlive the person's
 * access"), against the local OpenID Provider:
 * - an absolute lifetime (`GRANT_MAX_TTL`) that no refresh extends, and no token outlives;
 * - without an upstream refresh token the grant ends `REFRESH_TOKEN_TTL` after the login (not slid
 *   forward by refreshes); with one, refreshes slide it;
 * - a refresh that reaches the upstream re-reads identity and groups: a user removed from the
 *   writer group loses the write tools at that refresh;
 * - an upstream that answers 5xx is tolerated for `UPSTREAM_GRACE_SECS` after its last successful
 *   check, then refreshes fail closed (and work again once it is back);
 * - refreshes within `UPSTREAM_RECHECK_SECS` of the last check do not reach the upstream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../support/stack.mjs';
import { login } from '../support/oauth-client.mjs';
import { post, rpc, rawSession, LATEST } from '../support/mcp.mjs';

const form = (o) => new URLSearchParams(o).toString();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function refresher(stack, p) {
  const client_id = p.clientInformation().client_id;
  let rt = p.tokens().refresh_token;
  return async () => {
    const r = await fetch(`${stack.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'refresh_token', refresh_token: rt, client_id }),
    });
    const body = await r.json();
    if (r.status === 200) rt = body.refresh_token;
    return { status: r.status, ...body };
  };
}

async function tools(stack, token) {
  const sid = await rawSession(stack.url, token);
  const r = await post(stack.url, token, rpc('tools/list'), { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': LATEST });
  return (await r.json()).result.tools.map((t) => t.name);
}

test('no refresh extends a grant past GRANT_MAX_TTL, and no token outlives it', async () => {
  const stack = await startStack({ vars: { GRANT_MAX_TTL: '12', UPSTREAM_RECHECK_SECS: '0' } });
  try {
    const started = Date.now();
    const p = await login(stack.mcpUrl);
    assert.ok(p.tokens().expires_in <= 12, `expires_in ${p.tokens().expires_in}`);
    const refresh = refresher(stack, p);
    await sleep(3000);
    const r1 = await refresh();
    assert.equal(r1.status, 200);
    assert.ok(r1.expires_in <= 12 - 2, `a refresh 3 s in leaves at most the remaining lifetime (${r1.expires_in} s)`);
    await sleep(Math.max(0, started + 12_500 - Date.now()));
    const r2 = await refresh();
    assert.equal(r2.status, 400);
    assert.equal(r2.error, 'invalid_grant');
    const mcp = await post(stack.url, r1.access_token, rpc('ping'));
    assert.equal(mcp.status, 401, 'the last access token ended with the grant');
  } finally {
    await stack.close();
  }
});

test('without an upstream refresh token the grant ends REFRESH_TOKEN_TTL after login; with one, refreshes slide it', async () => {
  for (const [upstreamRefresh, expectSlide] of [[false, false], [true, true]]) {
    const stack = await startStack({ idpOptions: { refreshTokens: upstreamRefresh }, vars: { REFRESH_TOKEN_TTL: '60', UPSTREAM_RECHECK_SECS: '0' } });
    try {
      const p = await login(stack.mcpUrl);
      await sleep(3000);
      const r = await refresher(stack, p)();
      assert.equal(r.status, 200, JSON.stringify(r));
      if (expectSlide) assert.equal(r.expires_in, 60, 'slid: a full REFRESH_TOKEN_TTL from this refresh');
      else assert.ok(r.expires_in <= 57, `not slid: the grant still ends 60 s after the login (${r.expires_in} s left)`);
    } finally {
      await stack.close();
    }
  }
});

test('a refresh that reaches the upstream re-reads the groups: a removed writer loses the write tools', async () => {
  const stack = await startStack({ vars: { WRITER_GROUPS: 'writers', UPSTREAM_RECHECK_SECS: '0' } });
  try {
    const p = await login(stack.mcpUrl, { user: { email: 'wendy@example.com', groups: 'writers' } });
    assert.ok((await tools(stack, p.tokens().access_token)).includes('put_object'));
    stack.idp.users.get('wendy@example.com').groups = ['readers'];
    const r = await refresher(stack, p)();
    assert.equal(r.status, 200);
    assert.ok(stack.idp.stats.userinfoRequests >= 1, 'the identity was read again at userinfo');
    const now = await tools(stack, r.access_token);
    assert.ok(now.includes('list_objects') && !now.includes('put_object'), now.join(','));
    const sid = await rawSession(stack.url, r.access_token);
    const put = await post(stack.url, r.access_token, rpc('tools/call', { name: 'put_object', arguments: { key: 'x', content: 'y' } }), { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': LATEST });
    assert.equal((await put.json()).result.isError, true, 'a write is refused');
  } finally {
    await stack.close();
  }
});

test('an upstream outage is tolerated for UPSTREAM_GRACE_SECS, then refreshes fail closed', async () => {
  const stack = await startStack({ vars: { UPSTREAM_RECHECK_SECS: '0', UPSTREAM_GRACE_SECS: '4' } });
  try {
    const p = await login(stack.mcpUrl);
    const refresh = refresher(stack, p);
    stack.idp.setFault({ token: 503 });
    const within = await refresh();
    assert.equal(within.status, 200, 'within the grace period the grant goes on');
    await sleep(5000);
    const past = await refresh();
    assert.equal(past.status, 400, 'past the grace period it fails closed');
    assert.equal(past.error, 'invalid_grant');
    assert.match(past.error_description, /could not confirm/);
    stack.idp.setFault({ token: null });
    const back = await refresh();
    assert.equal(back.status, 200, 'the grant was not revoked: it works again once the upstream confirms it');
  } finally {
    await stack.close();
  }
});

test('refreshes within UPSTREAM_RECHECK_SECS of the last check do not reach the upstream', async () => {
  for (const [recheck, expected] of [[undefined, 0], ['0', 3]]) {
    const stack = await startStack({ vars: recheck === undefined ? {} : { UPSTREAM_RECHECK_SECS: recheck } });
    try {
      const p = await login(stack.mcpUrl);
      const refresh = refresher(stack, p);
      for (let i = 0; i < 3; i++) assert.equal((await refresh()).status, 200);
      assert.equal(stack.idp.stats.refreshGrants, expected, `UPSTREAM_RECHECK_SECS=${recheck ?? 'default (300)'}`);
    } finally {
      await stack.close();
    }
  }
});
