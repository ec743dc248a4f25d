#!/usr/bin/env node
/**
 * Sustained load on the compiled Worker in workerd (Miniflare, persisted state, DEV_MODE=1), on
 * loopback only: N authenticated requests at concurrency C across U users, mixing reads
 * (`list_objects`, `get_object`), writes (`put_object` to per-slot keys, and read-modify-write
 * appends with `if_match` to one contended key per user) and new sessions (initialize →
 * initialized → tools/list → DELETE). One user logs in through the real OAuth flow (the SDK's
 * client against the local OpenID Provider); the others get tokens from `/_dev/token`.
 *
 * At the end it checks: no 5xx, no transport error, no unexpected tool error, and no lost write —
 * every acknowledged put is what R2 holds for its key (per-slot keys have one writer, so the last
 * acknowledged etag and content must be there), the contended key holds every acknowledged append
 * exactly once, and each user's audit trail (`recent_changes`) has exactly one row per
 * acknowledged write (same seq, key and etag) and no other, with each key's etag chain linked.
 * It samples the workerd processes' RSS and the isolate's wasm memory (`/_dev/metrics`) before,
 * every second during, and after the run (after a short idle).
 *
 *   node tests/load/run.mjs [--requests 20000] [--concurrency 32] [--users 8] [--seconds 600]
 *                           [--idle 5] [--no-oauth] [--mix list=20,get=25,put=25,append=18,session=12] [--json]
 *
 * `runLoad()` is exported for the shortened end-to-end spec (tests/e2e/load-short.test.mjs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startWorker } from '../support/worker.mjs';
import { freePort } from '../support/stack.mjs';
import { startIdp } from '../support/idp.mjs';
import { randomBytes } from 'node:crypto';
import { baseVars } from '../support/vars.mjs';
import { devToken } from '../support/tokens.mjs';
import { login } from '../support/oauth-client.mjs';
import { objectBody } from '../support/mcp-tools.mjs';
// /proc readings (the workerd processes under this Node process, their resident memory) are the bench's.
import { workerdPids, rssKiB } from '../../bench/lib/proc.mjs';

const LATEST = '2025-11-25';
const REQUEST_TIMEOUT_MS = 30_000;
const OWN_KEYS_PER_SLOT = 48;
const CONTENDED_KEY = 'load/contended.txt';
const MAX_APPEND_ATTEMPTS = 500;

// ---------------------------------------------------------------------------------------------
// Small helpers.

function percentile(sorted, p) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** A `get_object` result as metadata plus `content`, the bytes of its embedded resource block. */
function readObject(r) {
  return { ...r.structuredContent, content: objectBody(r) };
}

/** Parses an SSE body into its `data` payloads (JSON-RPC messages). */
function sseMessages(text) {
  const out = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
    if (data.length) {
      try { out.push(JSON.parse(data.join('\n'))); } catch { /* not JSON */ }
    }
  }
  return out;
}

class TransportError extends Error {}
class Fatal extends Error {}

const mib = (kib) => (kib / 1024).toFixed(1);
const mibBytes = (b) => (b / 1048576).toFixed(1);

// ---------------------------------------------------------------------------------------------

/**
 * Runs the load and its checks; resolves to a summary (never throws for a failed invariant: see
 * `summary.ok` and `summary.failures`).
 *
 * @param {object} [o]
 * @param {number} [o.requests]     HTTP requests to /mcp in the load phase (default 20,000)
 * @param {number} [o.concurrency]  requests in flight (default 32)
 * @param {number} [o.users]        distinct users (default 8), one of them through OAuth
 * @param {number} [o.seconds]      hard bound on the load phase (default 600)
 * @param {number} [o.idleSeconds]  idle before the "after" memory sample (default 5)
 * @param {boolean} [o.oauth]       log one user in through the real OAuth flow (default true)
 * @param {[string, number][]} [o.mix]  operation weights (list, get, put, append, session)
 * @param {AbortSignal} [o.signal]  stops everything early (Ctrl-C)
 * @param {(line: string) => void} [o.log]
 */
