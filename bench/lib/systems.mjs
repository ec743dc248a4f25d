/**
 * The five systems under test and the operations the benchmark runs against each:
 *   ours      this server (build/ from scripts/build, release), OAuth through its own /authorize;
 *   baseline  bench/baseline: workers-oauth-provider + agents' McpAgent (JS, one Durable Object per
 *             MCP session; deprecated by agents itself);
 *   best-js   bench/best-js: workers-oauth-provider + agents' `createMcpHandler` (MCP SDK v2, stateless
 *             in the Worker: no Mcp-Session-Id, so its "sessions" are the same three requests
 *             without one), writes ordered by one Durable Object per user;
 *   floor     bench/floor: Rust Worker → Durable Object → one SQLite write (no auth, no MCP);
 *   floor-r2  "floor+R2": the same floor build under bench/floor/wrangler.r2.toml (R2 bound,
 *             FLOOR_R2 = "1"), whose Durable Object also makes the R2 call of list/put/get itself,
 *             so it charges the runtime's own cost of the storage work the servers do.
 *
 * Each user slot (one per concurrent worker, up to the highest concurrency) has its own user, its
 * own grant from the real OAuth flow (so refresh chains never race), its own MCP session and its
 * own seeded objects: `list/00…09` (10 small objects) and `big.txt` (1 MB of text; floor+R2 seeds the
 * same through its own put_object). Slot 0's user
 * also holds `many/0000…0999` (1,000 small objects), and the same-user figures run several MCP
 * sessions of slot 0's user (its token shared) at once.
 */
import { McpSession } from './mcp.mjs';
import { request } from './http.mjs';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { TestOAuthProvider } from '../../tests/support/oauth-client.mjs';

const KB = 'x'.repeat(1024);
const MB = 'abcdefghij'.repeat(100_000); // 1,000,000 bytes of text (under the 1 MiB inline limit)

/** Every system, in the order of the report's columns (the run order rotates each round). */
export const SYSTEMS = ['ours', 'baseline', 'best-js', 'floor', 'floor-r2'];
export const isFloor = (sys) => sys === 'floor' || sys === 'floor-r2';

/** Figures that are not load figures: `idle` (GET streams of one user left idle; see idle.mjs)
 *  and `transfer` (one object through a transfer link, down and up; see transfer.mjs). */
export const EXTRA_FIGURES = ['idle', 'transfer'];

/**
 * The documented full run (bench/PERFORMANCE.md): `scripts/bench` with no flags. Only a run with
 * exactly these settings may replace bench/results/latest.md, the report the README quotes.
 */
export const FULL_RUN = {
  quick: false, rounds: 3, runSeconds: 3, soak: 50000, concurrency: [1, 8, 32], logLevel: 'warn',
  idleStreams: 20, idleSeconds: 60, transferMib: 64, transferRounds: 5,
};

/** How many objects `many/` holds (one user's, slot 0), and how many clients share one user. */
export const MANY = 1000;
export const SAME_USER_CLIENTS = 16;

/**
 * `mcp`: needs the R2 tools over MCP sessions; `floor: false`: neither floor has an analogue (the
 * floor has no R2; floor+R2 makes only the list/put/get calls), so n/a; `quickMax`: with --quick, only concurrencies up to this (to keep it quick); `sameUser`: every client is its own MCP session of slot 0's user (one token shared, as one
 * user's several clients would); `concurrency`: fixed concurrencies instead of --concurrency.
 */
export const SCENARIOS = [
  { id: 'list', title: '`tools/call list_objects` (10 objects)', mcp: true },
  { id: 'list1000', title: `\`tools/call list_objects\`: all ${MANY.toLocaleString('en')} objects (\`limit: ${MANY}\`, following \`next_cursor\`)`, mcp: true, floor: false, sameUser: true, quickMax: 8 },
  { id: 'put', title: '`tools/call put_object` 1 KB', mcp: true },
  { id: 'put1m', title: '`tools/call put_object` 1 MB', mcp: true, floor: false, quickMax: 8 },
  { id: 'put16', title: `\`tools/call put_object\` 1 KB from ${SAME_USER_CLIENTS} clients of one user`, mcp: true, floor: false, sameUser: true, concurrency: [SAME_USER_CLIENTS] },
  { id: 'put1m16', title: `\`tools/call put_object\` 1 MB from ${SAME_USER_CLIENTS} clients of one user`, mcp: true, floor: false, sameUser: true, concurrency: [SAME_USER_CLIENTS] },
  { id: 'get', title: '`tools/call get_object` 1 MB', mcp: true },
  { id: 'session', title: 'new session (initialize + initialized + tools/list)' },
  { id: 'unauth', title: 'unauthenticated `/mcp` → 401' },
  { id: 'refresh', title: 'refresh grant (`/token`)' },
];

