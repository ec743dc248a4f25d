/**
 * CPU profile of this server under load, from inside the runtime: runs a build (with its wasm name
 * section kept, see scripts/profile) in workerd through Miniflare with V8's inspector open, samples
 * the Worker's isolate (front Worker and Durable Object share it) while clients call one operation,
 * and prints where the isolate's time went: self time by function (wasm functions by their Rust
 * names), grouped into wasm, JS, garbage collection and the runtime's own native work; and the
 * isolate's JS heap in use before and after the run (a leak of JS objects shows there).
 *
 *   node bench/profile.mjs [--build DIR] [--op list|put|get|session|unauth] [--requests N] [--concurrency C]
 *                          [--top N] [--interval-us N] [--log-level info|warn]
 *
 * Loopback only; everything it starts is stopped on exit. Not a benchmark: the profiler itself
 * slows the isolate; use the shares, not the times.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { startWorker, ROOT } from '../tests/support/worker.mjs';
import { freePort } from '../tests/support/stack.mjs';
import { baseVars } from '../tests/support/vars.mjs';
import { devToken } from '../tests/support/tokens.mjs';
import { makeAgent, request } from './lib/http.mjs';
import { pool } from './lib/load.mjs';
import { McpSession } from './lib/mcp.mjs';

function parseArgs(argv) {
  const o = { build: path.join(ROOT, 'target/profile-build'), op: 'list', requests: 3000, concurrency: 8, top: 30, intervalUs: 100, logLevel: 'warn' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i];
    if (a === '--build') o.build = path.resolve(val());
    else if (a === '--op') o.op = val();
    else if (a === '--requests') o.requests = Number(val());
    else if (a === '--concurrency') o.concurrency = Number(val());
    else if (a === '--top') o.top = Number(val());
    else if (a === '--interval-us') o.intervalUs = Number(val());
    // The server's LOG_LEVEL: warn like the bench's default run; info adds the per-request line.
    else if (a === '--log-level') o.logLevel = val();
    else throw new Error(`unknown option ${a}`);
  }
  if (!['list', 'put', 'get', 'session', 'unauth'].includes(o.op)) throw new Error(`unknown op ${o.op}`);
  return o;
}

/** A minimal Chrome DevTools Protocol client over the runtime's inspector WebSocket. */
async function cdp(url) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`inspector connection to ${url} failed`));
  });
  let next = 1;
  const waiting = new Map();
  ws.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data));
    const w = m.id && waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error) w.reject(new Error(`${m.error.message}`));
    else w.resolve(m.result);
  };
  return {
    send(method, params = {}) {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
    },
    close: () => ws.close(),
  };
}

/** An open MCP session of `token`'s user (the bench's client). */
async function session(mcpUrl, token, agent) {
  const m = new McpSession(mcpUrl, () => token, agent);
  await m.open();
  return m;
}