export async function runLoad(o = {}) {
  const opts = {
    requests: 20_000, concurrency: 32, users: 8, seconds: 600, idleSeconds: 5, oauth: true,
    log: (l) => console.log(l), ...o,
  };
  const { log } = opts;
  if (opts.users < 1 || opts.concurrency < 1 || opts.requests < 1) throw new Error('requests, concurrency and users must be ≥ 1');
  const signal = opts.signal ?? new AbortController().signal;

  const failures = [];
  const fail = (msg) => {
    if (failures.length < 200) failures.push(msg);
    else if (failures.length === 200) failures.push('… (more failures not shown)');
  };

  let idp;
  let worker;
  let stateDir;
  let removeOnExit;
  const timers = [];
  try {
    // -- The runtime, on persisted state.
    log(`# starting workerd (persisted state, DEV_MODE=1${opts.oauth ? ', with the local OpenID Provider' : ''})`);
    // The state directory is ours, so it is removed even when the process ends abruptly (a second
    // Ctrl-C; Miniflare's own signal hooks).
    stateDir = mkdtempSync(path.join(tmpdir(), 'r2mcp-load-'));
    const dir = stateDir;
    removeOnExit = () => rmSync(dir, { recursive: true, force: true });
    process.on('exit', removeOnExit);
    const vars = { DEV_MODE: '1' };
    let port = 0;
    if (opts.oauth) {
      // As tests/support/stack.mjs does: the local OpenID Provider, with this Worker as its client.
      port = await freePort();
      const clientSecret = randomBytes(16).toString('hex');
      idp = await startIdp({ clients: [{ client_id: 'mcp-load', client_secret: clientSecret, redirect_uris: [`http://127.0.0.1:${port}/callback`], token_endpoint_auth_method: 'client_secret_basic' }] });
      Object.assign(vars, { ACCESS_ISSUER: idp.issuer, ACCESS_CLIENT_ID: 'mcp-load', ACCESS_CLIENT_SECRET: clientSecret });
    }
    worker = await startWorker({ vars: baseVars(vars), persistDir: stateDir, port });
    const base = worker.url;
    const pids = () => workerdPids(process.pid);

    // -- Users: user 0 through the real OAuth flow (when enabled), the rest through /_dev/token.
    const users = [];
    for (let u = 0; u < opts.users; u++) {
      const email = `load-user-${u}@example.com`;
      if (u === 0 && opts.oauth) {
        const t0 = performance.now();
        const p = await login(`${base}/mcp`, { user: { email }, clientName: 'r2-mcp load driver' });
        users.push({ u, email, token: p.tokens().access_token, via: 'oauth' });
        log(`# user 0 logged in through OAuth (${(performance.now() - t0).toFixed(0)} ms)`);
      } else {
        users.push({ u, email, token: (await devToken(base, email)).access_token, via: 'dev' });
      }
    }

    // -- Statistics.
    const st = {
      requests: 0, statuses: {}, http5xx: 0, transport: 0, toolErrors: 0, unexpected: 0,
      latencies: [], ops: {}, appendRetries: 0, sessionsOpened: 0,
    };
    let issued = 0;
    let verifying = false;
    const ver = { requests: 0 };

    const reqSignal = () => AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);

    /**
     * One HTTP request to /mcp. Returns {status, headers, msg} where msg is the JSON-RPC response
     * (from JSON or an SSE body) when there is one. Counts it; a network failure or a timeout is a
     * transport error (thrown), a 5xx is recorded and thrown.
     */
    async function mcp(user, { method = 'POST', sid, body, version = LATEST, what }) {
      const headers = { Authorization: `Bearer ${user.token}`, 'MCP-Protocol-Version': version };
      if (sid) headers['Mcp-Session-Id'] = sid;
      if (method === 'POST') {
        headers['Content-Type'] = 'application/json';
        headers.Accept = 'application/json, text/event-stream';
      }
      if (!verifying) issued++;
      const t0 = performance.now();
      let res;
      let text;
      try {
        res = await fetch(`${base}/mcp`, { method, headers, body: body && JSON.stringify(body), signal: reqSignal() });
        text = await res.text();
      } catch (e) {
        if (signal.aborted) throw e;
        st.transport++;
        fail(`transport error on ${what}: ${e.cause?.code ?? e.name}: ${e.message}`);
        throw new TransportError(String(e));
      }
      const ms = performance.now() - t0;
      if (verifying) ver.requests++;
      else {
        st.requests++;
        st.latencies.push(ms);
        st.statuses[res.status] = (st.statuses[res.status] ?? 0) + 1;
      }
      if (res.status >= 500) {
        st.http5xx++;
        fail(`${res.status} on ${what}: ${text.slice(0, 300)}`);
        throw new Fatal(`${res.status} on ${what}`);
      }
      let msg;
      const ct = res.headers.get('content-type') ?? '';
      if (ct.startsWith('text/event-stream')) msg = sseMessages(text).find((m) => body && m.id === body.id && ('result' in m || 'error' in m));
      else if (ct.startsWith('application/json') && text) {
        try { msg = JSON.parse(text); } catch { /* checked by the caller */ }
      }
      return { status: res.status, headers: res.headers, msg, text };
    }

    let rpcId = 0;
    const rpc = (method, params = {}) => ({ jsonrpc: '2.0', id: ++rpcId, method, params });

    /** A tools/call; returns the result (isError included) or throws on a protocol failure. */
    async function callTool(user, sid, name, args) {
      const r = await mcp(user, { sid, body: rpc('tools/call', { name, arguments: args }), what: `tools/call ${name}` });
      if (r.status !== 200 || !r.msg?.result) {
        st.unexpected++;
        fail(`tools/call ${name} answered ${r.status}: ${r.text.slice(0, 300)}`);
        throw new Fatal(`tools/call ${name} answered ${r.status}`);
      }
      return r.msg.result;
    }

    /** initialize + notifications/initialized; returns the session id. */
    async function openSession(user, clientName) {
      const init = await mcp(user, {
        body: rpc('initialize', { protocolVersion: LATEST, capabilities: {}, clientInfo: { name: clientName, version: '1.0.0' } }),
        what: 'initialize',
      });
      const sid = init.headers.get('mcp-session-id');
      if (init.status !== 200 || !sid || !init.msg?.result) {
        st.unexpected++;
        fail(`initialize answered ${init.status} (session ${sid}): ${init.text.slice(0, 300)}`);
        throw new Fatal('initialize failed');
      }
      const n = await mcp(user, { sid, body: { jsonrpc: '2.0', method: 'notifications/initialized' }, what: 'notifications/initialized' });
      if (n.status !== 202) {
        st.unexpected++;
        fail(`notifications/initialized answered ${n.status}`);
        throw new Fatal('initialized failed');
      }
      st.sessionsOpened++;
      return sid;
    }

    async function closeSession(user, sid) {
      const d = await mcp(user, { method: 'DELETE', sid, what: 'DELETE' });
      if (d.status !== 204 && d.status !== 200) {
        st.unexpected++;
        fail(`DELETE answered ${d.status}: ${d.text.slice(0, 200)}`);
      }
    }

    // -- Acknowledged writes, per user, in acknowledgement order.
    const acks = users.map(() => []); // { key, etag, seq, content, token? }
    const lastOwn = new Map(); // `${u} ${key}` -> ack (one writer per key: the slot)

    // -- The operations. Each returns when done; a thrown Fatal/TransportError ends only this op.
    function tooling(r, name) {
      if (r.isError) {
        st.toolErrors++;
        st.unexpected++;
        fail(`${name} failed: ${r.content?.[0]?.text?.slice(0, 200)}`);
        return false;
      }
      return true;
    }

    const ops = {
      async list(slot) {
        const r = await callTool(slot.user, slot.sid, 'list_objects', { prefix: `load/s${slot.i}/`, limit: 50 });
        if (tooling(r, 'list_objects') && !Array.isArray(r.structuredContent?.objects)) {
          st.unexpected++;
          fail(`list_objects: no objects array: ${JSON.stringify(r).slice(0, 200)}`);
        }
      },
      async get(slot) {
        if (!slot.written.length) return ops.list(slot);
        const key = slot.written[Math.floor(Math.random() * slot.written.length)];
        const want = lastOwn.get(`${slot.user.u} ${key}`);
        const r = await callTool(slot.user, slot.sid, 'get_object', { key });
        if (!tooling(r, 'get_object')) return;
        const got = readObject(r);
        if (got.etag !== want.etag || got.content !== want.content) {
          st.lostInline = (st.lostInline ?? 0) + 1;
          fail(`LOST WRITE (read during the run): ${key} of user ${slot.user.u} is ${got.etag}, acknowledged ${want.etag}`);
        }
      },
      async put(slot) {
        const key = `load/s${slot.i}/k${Math.floor(Math.random() * OWN_KEYS_PER_SLOT)}`;
        const content = `slot ${slot.i} write ${slot.n++} ${Math.random().toString(36).slice(2)}`;
        const r = await callTool(slot.user, slot.sid, 'put_object', { key, content, content_type: 'text/plain' });
        if (!tooling(r, 'put_object')) return;
        const ack = { key, etag: r.structuredContent.etag, seq: r.structuredContent.seq, content };
        acks[slot.user.u].push(ack);
        if (!lastOwn.has(`${slot.user.u} ${key}`)) slot.written.push(key);
        lastOwn.set(`${slot.user.u} ${key}`, ack);
      },
      async append(slot) {
        const token = `a${slot.i}.${slot.n++}`;
        for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt++) {
          const cur = await callTool(slot.user, slot.sid, 'get_object', { key: CONTENDED_KEY });
          let args;
          if (cur.isError) {
            if (!/not found/i.test(cur.content?.[0]?.text ?? '')) return void tooling(cur, 'get_object (contended)');
            args = { key: CONTENDED_KEY, content: token, content_type: 'text/plain', if_none_match: '*' };
          } else {
            const c = readObject(cur);
            args = { key: CONTENDED_KEY, content: `${c.content}\n${token}`, content_type: 'text/plain', if_match: c.etag };
          }
          const r = await callTool(slot.user, slot.sid, 'put_object', args);
          if (!r.isError) {
            acks[slot.user.u].push({ key: CONTENDED_KEY, etag: r.structuredContent.etag, seq: r.structuredContent.seq, content: args.content, token });
            return;
          }
          if (!/Precondition failed/.test(r.content?.[0]?.text ?? '')) return void tooling(r, 'put_object (contended)');
          st.appendRetries++;
          if (signal.aborted) return;
        }
        st.unexpected++;
        fail(`append ${token} of user ${slot.user.u} gave up after its attempts`);
      },
      async session(slot) {
        const sid = await openSession(slot.user, `load-new-session-${slot.i}`);
        const t = await mcp(slot.user, { sid, body: rpc('tools/list'), what: 'tools/list' });
        if (t.status !== 200 || !t.msg?.result?.tools?.length) {
          st.unexpected++;
          fail(`tools/list answered ${t.status}: ${t.text.slice(0, 200)}`);
        }
        await closeSession(slot.user, sid);
      },
    };
    // Weights per operation (not per request: an append is ≥ 2 requests, a new session 4).
    const mix = opts.mix ?? [['list', 20], ['get', 25], ['put', 25], ['append', 18], ['session', 12]];
    for (const [name] of mix) if (!ops[name]) throw new Error(`unknown operation ${name} in the mix`);
    const total = mix.reduce((s, [, w]) => s + w, 0);
    const pick = () => {
      let x = Math.random() * total;
      for (const [name, w] of mix) if ((x -= w) < 0) return name;
      return 'list';
    };

    // -- Memory sampling.
    async function wasmBytes() {
      try {
        const r = await fetch(`${base}/_dev/metrics`, { signal: AbortSignal.timeout(5000) });
        return (await r.json()).wasm_memory_bytes;
      } catch {
        return undefined;
      }
    }
    const mem = { samples: [] };
    await sleep(1000);
    mem.rssBefore = rssKiB(pids());
    mem.wasmBefore = await wasmBytes();
    mem.pids = pids();
    log(`# workerd pid(s) ${mem.pids.join(', ')}: RSS ${mib(mem.rssBefore)} MiB, wasm memory ${mibBytes(mem.wasmBefore ?? 0)} MiB before the run`);
    let sampling = false;
    const sampler = setInterval(async () => {
      if (sampling) return;
      sampling = true;
      const s = { t: Date.now(), rss: rssKiB(pids()), wasm: await wasmBytes(), requests: st.requests };
      mem.samples.push(s);
      sampling = false;
    }, 1000);
    timers.push(() => clearInterval(sampler));
    let lastReport = 0;
    const progress = setInterval(() => {
      if (st.requests - lastReport >= Math.max(1000, opts.requests / 10)) {
        lastReport = st.requests;
        const s = mem.samples.at(-1);
        log(`# ${st.requests} requests, ${st.http5xx} 5xx, ${st.transport} transport errors, RSS ${s ? mib(s.rss) : '?'} MiB`);
      }
    }, 1000);
    timers.push(() => clearInterval(progress));

    // -- The load.
    log(`# load: ${opts.requests} requests, concurrency ${opts.concurrency}, ${opts.users} users, bound ${opts.seconds} s`);
    const deadline = Date.now() + opts.seconds * 1000;
    let timedOut = false;
    const t0 = performance.now();
    const slots = Array.from({ length: opts.concurrency }, (_, i) => ({ i, user: users[i % users.length], sid: undefined, n: 0, written: [] }));
    await Promise.all(slots.map(async (slot) => {
      try {
        slot.sid = await openSession(slot.user, `load-slot-${slot.i}`);
      } catch (e) {
        if (!(e instanceof Fatal || e instanceof TransportError)) throw e;
        return;
      }
      while (issued < opts.requests && !signal.aborted) {
        if (Date.now() > deadline) { timedOut = true; break; }
        const op = pick();
        st.ops[op] = (st.ops[op] ?? 0) + 1;
        try {
          await ops[op](slot);
        } catch (e) {
          if (signal.aborted) break;
          if (!(e instanceof Fatal || e instanceof TransportError)) throw e;
        }
      }
      if (!signal.aborted) await closeSession(slot.user, slot.sid).catch(() => {});
    }));
    const loadSecs = (performance.now() - t0) / 1000;
    if (signal.aborted) throw new Error('aborted');
    const peakDuring = Math.max(mem.rssBefore, ...mem.samples.map((s) => s.rss));
    const wasmPeak = Math.max(mem.wasmBefore ?? 0, ...mem.samples.map((s) => s.wasm ?? 0));
    log(`# load done: ${st.requests} requests in ${loadSecs.toFixed(1)} s`);

    // -- Verification (its requests are counted apart).
    verifying = true;
    const lost = { own: 0, contended: 0, audit: 0, auditExtra: 0 };
    let ackedWrites = 0;
    let auditRows = 0;
    for (const user of users) {
      const sid = await openSession(user, 'load-verifier');
      const mine = acks[user.u];
      ackedWrites += mine.length;

      // The audit trail, oldest first.
      const audit = [];
      let cursor;
      do {
        const p = await callTool(user, sid, 'recent_changes', { limit: 200, ...(cursor ? { cursor } : {}) });
        if (!tooling(p, 'recent_changes')) break;
        audit.push(...p.structuredContent.changes);
        cursor = p.structuredContent.next_cursor ?? undefined;
      } while (cursor);
      audit.reverse();
      auditRows += audit.length;
      const bySeq = new Map();
      for (const row of audit) {
        if (bySeq.has(row.seq)) { lost.audit++; fail(`audit of user ${user.u}: seq ${row.seq} appears twice`); }
        bySeq.set(row.seq, row);
      }
      const ackSeqs = new Set();
      for (const a of mine) {
        if (ackSeqs.has(a.seq)) { lost.audit++; fail(`user ${user.u}: two acknowledged writes share seq ${a.seq}`); }
        ackSeqs.add(a.seq);
        const row = bySeq.get(a.seq);
        if (!row || row.operation !== 'put' || JSON.stringify(row.keys) !== JSON.stringify([a.key]) || row.etag_after !== a.etag) {
          lost.audit++;
          fail(`audit of user ${user.u}: acknowledged put ${a.key} ${a.etag} (seq ${a.seq}) is ${row ? `recorded as ${JSON.stringify(row)}` : 'missing'}`);
        }
      }
      for (const row of audit) if (!ackSeqs.has(row.seq)) {
        lost.auditExtra++;
        fail(`audit of user ${user.u}: row ${row.seq} (${row.operation} ${row.keys}) has no acknowledged write`);
      }
      // Each key's etag chain links up in audit order.
      const lastEtag = new Map();
      for (const row of audit) {
        const k = row.keys[0];
        if ((lastEtag.get(k) ?? null) !== row.etag_before) {
          lost.audit++;
          fail(`audit of user ${user.u}: ${k} seq ${row.seq} was applied on ${row.etag_before}, the previous write left ${lastEtag.get(k) ?? null}`);
        }
        lastEtag.set(k, row.etag_after);
      }

      // Per-slot keys: one writer each, so R2 must hold the last acknowledged write.
      const listed = new Map();
      cursor = undefined;
      do {
        const p = await callTool(user, sid, 'list_objects', { prefix: 'load/', limit: 1000, ...(cursor ? { cursor } : {}) });
        if (!tooling(p, 'list_objects')) break;
        for (const ob of p.structuredContent.objects) listed.set(ob.key, ob.etag);
        cursor = p.structuredContent.next_cursor ?? undefined;
      } while (cursor);
      const finals = [...lastOwn].filter(([k]) => k.startsWith(`${user.u} `)).map(([, a]) => a);
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < finals.length) {
          const a = finals[next++];
          const r = await callTool(user, sid, 'get_object', { key: a.key });
          const got = r.isError ? undefined : readObject(r);
          if (!got || got.etag !== a.etag || got.content !== a.content || listed.get(a.key) !== a.etag) {
            lost.own++;
            fail(`LOST WRITE: user ${user.u} ${a.key}: acknowledged ${a.etag}, R2 has ${got?.etag ?? r.content?.[0]?.text} (listed ${listed.get(a.key)})`);
          }
        }
      }));

      // The contended key: every acknowledged append once, and the last audited write's etag.
      const appends = mine.filter((a) => a.key === CONTENDED_KEY);
      if (appends.length) {
        const r = await callTool(user, sid, 'get_object', { key: CONTENDED_KEY });
        const got = r.isError ? undefined : readObject(r);
        const lines = (got?.content ?? '').split('\n');
        const count = new Map();
        for (const l of lines) count.set(l, (count.get(l) ?? 0) + 1);
        for (const a of appends) {
          if (count.get(a.token) !== 1) {
            lost.contended++;
            fail(`LOST WRITE: user ${user.u} append ${a.token} appears ${count.get(a.token) ?? 0} times in ${CONTENDED_KEY}`);
          }
        }
        if (lines.length !== appends.length) {
          lost.contended++;
          fail(`user ${user.u}: ${CONTENDED_KEY} has ${lines.length} lines for ${appends.length} acknowledged appends`);
        }
        if (got?.etag !== lastEtag.get(CONTENDED_KEY)) {
          lost.contended++;
          fail(`user ${user.u}: ${CONTENDED_KEY} is ${got?.etag}, the audit's last write left ${lastEtag.get(CONTENDED_KEY)}`);
        }
      }
      await closeSession(user, sid);
    }
    verifying = false;

    // -- Memory after a short idle.
    clearInterval(sampler);
    clearInterval(progress);
    await sleep(opts.idleSeconds * 1000);
    mem.rssAfter = rssKiB(pids());
    mem.wasmAfter = await wasmBytes();

    const sorted = [...st.latencies].sort((a, b) => a - b);
    const lostWrites = lost.own + lost.contended + lost.audit + (st.lostInline ?? 0);
    const summary = {
      requests: st.requests,
      requested: opts.requests,
      complete: st.requests >= opts.requests,
      timedOut,
      concurrency: opts.concurrency,
      users: opts.users,
      oauthUser: opts.oauth,
      seconds: Number(loadSecs.toFixed(2)),
      reqPerSec: Number((st.requests / loadSecs).toFixed(1)),
      latencyMs: {
        p50: Number(percentile(sorted, 50).toFixed(1)),
        p90: Number(percentile(sorted, 90).toFixed(1)),
        p99: Number(percentile(sorted, 99).toFixed(1)),
        max: Number((sorted.at(-1) ?? 0).toFixed(1)),
      },
      statuses: st.statuses,
      ops: st.ops,
      sessionsOpened: st.sessionsOpened,
      ackedWrites,
      auditRows,
      appendRetries: st.appendRetries,
      errors: st.transport + st.unexpected + st.http5xx,
      transportErrors: st.transport,
      unexpected: st.unexpected,
      http5xx: st.http5xx,
      lostWrites,
      auditWithoutAck: lost.auditExtra,
      verificationRequests: ver.requests,
      memory: {
        workerdPids: mem.pids,
        rssBeforeKiB: mem.rssBefore,
        rssPeakKiB: peakDuring,
        rssAfterKiB: mem.rssAfter,
        wasmBeforeBytes: mem.wasmBefore,
        wasmPeakBytes: wasmPeak,
        wasmAfterBytes: mem.wasmAfter,
        samples: mem.samples.length,
        trace: mem.samples.map((x) => ({ s: Number(((x.t - mem.samples[0].t) / 1000).toFixed(1)), requests: x.requests, rssKiB: x.rss, wasmBytes: x.wasm })),
      },
      failures,
    };
    summary.ok = summary.errors === 0 && summary.lostWrites === 0 && summary.auditWithoutAck === 0 && failures.length === 0;
    return summary;
  } finally {
    for (const t of timers) t();
    if (worker) await worker.close().catch(() => {});
    if (idp) await idp.close().catch(() => {});
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    if (removeOnExit) process.off('exit', removeOnExit);
  }
}

