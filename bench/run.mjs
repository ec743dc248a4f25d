/**
 * The benchmark driver behind scripts/bench: builds and bundles the five systems (ours, baseline,
 * best-js, floor, floor-r2; the two floors are one build started with two wrangler configs), logs
 * ours, the baseline and best-JS in through their real OAuth flow, then in rounds starts each under
 * `wrangler dev` in turn (cold start measured; the order rotates by one system each round), loads
 * it at each concurrency and reads the runtime's CPU time and memory from /proc, then the idle
 * figure (GET streams of one user left idle: does the user's Durable Object hibernate?) and a long
 * run for memory; writes a markdown report with medians and ratios.
 * floor-r2 ("floor+R2") is the floor that also makes the same R2 calls itself: what the runtime
 * charges for the storage work, so what a server costs above it is what its own code adds.
 *
 *   node bench/run.mjs [--quick] [--rounds N] [--run-seconds S] [--soak N] [--concurrency 1,8,32]
 *                      [--systems ours,baseline,best-js,floor,floor-r2] [--ops list,session,idle]
 *                      [--idle-streams 20] [--idle-seconds 60] [--transfer-mib 64] [--log-level warn]
 *                      [--no-build] [--keep-state]
 *
 * Only the documented full run (FULL_RUN in lib/systems.mjs: no flags) replaces
 * bench/results/latest.md; any other settings write only bench/results/<timestamp>.md.
 *
 * Environment: ROOT-relative paths only; WASM_BINDGEN_BIN and ESBUILD_BIN for worker-build (set by
 * scripts/bench). Loopback only; every process it starts is stopped on exit, failure or Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startIdp } from '../tests/support/idp.mjs';
import { freePort, startWrangler, stopAll } from './lib/launcher.mjs';
import { makeAgent, request } from './lib/http.mjs';
import { measure, pool } from './lib/load.mjs';
import { rssKiB, cpuMs } from './lib/proc.mjs';
import {
  EXTRA_FIGURES, FULL_RUN, MANY, MCP_SYSTEMS, SAME_USER_CLIENTS, SCENARIOS, SYSTEMS, concurrenciesFor, floorOps, floorR2Ops,
  isFloor, mcpOps,
} from './lib/systems.mjs';
import { idleFigure } from './lib/idle.mjs';
import { transferFigure } from './lib/transfer.mjs';
import { renderReport } from './lib/report.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

// ------------------------------------------------------------------------------------------------
// Settings
// ------------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = { quick: false, build: true, keepState: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--rounds') o.rounds = Number(val());
    else if (a === '--soak') o.soak = Number(val());
    else if (a === '--concurrency') o.concurrency = val().split(',').map(Number);
    else if (a === '--systems') o.systems = val().split(',');
    else if (a === '--ops') o.ops = val().split(',');
    else if (a === '--log-level') o.logLevel = val();
    else if (a === '--run-seconds') o.runSeconds = Number(val());
    else if (a === '--idle-streams') o.idleStreams = Number(val());
    else if (a === '--idle-seconds') o.idleSeconds = Number(val());
    else if (a === '--transfer-mib') o.transferMib = Number(val());
    else if (a === '--no-build') o.build = false;
    else if (a === '--keep-state') o.keepState = true;
    else if (a === '-h' || a === '--help') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  const env = process.env;
  const quick = o.quick;
  const s = {
    quick,
    build: o.build,
    keepState: o.keepState,
    rounds: o.rounds ?? Number(env.BENCH_ROUNDS ?? (quick ? 1 : FULL_RUN.rounds)),
    soak: o.soak ?? Number(env.BENCH_SOAK ?? (quick ? 2000 : FULL_RUN.soak)),
    soakConcurrency: 8,
    soakMaxMs: Number(env.BENCH_SOAK_MAX_SECONDS ?? (quick ? 60 : 1200)) * 1000,
    concurrency: o.concurrency ?? FULL_RUN.concurrency,
    systems: o.systems ?? SYSTEMS,
    // Only these figures (A/B runs of one path); a partial run never becomes latest.md.
    ops: o.ops ?? [...SCENARIOS.map((sc) => sc.id), ...EXTRA_FIGURES],
    logLevel: o.logLevel ?? env.BENCH_LOG_LEVEL ?? FULL_RUN.logLevel,
    warmup: { count: quick ? 30 : 100, ms: quick ? 500 : 1500 },
    run: { count: quick ? 600 : 4000, ms: (o.runSeconds ?? (quick ? 1.5 : FULL_RUN.runSeconds)) * 1000 },
    // The idle figure: this many GET streams of slot 0's user, left idle this long (past the
    // runtime's 10 s hibernation delay) before one write from another session.
    idle: { streams: o.idleStreams ?? FULL_RUN.idleStreams, seconds: o.idleSeconds ?? (quick ? 20 : FULL_RUN.idleSeconds) },
    // The transfer figure: one object of this many MiB through a link, down and up, this many times.
    transfer: { mib: o.transferMib ?? (quick ? 32 : FULL_RUN.transferMib), rounds: quick ? 3 : FULL_RUN.transferRounds },
  };
  for (const x of s.systems) if (!SYSTEMS.includes(x)) throw new Error(`unknown system ${x}`);
  for (const x of s.ops) if (!SCENARIOS.some((sc) => sc.id === x) && !EXTRA_FIGURES.includes(x)) throw new Error(`unknown figure ${x}`);
  if (!(s.idle.seconds > 10)) throw new Error('--idle-seconds must be over 10 (the runtime hibernates an idle object after 10 s)');
  if (!(s.idle.streams >= 1)) throw new Error('--idle-streams must be at least 1');
  if (!(s.transfer.mib >= 1 && s.transfer.mib <= 95)) throw new Error('--transfer-mib must be from 1 to 95 (one request body)');
  s.slots = Math.max(...s.concurrency);
  // Sessions of slot 0's user for the same-user figures (16 clients, or as many as the highest concurrency).
  s.clients = Math.max(s.slots, SAME_USER_CLIENTS);
  s.seedManyMs = Number(env.BENCH_SEED_MAX_SECONDS ?? 180) * 1000;
  s.fullRun = fullRunDifferences(s);
  return s;
}

/**
 * How these settings differ from the documented full run (FULL_RUN), as readable lines; empty
 * when they are the documented full run, the only run that may replace latest.md.
 */
