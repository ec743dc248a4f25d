/**
 * Operations: one structured JSON log line per request (request id, route, status, duration, user
 * hash, client, MCP method and tool), and never a token, secret, cookie or object content in any
 * line the Worker prints, across a whole login, token refresh and MCP session; `LOG_LEVEL=warn`
 * keeps only failed requests' lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../support/stack.mjs';
import { login } from '../support/oauth-client.mjs';

test('every request logs one JSON line, and no secret ever reaches the log', async () => {
  const lines = [];
  const stack = await startStack({ onLog: (l) => lines.push(l) });
  const secrets = [];
  let clientId;
  try {
    const p = await login(stack.mcpUrl, { authMethod: 'client_secret_post' });
    clientId = p.clientInformation().client_id;
    const t = p.tokens();
    secrets.push(t.access_token, t.refresh_token, p.clientInformation().client_secret);
    for (const c of p.browser.jar.values()) for (const { value } of c.values()) secrets.push(value);
    const refreshed = await fetch(`${stack.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: p.clientInformation().client_id, client_secret: p.clientInformation().client_secret }),
    });
    const t2 = await refreshed.json();
    secrets.push(t2.access_token, t2.refresh_token);
    const mcp = await fetch(stack.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${t2.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'log-test', version: '1' } } }),
    });
    await mcp.text();
    const session = mcp.headers.get('mcp-session-id');
    const call = await fetch(stack.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${t2.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_objects', arguments: {} } }),
    });
    assert.equal(call.status, 200);
    await call.text();
    await new Promise((r) => setTimeout(r, 300)); // let the runtime flush its output
  } finally {
    await stack.close();
  }
  const records = lines.map((l) => { try { return JSON.parse(l.slice(l.indexOf('{'))); } catch { return null; } }).filter((r) => r && r.route);
  assert.ok(records.length >= 8, `request lines: ${records.length}\n${lines.join('\n')}`);
  for (const r of records) {
    assert.match(r.request_id, /^[0-9a-f-]{8,64}$/i);
    assert.equal(typeof r.status, 'number');
    assert.equal(typeof r.duration_ms, 'number');
  }
  const routes = new Set(records.map((r) => r.route));
  for (const expected of ['/.well-known', '/register', '/authorize', '/callback', '/token', '/mcp']) assert.ok(routes.has(expected), expected);
  const mcpLine = records.find((r) => r.route === '/mcp' && r.status < 400);
  assert.ok(mcpLine?.user && /^[0-9a-f]{16}$/.test(mcpLine.user), 'the user appears only as a hash');
  const init = records.find((r) => r.route === '/mcp' && r.mcp_method === 'initialize');
  assert.ok(init, `an initialize line: ${JSON.stringify(records.filter((r) => r.route === '/mcp'))}`);
  assert.equal(init.client_id, clientId);
  assert.equal(init.tool, undefined);
  const callLine = records.find((r) => r.route === '/mcp' && r.mcp_method === 'tools/call');
  assert.equal(callLine?.tool, 'list_objects');
  assert.equal(callLine.status, 200);
  const all = lines.join('\n');
  for (const s of secrets.filter(Boolean)) assert.ok(!all.includes(s), `a secret leaked into the log: ${s.slice(0, 8)}…`);
  assert.ok(!/bearer\s+[a-z0-9]/i.test(all), 'no Authorization header value');
  assert.ok(!/__Host-r2mcp/.test(all), 'no cookie');
});

test('LOG_LEVEL=warn writes no line for a request that succeeded, and still one for a 5xx', async () => {
  const lines = [];
  const stack = await startStack({ onLog: (l) => lines.push(l), vars: { LOG_LEVEL: 'warn' } });
  try {
    const p = await login(stack.mcpUrl);
    const ok = await fetch(stack.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.tokens().access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'log-test', version: '1' } } }),
    });
    assert.equal(ok.status, 200);
    await ok.text();
    // DEV_MODE's deliberate panic in the user's object: the request fails with a 500.
    const failed = await fetch(`${stack.url}/_dev/do/log-test/panic`, { method: 'POST' });
    assert.equal(failed.status, 500);
    await failed.text();
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await stack.close();
  }
  const records = lines.map((l) => { try { return JSON.parse(l.slice(l.indexOf('{'))); } catch { return null; } }).filter((r) => r && r.route);
  assert.deepEqual(records.filter((r) => r.status < 500), [], 'no line for a request that succeeded');
  assert.ok(records.some((r) => r.route === '/_dev' && r.status === 500 && r.level === 'error'), `the failed request's line:\n${lines.join('\n')}`);
});