/** The human summary. */
export function formatSummary(s) {
  const m = s.memory;
  const lines = [
    '',
    `requests      ${s.requests}${s.complete ? '' : ` of ${s.requested} (${s.timedOut ? 'time bound reached' : 'incomplete'})`} in ${s.seconds} s: ${s.reqPerSec} req/s, concurrency ${s.concurrency}, ${s.users} users${s.oauthUser ? ' (1 via OAuth)' : ''}`,
    `latency       p50 ${s.latencyMs.p50} ms, p90 ${s.latencyMs.p90} ms, p99 ${s.latencyMs.p99} ms, max ${s.latencyMs.max} ms`,
    `statuses      ${Object.entries(s.statuses).map(([k, v]) => `${k}: ${v}`).join(', ')}`,
    `operations    ${Object.entries(s.ops).map(([k, v]) => `${k} ${v}`).join(', ')}; ${s.sessionsOpened} sessions opened; ${s.appendRetries} if_match retries`,
    `writes        ${s.ackedWrites} acknowledged, ${s.auditRows} audit rows; verified with ${s.verificationRequests} more requests`,
    `errors        ${s.errors} (transport ${s.transportErrors}, 5xx ${s.http5xx}, unexpected answers/tool errors ${s.unexpected})`,
    `lost writes   ${s.lostWrites}${s.auditWithoutAck ? `; audit rows without an acknowledged write: ${s.auditWithoutAck}` : ''}`,
    `workerd RSS   before ${mib(m.rssBeforeKiB)} MiB, peak ${mib(m.rssPeakKiB)} MiB, after ${mib(m.rssAfterKiB)} MiB (${m.rssAfterKiB >= m.rssBeforeKiB ? '+' : ''}${mib(m.rssAfterKiB - m.rssBeforeKiB)} MiB)`,
    `wasm memory   before ${mibBytes(m.wasmBeforeBytes ?? 0)} MiB, peak ${mibBytes(m.wasmPeakBytes ?? 0)} MiB, after ${mibBytes(m.wasmAfterBytes ?? 0)} MiB (${m.wasmAfterBytes != null && m.wasmBeforeBytes != null ? `+${mibBytes(m.wasmAfterBytes - m.wasmBeforeBytes)} MiB` : 'n/a'})`,
  ];
  if (s.failures.length) lines.push('failures:', ...s.failures.slice(0, 30).map((f) => `  - ${f}`));
  lines.push(s.ok ? 'PASS' : 'FAIL');
  return lines.join('\n');
}