function fullRunDifferences(s) {
  const d = [];
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  if (s.quick) d.push('--quick');
  if (s.rounds !== FULL_RUN.rounds) d.push(`rounds ${s.rounds} (documented: ${FULL_RUN.rounds})`);
  if (s.run.ms !== FULL_RUN.runSeconds * 1000) d.push(`run seconds ${s.run.ms / 1000} (documented: ${FULL_RUN.runSeconds})`);
  if (s.soak !== FULL_RUN.soak) d.push(`long run ${s.soak} requests (documented: ${FULL_RUN.soak})`);
  if (!same(s.concurrency, FULL_RUN.concurrency)) d.push(`concurrency ${s.concurrency} (documented: ${FULL_RUN.concurrency})`);
  if (s.logLevel !== FULL_RUN.logLevel) d.push(`log level ${s.logLevel} (documented: ${FULL_RUN.logLevel})`);
  if (!same([...s.systems].sort(), [...SYSTEMS].sort())) d.push(`systems ${s.systems} (documented: all ${SYSTEMS.length})`);
  const allOps = [...SCENARIOS.map((sc) => sc.id), ...EXTRA_FIGURES];
  if (!same([...s.ops].sort(), [...allOps].sort())) d.push(`figures ${s.ops} (documented: all)`);
  if (s.ops.includes('transfer') && (s.transfer.mib !== FULL_RUN.transferMib || s.transfer.rounds !== FULL_RUN.transferRounds)) {
    d.push(`transfer figure ${s.transfer.mib} MiB × ${s.transfer.rounds} (documented: ${FULL_RUN.transferMib} MiB × ${FULL_RUN.transferRounds})`);
  }
  if (s.ops.includes('idle') && (s.idle.streams !== FULL_RUN.idleStreams || s.idle.seconds !== FULL_RUN.idleSeconds)) {
    d.push(`idle figure ${s.idle.streams} streams for ${s.idle.seconds} s (documented: ${FULL_RUN.idleStreams} for ${FULL_RUN.idleSeconds} s)`);
  }
  return d;
}

// ------------------------------------------------------------------------------------------------
// Builds and bundles
// ------------------------------------------------------------------------------------------------

