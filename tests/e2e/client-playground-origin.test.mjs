/**
 * The Cloudflare AI playground's exact Origin (`https://playground.ai.cloudflare.com`) through the
 * whole flow, with the default settings (no ALLOWED_ORIGINS): the 401 challenge, discovery,
 * registration, the token exchange, initialize, tools/list, a tool call, the GET stream, a refresh
 * and DELETE. The client is the MCP TypeScript SDK (what `use-mcp`, the playground's hook, is built
 * on) with a fetch that follows the browser's CORS rules for a page at that origin (preflights,
 * allowed headers, exposed headers; see tests/support/cors-fetch.mjs). Nothing may answer 403.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError, auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { startStack } from '../support/stack.mjs';
import { TestOAuthProvider } from '../support/oauth-client.mjs';
import { corsFetch } from '../support/cors-fetch.mjs';

const PLAYGROUND = 'https://playground.ai.cloudflare.com';

let stack;

before(async () => {
  stack = await startStack();
});

after(async () => {
  await stack?.close();
});

test('the playground origin goes through login, session, tool call and GET stream with the default settings', async () => {
  const cors = corsFetch(PLAYGROUND);
  // What use-mcp registers: a public client whose redirect URI is the page's /oauth/callback.
  const provider = new TestOAuthProvider({ redirectUrl: `${PLAYGROUND}/oauth/callback`, clientName: 'Cloudflare AI Playground' });
  const mcpUrl = new URL(stack.mcpUrl);

  // First connection: the 401 challenge sends the client through discovery, registration and the
  // login (consent and upstream login walked by the test's user agent), like the playground's popup.
  const first = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider, fetch: cors.fetch });
  await assert.rejects(new Client({ name: 'playground', version: '1' }).connect(first), UnauthorizedError);
  const code = provider.lastRedirect?.searchParams.get('code');
  assert.ok(code, `the login came back with a code: ${provider.lastRedirect}`);
  assert.equal(provider.lastRedirect.origin, PLAYGROUND);
  await first.finishAuth(code);
  assert.ok(provider.tokens()?.access_token, 'the token exchange succeeded');

  const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider, fetch: cors.fetch });
  const client = new Client({ name: 'playground', version: '1' });
  await client.connect(transport);
  assert.ok(transport.sessionId, 'Mcp-Session-Id is exposed to the page');
  const { tools } = await client.listTools();
  assert.ok(tools.some((t) => t.name === 'list_objects'));
  const listed = await client.callTool({ name: 'list_objects', arguments: {} });
  assert.equal(listed.isError ?? false, false, JSON.stringify(listed));
  assert.ok(Array.isArray(listed.structuredContent?.objects), JSON.stringify(listed));

  // The SDK opens the session's GET stream by itself after `notifications/initialized`.
  const deadline = Date.now() + 5000;
  while (!cors.log.some((r) => r.method === 'GET' && r.path === '/mcp') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(cors.log.filter((r) => r.method === 'GET' && r.path === '/mcp').map((r) => r.status), [200], 'the GET stream opened');

  // A refresh through the same origin, then a call with the new token.
  const before = provider.tokens().access_token;
  assert.equal(await auth(provider, { serverUrl: mcpUrl, fetchFn: cors.fetch }), 'AUTHORIZED');
  assert.notEqual(provider.tokens().access_token, before, 'the refresh grant issued a new access token');
  const again = await client.callTool({ name: 'list_objects', arguments: { prefix: 'none/' } });
  assert.equal(again.isError ?? false, false, JSON.stringify(again));

  await transport.terminateSession();
  await client.close();

  const seen = cors.log.map((r) => `${r.method} ${r.path} ${r.status}`);
  const forbidden = cors.log.filter((r) => r.status === 403);
  assert.deepEqual(forbidden, [], `no request of the playground's origin is refused:\n${seen.join('\n')}`);
  for (const expected of [
    /^POST \/mcp 401$/,
    /^GET \/\.well-known\/oauth-protected-resource(\/mcp)? 200$/,
    /^GET \/\.well-known\/oauth-authorization-server 200$/,
    /^OPTIONS \/register 204$/,
    /^POST \/register 201$/,
    /^POST \/token 200$/,
    /^OPTIONS \/mcp 204$/,
    /^POST \/mcp 200$/,
    /^POST \/mcp 202$/,
    /^GET \/mcp 200$/,
    /^DELETE \/mcp 204$/,
  ]) {
    assert.ok(seen.some((s) => expected.test(s)), `${expected} in:\n${seen.join('\n')}`);
  }
  assert.equal(seen.filter((s) => s === 'POST /token 200').length, 2, 'code exchange and refresh');
});
