/**
 * The three systems under test and the operations the benchmark runs against each:
 *   ours      this server (build/ from scripts/build, release), OAuth through its own /authorize;
 *   baseline  bench/baseline: workers-oauth-provider + agents' McpAgent (JS);
 *   floor     bench/floor: Rust Worker → Durable Object → one SQLite write (no auth, no MCP).
 *
 * Each user slot (one per concurrent worker, up to the highest concurrency) has its own user, its
 * own grant from the real OAuth flow (so refresh chains never race), its own MCP session and its
 * own seeded objects: `list/00…09` (10 small objects) and `big.txt` (1 MB of text).
 */
import { McpSession } from './mcp.mjs';
import { request } from './http.mjs';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { TestOAuthProvider } from '../../tests/support/oauth-client.mjs';

const KB = 'x'.repeat(1024);
const MB = 'abcdefghij'.repeat(100_000); // 1,000,000 bytes of text (under the 1 MiB inline limit)

export const SCENARIOS = [
  { id: 'list', title: '`tools/call list_objects` (10 objects)' },
  { id: 'put', title: '`tools/call put_object` 1 KB' },
  { id: 'get', title: '`tools/call get_object` 1 MB' },
  { id: 'session', title: 'new session (initialize + initialized + tools/list)' },
  { id: 'unauth', title: 'unauthenticated `/mcp` → 401' },
  { id: 'refresh', title: 'refresh grant (`/token`)' },
];

/** OAuth + MCP operations for ours and the baseline. */
export function mcpOps() {
  return {
    /**
     * The real OAuth flow per slot, by the SDK client (discovery, PKCE, consent, upstream login,
     * code exchange), each user in their own browser. One client registration (DCR) is shared by
     * all users, as one client app would be (and as registration rate limits expect).
     */
    async login(url, slots, parallel = 4) {
      const mcpUrl = `${url}/mcp`;
      let client;
      const one = async (i) => {
        const p = new TestOAuthProvider({ user: { email: `bench-${i}@example.com` }, clientName: 'r2-mcp bench' });
        if (client) p.saveClientInformation(client);
        if ((await auth(p, { serverUrl: mcpUrl })) !== 'REDIRECT') throw new Error('expected a redirect to log in');
        const code = p.lastRedirect.searchParams.get('code');
        if (!code) throw new Error(`no code: ${p.lastRedirect}`);
        if ((await auth(p, { serverUrl: mcpUrl, authorizationCode: code })) !== 'AUTHORIZED') throw new Error('code exchange failed');
        client ??= p.clientInformation();
        const t = p.tokens();
        return { access: t.access_token, refresh: t.refresh_token, clientId: p.clientInformation().client_id, puts: 0 };
      };
      const out = [await one(0)];
      let next = 1;
      const worker = async () => {
        while (next < slots) {
          const i = next++;
          out[i] = await one(i);
        }
      };
      await Promise.all(Array.from({ length: parallel }, worker));
      return out;
    },
    session(url, slot, agent) {
      return new McpSession(`${url}/mcp`, () => slot.access, agent);
    },
    async seed(session) {
      for (let i = 0; i < 10; i++) {
        await session.tool('put_object', { key: `list/${String(i).padStart(2, '0')}`, content: `object ${i}` });
      }
      await session.tool('put_object', { key: 'big.txt', content: MB, content_type: 'text/plain' });
    },
    async check(session) {
      const r = await session.tool('list_objects', { prefix: 'list/' });
      const n = r.structuredContent?.objects?.length ?? JSON.parse(r.content[0].text).objects.length;
      if (n !== 10) throw new Error(`list_objects returned ${n} objects, expected 10`);
      const g = await session.tool('get_object', { key: 'big.txt' });
      const len = (g.structuredContent ?? JSON.parse(g.content[0].text)).content.length;
      if (len !== MB.length) throw new Error(`get_object returned ${len} characters, expected ${MB.length}`);
    },
    op: {
      list: (ctx, s) => ctx.sessions[s].tool('list_objects', { prefix: 'list/' }),
      put: (ctx, s) => ctx.sessions[s].tool('put_object', { key: `put/${ctx.slots[s].puts++ % 10}`, content: KB }),
      get: (ctx, s) => ctx.sessions[s].tool('get_object', { key: 'big.txt' }),
      async session(ctx, s) {
        const m = new McpSession(ctx.mcpUrl, () => ctx.slots[s].access, ctx.agent);
        await m.open();
        await m.call('tools/list', {});
      },
      async unauth(ctx) {
        const r = await request(ctx.mcpUrl, {
          method: 'POST', agent: ctx.agent,
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
        });
        if (r.status !== 401) throw new Error(`expected 401, got ${r.status}`);
      },
      async refresh(ctx, s) {
        const slot = ctx.slots[s];
        const r = await request(`${ctx.url}/token`, {
          method: 'POST', agent: ctx.agent,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: slot.refresh, client_id: slot.clientId }).toString(),
        });
        if (r.status !== 200) throw new Error(`refresh: HTTP ${r.status} ${r.body.toString().slice(0, 200)}`);
        const t = JSON.parse(r.body.toString());
        slot.refresh = t.refresh_token ?? slot.refresh;
        slot.access = t.access_token;
      },
    },
  };
}

/** The floor answers every shape with a Worker → DO → SQLite write round trip. */
export function floorOps() {
  const post = async (ctx, s, body) => {
    const r = await request(ctx.mcpUrl, {
      method: 'POST', agent: ctx.agent, body,
      headers: { authorization: `Bearer floor-${s}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    });
    if (r.status !== 200) throw new Error(`floor: HTTP ${r.status}`);
  };
  const call = (name, args) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });
  return {
    async login(_url, slots) {
      return Array.from({ length: slots }, () => ({ puts: 0 }));
    },
    session: () => undefined,
    async seed() {},
    async check() {},
    op: {
      list: (ctx, s) => post(ctx, s, call('list_objects', { prefix: 'list/' })),
      put: (ctx, s) => post(ctx, s, call('put_object', { key: 'put/0', content: KB })),
      get: (ctx, s) => post(ctx, s, call('get_object', { key: 'big.txt' })),
      async session(ctx, s) {
        await post(ctx, s, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'b', version: '1' } } }));
        await post(ctx, s, '{"jsonrpc":"2.0","method":"notifications/initialized"}');
        await post(ctx, s, '{"jsonrpc":"2.0","id":2,"method":"tools/list"}');
      },
      async unauth(ctx) {
        const r = await request(ctx.mcpUrl, { method: 'POST', agent: ctx.agent, headers: { 'content-type': 'application/json' }, body: '{}' });
        if (r.status !== 401) throw new Error(`expected 401, got ${r.status}`);
      },
      refresh: undefined,
    },
  };
}