function parseArgs(argv) {
  const o = {};
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (name) => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      o[name] = v;
    };
    if (a === '--requests') num('requests');
    else if (a === '--concurrency') num('concurrency');
    else if (a === '--users') num('users');
    else if (a === '--seconds') num('seconds');
    else if (a === '--idle') num('idleSeconds');
    else if (a === '--no-oauth') o.oauth = false;
    else if (a === '--mix') o.mix = String(argv[++i]).split(',').map((p) => { const [k, w] = p.split('='); return [k, Number(w ?? 1)]; });
    else if (a === '--json') json = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: scripts/load [--requests N] [--concurrency C] [--users U] [--seconds S] [--idle S] [--no-oauth] [--mix op=w,...] [--json]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return { o, json };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(e.message);
    process.exit(64);
  }
  const ctl = new AbortController();
  let stopping = 0;
  const stop = (sig) => {
    // A second signal within a second is Miniflare's exit hook re-raising the first: ignore it.
    if (stopping && Date.now() - stopping > 1000) process.exit(130);
    if (stopping) return;
    stopping = Date.now();
    console.error(`\n# ${sig}: stopping`);
    ctl.abort();
    // runLoad's finally stops workerd and the IdP. Miniflare's own signal hook (signal-exit) may
    // end the process at once instead: it stops workerd on exit, and our exit hook removes the
    // state directory. Do not wait for ever either way.
    setTimeout(() => process.exit(130), 15_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const seconds = args.o.seconds ?? 600;
  // The load phase is bounded by --seconds; setup, verification and the idle get 5 more minutes.
  setTimeout(() => { console.error('# hard time bound reached'); ctl.abort(); setTimeout(() => process.exit(2), 15_000).unref(); }, (seconds + 300) * 1000).unref();
  try {
    // With --json, stdout carries only the summary; progress goes to stderr.
    const s = await runLoad({ ...args.o, signal: ctl.signal, log: (l) => (args.json ? console.error(l) : console.log(l)) });
    console.log(args.json ? JSON.stringify(s, null, 2) : formatSummary(s));
    process.exit(s.ok ? 0 : 1);
  } catch (e) {
    console.error(stopping ? '# stopped' : `# load run failed: ${e.stack ?? e}`);
    process.exit(stopping ? 130 : 1);
  }
}