/** Self time per function and per category from a V8 CPU profile. */
function summarize(profile, top) {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const fns = new Map();
  const cats = new Map();
  for (const [id, hits] of counts) {
    const f = byNode.get(id).callFrame;
    const name = f.functionName || '(anonymous)';
    const isWasm = f.url.startsWith('wasm://') || /^\$?wasm-function|::|\$/.test(name) && !f.url.endsWith('.js');
    const cat = name === '(idle)' ? 'idle'
      : name === '(garbage collector)' ? 'garbage collection'
      : name === '(program)' ? 'runtime (native, outside JS and wasm)'
      : isWasm ? 'wasm (Rust)'
      : 'JS (shim, builtins)';
    const key = `${name}  ${isWasm ? '' : f.url ? path.basename(f.url) + ':' + f.lineNumber : ''}`.trim();
    const e = fns.get(key) ?? { hits: 0, cat };
    e.hits += hits;
    fns.set(key, e);
    cats.set(cat, (cats.get(cat) ?? 0) + hits);
  }
  const busy = total - (cats.get('idle') ?? 0);
  const pct = (h, of) => `${((100 * h) / of).toFixed(1)} %`;
  const lines = [];
  lines.push(`samples: ${total} (${busy} busy)`);
  lines.push('', '| where | share of busy time |', '|---|---:|');
  for (const [c, h] of [...cats].sort((a, b) => b[1] - a[1])) if (c !== 'idle') lines.push(`| ${c} | ${pct(h, busy)} |`);
  lines.push('', `| function (self time) | kind | share of busy time |`, '|---|---|---:|');
  for (const [k, e] of [...fns].filter(([, e]) => e.cat !== 'idle').sort((a, b) => b[1].hits - a[1].hits).slice(0, top)) {
    lines.push(`| \`${k.replace(/\|/g, '\\|').slice(0, 110)}\` | ${e.cat} | ${pct(e.hits, busy)} |`);
  }
  return lines.join('\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const stateDir = mkdtempSync(path.join(tmpdir(), 'r2mcp-profile-'));
  const inspectorPort = await freePort();
  const worker = await startWorker({ vars: baseVars({ DEV_MODE: '1', LOG_LEVEL: o.logLevel }), persistDir: stateDir, buildDir: o.build, inspectorPort });
  try {
    const agent = makeAgent(o.concurrency + 2);
    const mcpUrl = `${worker.url}/mcp`;
    const users = await Promise.all(Array.from({ length: o.concurrency }, (_, i) => devToken(worker.url, `profile${i}@example.com`)));
    const sessions = await Promise.all(users.map((u) => session(mcpUrl, u.access_token, agent)));
    for (const s of sessions) {
      for (let i = 0; i < 10; i++) await s.tool('put_object', { key: `list/${String(i).padStart(2, '0')}`, content: `object ${i}` });
      if (o.op === 'get') await s.tool('put_object', { key: 'big.txt', content: 'abcdefghij'.repeat(100_000) });
    }
    const puts = new Array(o.concurrency).fill(0);
    const ops = {
      list: (slot) => sessions[slot].tool('list_objects', { prefix: 'list/' }),
      put: (slot) => sessions[slot].tool('put_object', { key: `put/${puts[slot]++ % 10}`, content: 'x'.repeat(1024) }),
      get: (slot) => sessions[slot].tool('get_object', { key: 'big.txt' }),
      session: (slot) => session(mcpUrl, users[slot].access_token, agent),
      unauth: async () => {
        const r = await request(mcpUrl, { method: 'POST', agent, headers: { 'content-type': 'application/json' }, body: '{}' });
        if (r.status !== 401) throw new Error(`expected 401, got ${r.status}`);
      },
    };
    const op = ops[o.op];
    await pool(op, { concurrency: o.concurrency, count: 300, ms: 20000 }); // warm-up

    const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
    const target = targets.find((t) => /r2-mcp/.test(`${t.title} ${t.url} ${t.id}`)) ?? targets[0];
    if (!target?.webSocketDebuggerUrl) throw new Error(`no inspector target: ${JSON.stringify(targets)}`);
    const c = await cdp(target.webSocketDebuggerUrl.replace('localhost', '127.0.0.1'));
    // The isolate's JS heap in use before and after the run: a leak of JS objects held from wasm
    // (handles never dropped) grows it even when the wasm linear memory stays flat. (workerd's
    // inspector does not answer HeapProfiler.collectGarbage, so this includes garbage not yet
    // collected: compare runs of different lengths rather than trusting one figure.)
    const heap = async () => (await c.send('Runtime.getHeapUsage')).usedSize;
    const heapBefore = await heap();
    await c.send('Profiler.enable');
    await c.send('Profiler.setSamplingInterval', { interval: o.intervalUs });
    await c.send('Profiler.start');
    const r = await pool(op, { concurrency: o.concurrency, count: o.requests, ms: 120000 });
    const { profile } = await c.send('Profiler.stop');
    const heapAfter = await heap();
    c.close();
    console.log(`# CPU profile: ${o.op} at concurrency ${o.concurrency}, ${r.latencies.length} requests (${r.errors} errors), build ${path.relative(ROOT, o.build) || '.'}`);
    const mib = (b) => `${(b / 1048576).toFixed(2)} MiB`;
    console.log(`target: ${target.title}`);
    console.log(`isolate JS heap in use: ${mib(heapBefore)} before, ${mib(heapAfter)} after (${((heapAfter - heapBefore) / Math.max(1, r.latencies.length)).toFixed(0)} bytes per request)\n`);
    console.log(summarize(profile, o.top));
  } finally {
    await worker.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