function timed(cmd, args, opts) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  return { ok: r.status === 0, ms: performance.now() - t0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Our wrangler.toml without its [build] command, next to a snapshot of build/ (others may rebuild). */
function prepareOurs(dir) {
  mkdirSync(dir, { recursive: true });
  const toml = readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8').replace(/^\[build\]\n(?:(?!\[)[^\n]*\n)*/m, '');
  writeFileSync(path.join(dir, 'wrangler.toml'), toml);
  rmSync(path.join(dir, 'build'), { recursive: true, force: true });
  cpSync(path.join(ROOT, 'build'), path.join(dir, 'build'), { recursive: true });
  return path.join(dir, 'wrangler.toml');
}

function bundleSizes(outdir) {
  const sizes = { wasmRaw: 0, wasmGzip: 0, jsRaw: 0, jsGzip: 0 };
  for (const f of readdirSync(outdir, { recursive: true })) {
    const p = path.join(outdir, String(f));
    if (!statSync(p).isFile()) continue;
    const kind = /\.wasm$/.test(p) ? 'wasm' : /\.m?js$/.test(p) ? 'js' : undefined;
    if (!kind) continue;
    const buf = readFileSync(p);
    sizes[`${kind}Raw`] += buf.length;
    sizes[`${kind}Gzip`] += gzipSync(buf).length;
  }
  return sizes;
}

function buildAll(s, runDir, results) {
  const wrangler = [path.join(ROOT, 'node_modules/wrangler/bin/wrangler.js')];
  const configs = {};
  /** The floor's one build, shared by floor and floor-r2: undefined until tried, then the error or true. */
  let floorBuild;
  for (const sys of s.systems) {
    try {
      buildOne(sys);
    } catch (e) {
      delete configs[sys];
      results.notes.push(`${sys}: n/a (not available): ${String(e.message).split('\n')[0]}`);
      log(`${sys} is left out: ${e.message.slice(0, 3000)}`);
    }
  }
  return configs;

  function buildOne(sys) {
    const b = (results.builds[sys] = { ms: NaN, note: '' });
    if (sys === 'ours') {
      if (s.build) {
        // With the `/_dev/` diagnostics (the wasm heap and idle-object figures read them).
        log('building ours (R2MCP_FEATURES=dev scripts/build, release)');
        const r = timed('bash', [path.join(ROOT, 'scripts/build')], { cwd: ROOT, env: { ...process.env, R2MCP_FEATURES: 'dev' } });
        if (r.ok) b.ms = r.ms;
        else b.note = 'scripts/build failed; the existing build/ was used';
        if (!r.ok) log(`scripts/build failed:\n${r.out.slice(-3000)}`);
      } else b.note = 'not built (--no-build)';
      if (!existsSync(path.join(ROOT, 'build/index.js'))) throw new Error('build/index.js is missing and scripts/build failed');
      configs.ours = prepareOurs(path.join(runDir, 'ours'));
    } else if (isFloor(sys)) {
      const dir = path.join(ROOT, 'bench/floor');
      if (floorBuild === undefined) {
        floorBuild = true;
        if (s.build || !existsSync(path.join(dir, 'build/index.js'))) {
          log('building the floor (worker-build --release; floor and floor-r2 share this build)');
          const r = timed('worker-build', ['--release'], { cwd: dir });
          if (!r.ok) floorBuild = new Error(`floor build failed:\n${r.out.slice(-3000)}`);
          else b.ms = r.ms;
        } else b.note = 'not built (--no-build)';
      } else b.note = 'the same build as the other floor (one worker-build for both)';
      if (floorBuild !== true) throw floorBuild;
      configs[sys] = path.join(dir, sys === 'floor' ? 'wrangler.toml' : 'wrangler.r2.toml');
      // The same wasm and JS as the floor: its sizes, when the floor was bundled in this run.
      if (sys === 'floor-r2' && results.bundles.floor) {
        results.bundles[sys] = results.bundles.floor;
        return;
      }
    } else {
      configs[sys] = path.join(ROOT, `bench/${sys}/wrangler.toml`);
      b.note = 'esbuild bundle by wrangler';
    }
    log(`bundling ${sys} (wrangler deploy --dry-run)`);
    const outdir = path.join(runDir, `bundle-${sys}`);
    const r = timed(process.execPath, [...wrangler, 'deploy', '--dry-run', '--outdir', outdir, '--config', configs[sys]], {
      cwd: path.dirname(configs[sys]),
    });
    if (!r.ok) throw new Error(`bundling failed: ${(/ERROR\S*\s*(.*)/.exec(r.out.replace(/\x1b\[[0-9;]*m/g, ''))?.[1] ?? '').trim()}\n${r.out.slice(-3000)}`);
    if (sys === 'baseline' || sys === 'best-js') b.ms = r.ms;
    results.bundles[sys] = bundleSizes(outdir);
  }
}

// ------------------------------------------------------------------------------------------------
// One system's life: start, log in, sessions, scenarios, stop
// ------------------------------------------------------------------------------------------------

function systemDef(sys, env) {
  const ops = sys === 'floor' ? floorOps() : sys === 'floor-r2' ? floorR2Ops() : mcpOps({ stateless: sys === 'best-js' });
  const vars = {
    ours: () => ({
      ACCESS_ISSUER: env.issuer, ACCESS_CLIENT_ID: 'bench-ours', ACCESS_CLIENT_SECRET: env.secret,
      COOKIE_ENCRYPTION_KEY: env.cookieKey, DEV_MODE: '1',
      // The same log level as wrangler's: at warn (the default) its per-request info line would be
      // produced only for wrangler to drop it; --log-level info measures ours with that line.
      LOG_LEVEL: { none: 'error', error: 'error', warn: 'warn', info: 'info', log: 'info', debug: 'debug' }[env.logLevel] ?? 'info',
    }),
    baseline: () => ({
      ACCESS_ISSUER: env.issuer, ACCESS_CLIENT_ID: 'bench-baseline', ACCESS_CLIENT_SECRET: env.secret,
      PUBLIC_URL: `http://127.0.0.1:${env.ports.baseline}`,
    }),
    'best-js': () => ({
      ACCESS_ISSUER: env.issuer, ACCESS_CLIENT_ID: 'bench-best-js', ACCESS_CLIENT_SECRET: env.secret,
      PUBLIC_URL: `http://127.0.0.1:${env.ports['best-js']}`,
    }),
    floor: () => ({}),
    'floor-r2': () => ({}), // FLOOR_R2 and the bucket come from wrangler.r2.toml
  }[sys]();
  return { sys, floor: isFloor(sys), ops, vars, port: env.ports[sys], config: env.configs[sys], persistDir: path.join(env.runDir, `state-${sys}`) };
}

async function start(def, s, runDir) {
  return startWrangler({
    root: ROOT, config: def.config, port: def.port, persistDir: def.persistDir, vars: def.vars,
    logFile: path.join(runDir, `wrangler-${def.sys}.log`), logLevel: s.logLevel,
  });
}

/** Time from spawn to the first successful authenticated /mcp call, and that call's own time. */
async function coldStart(w, def, ctx, mcpReady = true) {
  await w.waitForPort();
  const portMs = performance.now() - w.t0;
  const end = performance.now() + 90000;
  let lastError;
  while (performance.now() < end) {
    const t = performance.now();
    try {
      if (def.floor) await def.ops.op.list(ctx, 0);
      else if (!mcpReady) await def.ops.op.unauth(ctx, 0);
      else await def.ops.session(ctx.url, ctx.slots[0], ctx.agent).open();
      return { totalMs: performance.now() - w.t0, portMs, firstCallMs: performance.now() - t, authenticated: mcpReady };
    } catch (e) {
      lastError = e;
      if (w.exited) break;
      await sleep(25);
    }
  }
  return { error: String(lastError?.message ?? lastError) };
}

async function openSessions(def, ctx, clients) {
  ctx.sessions = [];
  for (const slot of ctx.slots) {
    const m = def.ops.session(ctx.url, slot, ctx.agent);
    if (m) await m.open();
    ctx.sessions.push(m);
  }
  ctx.shared = def.ops.sharedSessions?.(ctx.url, ctx.slots[0], clients, ctx.agent) ?? [];
  for (const m of ctx.shared) await m.open();
}

/** First start: real logins for every slot, sessions, seeded objects, and which scenarios work. */
async function prepare(def, s, runDir, results) {
  const avail = (results.available[def.sys] = {});
  const w = await start(def, s, runDir);
  try {
    await w.waitForPort();
    const ctx = { url: w.url, mcpUrl: `${w.url}/mcp`, agent: makeAgent(s.clients + 4) };
    // The MCP handlers may answer once the port is open but before the Worker is up: retry logins.
    if (!def.floor) log(`${def.sys}: logging ${s.slots} users in through the OAuth flow`);
    const t0 = performance.now();
    for (let attempt = 0; ; attempt++) {
      try {
        ctx.slots = await def.ops.login(ctx.url, s.slots);
        break;
      } catch (e) {
        if (attempt >= 3) throw new Error(`login failed: ${e.message}`);
        await sleep(1000);
      }
    }
    if (!def.floor) results.loginMs[def.sys] = (performance.now() - t0) / s.slots;
    let mcpError;
    try {
      await openSessions(def, ctx, s.clients);
      for (let i = 0; i < ctx.slots.length; i++) await def.ops.seed(ctx, i);
    } catch (e) {
      mcpError = `MCP session or seeding failed: ${e.message}`;
      log(`${def.sys}: ${mcpError}`);
    }
    let manyError;
    if (!mcpError && def.ops.seedMany && s.ops.includes('list1000')) {
      const t1 = performance.now();
      try {
        await def.ops.seedMany(ctx.shared.slice(0, SAME_USER_CLIENTS), s.seedManyMs);
        results.seedManyMs[def.sys] = performance.now() - t1;
        log(`${def.sys}: seeded ${MANY} objects for one user in ${((performance.now() - t1) / 1000).toFixed(1)} s (${SAME_USER_CLIENTS} clients at once)`);
      } catch (e) {
        manyError = `seeding ${MANY} objects failed: ${e.message}`;
        log(`${def.sys}: ${manyError}`);
      }
    }
    for (const sc of SCENARIOS) {
      const op = def.ops.op[sc.id];
      if (!op) { avail[sc.id] = 'not applicable'; continue; }
      if (!s.ops.includes(sc.id)) { avail[sc.id] = 'not asked for (--ops)'; continue; }
      if (mcpError && sc.mcp) { avail[sc.id] = mcpError; continue; }
      if (manyError && sc.id === 'list1000') { avail[sc.id] = manyError; continue; }
      try {
        const r = await op(ctx, 0);
        if (sc.id === 'list1000') results.manyPages[def.sys] = r;
        if (sc.id === 'list') await def.ops.check(ctx);
        avail[sc.id] = true;
      } catch (e) {
        avail[sc.id] = String(e.message).slice(0, 200);
        log(`${def.sys}: ${sc.id} not available: ${avail[sc.id]}`);
      }
    }
    return ctx.slots;
  } finally {
    await w.stop();
  }
}

async function round(def, s, runDir, results, slots, r) {
  const w = await start(def, s, runDir);
  try {
    const ctx = { url: w.url, mcpUrl: `${w.url}/mcp`, agent: makeAgent(s.clients + 4), slots };
    const cold = await coldStart(w, def, ctx, def.floor || results.available[def.sys].session === true);
    (results.cold[def.sys] ??= []).push(cold);
    if (cold.error) log(`${def.sys}: no successful /mcp call after start: ${cold.error}`);
    const avail = results.available[def.sys];
    const needsSessions = SCENARIOS.some((sc) => sc.mcp && avail[sc.id] === true);
    const needsShared = SCENARIOS.some((sc) => sc.sameUser && avail[sc.id] === true);
    if (needsSessions || def.floor) await openSessions(def, ctx, needsShared ? s.clients : 0);
    for (const sc of SCENARIOS) {
      if (avail[sc.id] !== true) continue;
      for (const c of concurrenciesFor(sc, s)) {
        const m = await measure((slot) => def.ops.op[sc.id](ctx, slot), {
          concurrency: c, warmup: s.warmup, run: s.run, pids: w.pids,
        });
        ((results.scen[def.sys] ??= {})[sc.id] ??= {})[c] ??= [];
        results.scen[def.sys][sc.id][c].push(m);
        log(`${def.sys} round ${r + 1} ${sc.id} c=${c}: ${m.rps.toFixed(1)} req/s p50 ${m.p50.toFixed(1)} p99 ${m.p99.toFixed(1)} ms, cpu ${m.cpuMsPerOp.toFixed(2)} ms/op, errors ${m.errors}${m.firstError ? ` (${m.firstError})` : ''}`);
      }
    }
  } finally {
    await w.stop();
  }
}

async function devMetrics(url, agent) {
  try {
    const r = await request(`${url}/_dev/metrics`, { agent });
    return r.status === 200 ? JSON.parse(r.body.toString()) : undefined;
  } catch {
    return undefined;
  }
}

/** The long run: memory before, during (sampled every 0.5 s) and after N list_objects calls. */
async function soak(def, s, runDir, results, slots) {
  const op = results.available[def.sys].list === true ? def.ops.op.list : undefined;
  if (!op || s.soak <= 0) return;
  const w = await start(def, s, runDir);
  try {
    const ctx = { url: w.url, mcpUrl: `${w.url}/mcp`, agent: makeAgent(s.soakConcurrency + 4), slots };
    const cold = await coldStart(w, def, ctx);
    if (cold.error) throw new Error(cold.error);
    await openSessions(def, ctx, 0);
    await pool((slot) => op(ctx, slot), { concurrency: s.soakConcurrency, count: 200, ms: 10000 });
    await sleep(2000);
    const pids = w.pids();
    const before = rssKiB(pids);
    const metricsBefore = def.sys === 'ours' ? await devMetrics(ctx.url, ctx.agent) : undefined;
    const samples = [];
    const timer = setInterval(() => samples.push(rssKiB(w.pids())), 500);
    const c0 = cpuMs(pids);
    log(`${def.sys}: long run of ${s.soak} list_objects calls at concurrency ${s.soakConcurrency}`);
    const r = await pool((slot) => op(ctx, slot), { concurrency: s.soakConcurrency, count: s.soak, ms: s.soakMaxMs });
    clearInterval(timer);
    const c1 = cpuMs(pids);
    await sleep(3000);
    const after = rssKiB(w.pids());
    const metricsAfter = def.sys === 'ours' ? await devMetrics(ctx.url, ctx.agent) : undefined;
    const done = r.latencies.length + r.errors;
    results.soak[def.sys] = {
      requests: done, errors: r.errors, firstError: r.firstError, seconds: r.seconds,
      rps: r.latencies.length / r.seconds, cpuMsPerOp: (c1 - c0) / done,
      beforeKiB: before, peakKiB: Math.max(before, ...samples), midKiB: samples[Math.floor(samples.length / 2)] ?? before,
      afterKiB: after, metricsBefore, metricsAfter,
    };
    log(`${def.sys}: long run ${done} requests in ${r.seconds.toFixed(0)} s, RSS ${before} → ${Math.max(...samples, before)} → ${after} KiB, errors ${r.errors}`);
  } finally {
    await w.stop();
  }
}

// ------------------------------------------------------------------------------------------------

async function main() {
  const s = parseArgs(process.argv.slice(2));
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, 'Z');
  const resultsDir = path.join(ROOT, 'bench/results');
  const runDir = path.join(resultsDir, `run-${stamp}`);
  mkdirSync(runDir, { recursive: true });
  log(`run directory ${path.relative(ROOT, runDir)} (logs); settings ${JSON.stringify({ ...s, build: undefined })}`);
  if (s.fullRun.length) log(`this run will not replace bench/results/latest.md: it differs from the documented full run (${s.fullRun.join('; ')})`);

  let idp;
  let stopping = false;
  const cleanup = async () => {
    stopAll();
    await idp?.close().catch(() => {});
    if (!s.keepState) {
      for (const f of readdirSync(runDir)) if (f.startsWith('state-')) rmSync(path.join(runDir, f), { recursive: true, force: true });
    }
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, async () => {
      if (stopping) return;
      stopping = true;
      log(`${sig}: stopping everything`);
      await cleanup();
      process.exit(130);
    });
  }
  process.on('exit', stopAll);

  const results = {
    settings: s, started: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: os.totalmem() / 2 ** 30, node: process.version },
    builds: {}, bundles: {}, available: {}, loginMs: {}, seedManyMs: {}, manyPages: {}, cold: {}, scen: {}, soak: {}, idle: {}, transfer: {}, order: [], notes: [],
  };
  const t0 = performance.now();
  try {
    const configs = buildAll(s, runDir, results);
    const ports = {};
    for (const sys of s.systems) ports[sys] = await freePort();
    const secret = randomBytes(16).toString('hex');
    idp = await startIdp({
      refreshTokens: true,
      clients: MCP_SYSTEMS.map((sys) => ({
        client_id: `bench-${sys}`, client_secret: secret,
        redirect_uris: [`http://127.0.0.1:${ports[sys] ?? 9}/callback`], token_endpoint_auth_method: 'client_secret_basic',
      })),
    });
    const env = { logLevel: s.logLevel, issuer: idp.issuer, secret, cookieKey: randomBytes(32).toString('hex'), ports, configs, runDir };
    const defs = s.systems.filter((sys) => configs[sys]).map((sys) => systemDef(sys, env));

    const slots = {};
    for (const def of defs) {
      try {
        slots[def.sys] = await prepare(def, s, runDir, results);
      } catch (e) {
        results.notes.push(`${def.sys}: could not be prepared: ${e.message}`);
        log(`${def.sys}: could not be prepared: ${e.message}`);
      }
    }
    // The systems' order rotates by one each round (round 1: ours first; round 2: the next system
    // first, ours last; …), so no system always runs first or last on the shared machine.
    for (let r = 0; r < s.rounds; r++) {
      const order = defs.map((_, i) => defs[(i + r) % defs.length]);
      results.order.push(order.map((def) => def.sys));
      for (const def of order) {
        if (!slots[def.sys]) continue;
        log(`round ${r + 1}/${s.rounds}: ${def.sys}`);
        try {
          await round(def, s, runDir, results, slots[def.sys], r);
        } catch (e) {
          results.notes.push(`${def.sys} round ${r + 1}: ${e.message}`);
          log(`${def.sys} round ${r + 1} failed: ${e.message}`);
        }
      }
    }
    if (s.ops.includes('idle')) {
      for (const def of defs) {
        if (!slots[def.sys] || def.floor) continue;
        try {
          results.idle[def.sys] = await idleFigure(def, s, {
            start: () => start(def, s, runDir), coldStart: (w, ctx) => coldStart(w, def, ctx), log, slots: slots[def.sys],
          });
        } catch (e) {
          results.idle[def.sys] = { error: String(e.message) };
          log(`${def.sys} idle figure failed: ${e.message}`);
        }
      }
    }
    if (s.ops.includes('transfer')) {
      for (const def of defs) {
        if (!slots[def.sys]) continue;
        try {
          results.transfer[def.sys] = await transferFigure(def, s, {
            start: () => start(def, s, runDir), coldStart: (w, ctx) => coldStart(w, def, ctx), log, slots: slots[def.sys],
          });
        } catch (e) {
          results.transfer[def.sys] = { error: String(e.message) };
          log(`${def.sys} transfer figure failed: ${e.message}`);
        }
      }
    }
    for (const def of defs) {
      if (!slots[def.sys]) continue;
      try {
        await soak(def, s, runDir, results, slots[def.sys]);
      } catch (e) {
        results.notes.push(`${def.sys} long run: ${e.message}`);
        log(`${def.sys} long run failed: ${e.message}`);
      }
    }
  } finally {
    await cleanup();
  }
  results.seconds = (performance.now() - t0) / 1000;
  const md = renderReport(results);
  const file = path.join(resultsDir, `${stamp}.md`);
  writeFileSync(file, md);
  writeFileSync(path.join(runDir, 'results.json'), JSON.stringify(results, null, 2));
  // Only the documented full run (FULL_RUN: every system and figure, its rounds, run seconds, long
  // run, concurrencies and log level) becomes latest.md, the report the README quotes.
  const full = s.fullRun.length === 0;
  if (full) writeFileSync(path.join(resultsDir, 'latest.md'), md);
  console.log(md);
  log(`written to ${path.relative(ROOT, file)}${full ? ' and bench/results/latest.md' : ''} (raw figures in ${path.relative(ROOT, runDir)}/results.json)`);
  if (!full) log(`bench/results/latest.md left as it was: not the documented full run (${s.fullRun.join('; ')})`);
  const errors = Object.values(results.scen).flatMap((x) => Object.values(x).flatMap((y) => Object.values(y).flat())).reduce((n, m) => n + m.errors, 0);
  if (errors > 0) {
    log(`${errors} request(s) failed during the measured runs: see the report`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  stopAll();
  console.error(e?.stack ?? e);
  process.exit(1);
});