/** A per-slot counter for rotating keys. */
const count = (slot, name) => {
  slot.counts ??= {};
  return (slot.counts[name] = (slot.counts[name] ?? -1) + 1);
};

/** The concurrencies a scenario runs at under the settings `s`. */
export function concurrenciesFor(sc, s) {
  if (sc.concurrency) return sc.concurrency;
  const cs = s.quick && sc.quickMax ? s.concurrency.filter((c) => c <= sc.quickMax) : s.concurrency;
  return cs.length ? cs : [Math.min(...s.concurrency)];
}

/** The systems that speak OAuth + MCP (the others are the floors). */
export const MCP_SYSTEMS = ['ours', 'baseline', 'best-js'];

/**
 * OAuth + MCP operations for ours, the baseline and best-JS. `stateless`: the server issues no
 * Mcp-Session-Id (best-JS), so a session is its initialize + initialized and then plain requests.
 */
export function mcpOps({ stateless = false } = {}) {
  const session = (url, token, agent) => new McpSession(`${url}/mcp`, token, agent, { stateless });
  return {
    stateless,
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
      return session(url, () => slot.access, agent);
    },
    /** Slot `s`'s objects, through its MCP session. */
    async seed(ctx, s) {
      const session = ctx.sessions[s];
      for (let i = 0; i < 10; i++) {
        await session.tool('put_object', { key: `list/${String(i).padStart(2, '0')}`, content: `object ${i}` });
      }
      await session.tool('put_object', { key: 'big.txt', content: MB, content_type: 'text/plain' });
    },
    /** `n` MCP sessions of slot 0's user, all with its (current) token. */
    sharedSessions(url, slot0, n, agent) {
      return Array.from({ length: n }, () => session(url, () => slot0.access, agent));
    },
    /** `many/0000…0999` for slot 0's user, written by all `sessions` at once; throws after `ms`. */
    async seedMany(sessions, ms) {
      const deadline = performance.now() + ms;
      let next = 0;
      const worker = async (m) => {
        while (next < MANY) {
          if (performance.now() > deadline) throw new Error(`seeding ${MANY} objects took over ${ms / 1000} s (${next} started)`);
          const i = next++;
          await m.tool('put_object', { key: `many/${String(i).padStart(4, '0')}`, content: `object ${i}` });
        }
      };
      await Promise.all(sessions.map(worker));
    },
    /** Slot 0's list and 1 MB get give what was seeded. */
    async check(ctx) {
      const session = ctx.sessions[0];
      const r = await session.tool('list_objects', { prefix: 'list/' });
      const n = r.structuredContent?.objects?.length ?? JSON.parse(r.content[0].text).objects.length;
      if (n !== 10) throw new Error(`list_objects returned ${n} objects, expected 10`);
      const g = await session.tool('get_object', { key: 'big.txt' });
      // Ours sends the bytes once, in an embedded resource block; the JS servers in structured content.
      const embedded = g.content.find((c) => c.type === 'resource')?.resource.text;
      const len = (embedded ?? (g.structuredContent ?? JSON.parse(g.content[0].text)).content).length;
      if (len !== MB.length) throw new Error(`get_object returned ${len} characters, expected ${MB.length}`);
    },
    op: {
      list: (ctx, s) => ctx.sessions[s].tool('list_objects', { prefix: 'list/' }),
      put: (ctx, s) => ctx.sessions[s].tool('put_object', { key: `put/${ctx.slots[s].puts++ % 10}`, content: KB }),
      get: (ctx, s) => ctx.sessions[s].tool('get_object', { key: 'big.txt' }),
      /**
       * All 1,000 objects with `limit: 1000`, following `next_cursor`: R2 (and the local one) may
       * return fewer than `limit` when metadata is included, so one listing can take several calls.
       * Resolves to the number of calls.
       */
      async list1000(ctx, s) {
        let n = 0;
        let pages = 0;
        let cursor;
        do {
          const r = await ctx.shared[s].tool('list_objects', { prefix: 'many/', limit: MANY, ...(cursor ? { cursor } : {}) });
          const page = r.structuredContent ?? JSON.parse(r.content[0].text);
          n += page.objects.length;
          cursor = page.next_cursor;
          if (++pages > MANY) throw new Error('list_objects: too many pages');
        } while (cursor);
        if (n !== MANY) throw new Error(`list_objects listed ${n} objects in ${pages} call(s), expected ${MANY}`);
        return pages;
      },
      put1m: (ctx, s) => ctx.sessions[s].tool('put_object', { key: `put1m/${count(ctx.slots[s], 'put1m') % 4}`, content: MB }),
      put16: (ctx, s) => ctx.shared[s].tool('put_object', { key: `put16/${s}-${count(ctx.slots[0], `put16-${s}`) % 4}`, content: KB }),
      put1m16: (ctx, s) => ctx.shared[s].tool('put_object', { key: `put1m16/${s}-${count(ctx.slots[0], `put1m16-${s}`) % 2}`, content: MB }),
      async session(ctx, s) {
        const m = session(ctx.url, () => ctx.slots[s].access, ctx.agent);
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

/** A floor request as slot `s`'s user (its `Authorization` picks the Durable Object); resolves to the JSON answer. */
async function floorPost(ctx, s, body) {
  const r = await request(ctx.mcpUrl, {
    method: 'POST', agent: ctx.agent, body,
    headers: { authorization: `Bearer floor-${s}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  });
  if (r.status !== 200) throw new Error(`floor: HTTP ${r.status}`);
  return r.body;
}
const floorCall = (name, args) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });

/** The floor answers every shape with a Worker → DO → SQLite write round trip. */
export function floorOps() {
  const post = floorPost;
  const call = floorCall;
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

/**
 * floor+R2 (bench/floor under wrangler.r2.toml): the floor's shapes, but `list`, `put` and `get` make
 * the R2 call itself (list with HTTP metadata, put, get of the whole body) after the SQLite write, on
 * objects seeded per slot like the servers' (`list/00…09`, `big.txt`) through its own put_object.
 */
export function floorR2Ops() {
  const floor = floorOps();
  /** A tool call whose answer must be a tool result without isError; resolves to its text. */
  const tool = async (ctx, s, name, args) => {
    const body = await floorPost(ctx, s, floorCall(name, args));
    const res = JSON.parse(body.toString()).result;
    const text = res?.content?.[0]?.text;
    if (typeof text !== 'string' || res.isError) throw new Error(`floor+R2 ${name}: ${String(text ?? body.toString()).slice(0, 200)}`);
    return text;
  };
  return {
    ...floor,
    async seed(ctx, s) {
      for (let i = 0; i < 10; i++) await tool(ctx, s, 'put_object', { key: `list/${String(i).padStart(2, '0')}`, content: `object ${i}` });
      await tool(ctx, s, 'put_object', { key: 'big.txt', content: MB });
    },
    async check(ctx) {
      const n = JSON.parse(await tool(ctx, 0, 'list_objects', { prefix: 'list/' })).objects.length;
      if (n !== 10) throw new Error(`floor+R2 list_objects returned ${n} objects, expected 10`);
      const len = (await tool(ctx, 0, 'get_object', { key: 'big.txt' })).length;
      if (len !== MB.length) throw new Error(`floor+R2 get_object returned ${len} characters, expected ${MB.length}`);
    },
    op: {
      ...floor.op,
      list: (ctx, s) => tool(ctx, s, 'list_objects', { prefix: 'list/' }),
      put: (ctx, s) => tool(ctx, s, 'put_object', { key: `put/${ctx.slots[s].puts++ % 10}`, content: KB }),
      get: (ctx, s) => tool(ctx, s, 'get_object', { key: 'big.txt' }),
    },
  };
}
