/**
 * Turns the raw figures of a benchmark run into the markdown report: medians over rounds, each
 * figure with the ratios ours/baseline, ours/best-JS, ours/floor and ours/floor+R2 (floor-r2: the
 * floor that also makes the same R2 calls), the targets of issues 6 and 17 checked (also scored for
 * floor+R2 where the runtime bounds them), the idle figure of issue 18, and the run's settings.
 */
import { FULL_RUN, MANY, SCENARIOS, SYSTEMS, concurrenciesFor } from './systems.mjs';
import { HIBERNATION_DELAY_S, HOURS_PER_MONTH, OBJECT_GB, USD_PER_GB_S, estimateIdle, monthlyUsd } from './idle.mjs';

const NA = 'n/a';

export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const fmt = (x, digits = 1) => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(digits)) : NA);
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : NA);
const kb = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1000).toFixed(0)} KB` : NA);
const mib = (kib) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(1)} MiB` : NA);
const sec = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : NA);

/** Values in SYSTEMS order: ours, baseline, best-js, floor, floor-r2. */
function row(label, vals, { f = fmt, ratios = true } = {}) {
  const [o, b, bj, fl, fr] = vals;
  const r = (x) => (ratios ? ratio(o, x) : '');
  return `| ${label} | ${f(o)} | ${f(b)} | ${f(bj)} | ${f(fl)} | ${f(fr)} | ${r(b)} | ${r(bj)} | ${r(fl)} | ${r(fr)} |`;
}
const HEAD = '| figure | ours | baseline | best-JS | floor | floor+R2 | ours/baseline | ours/best-JS | ours/floor | ours/floor+R2 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|';

/** The median of one field over rounds, for one system, scenario and concurrency. */
function med(results, sys, sc, c, field) {
  const runs = results.scen[sys]?.[sc]?.[c];
  if (!runs?.length) return NaN;
  return median(runs.map((m) => m[field]));
}
function errs(results, sys, sc, c) {
  const runs = results.scen[sys]?.[sc]?.[c];
  return runs?.length ? runs.reduce((n, m) => n + m.errors, 0) : NaN;
}

function targetLine(name, value, goal, pass, bound = '') {
  const mark = value === NA ? 'not measured' : pass === undefined ? 'information' : pass ? 'met' : 'missed';
  return `| ${name} | ${value} | ${goal} | ${mark} | ${bound} |`;
}

export function renderReport(results) {
  const s = results.settings;
  const out = [];
  const systems = SYSTEMS;
  out.push(`# Benchmark: ours vs the JS baseline and best-JS vs the floor and floor+R2`);
  out.push('');
  out.push(`${results.started.slice(0, 16).replace('T', ' ')} UTC · ${results.machine.cpus} cores (${results.machine.model}) · Node ${results.machine.node} · ` +
    `each system under \`wrangler dev\` (workerd), log level \`${s.logLevel}\`, run in turn · ` +
    `${s.rounds} round(s), medians shown · per figure: warm-up ${s.warmup.count} requests or ${s.warmup.ms / 1000} s, then ` +
    `${s.run.count} requests or ${s.run.ms / 1000} s · ${s.quick ? 'quick mode · ' : ''}whole run ${(results.seconds / 60).toFixed(1)} min.`);
  out.push('');
  out.push(settingsParagraph(results));
  out.push('');
  out.push('Ratios are ours divided by the other: above 1× is better for requests/s, below 1× is better for latency, CPU, memory and sizes. ' +
    'CPU is the user + system time of the workerd processes under wrangler dev (its dev proxy and the Worker\'s runtime) over the measured requests, divided by their number (10 ms tick resolution). ' +
    '"n/a" marks a figure that could not be measured (reason under "Not measured").');
  out.push('');
  out.push('**floor+R2** is the floor that, after its SQLite write, also makes the same R2 call itself (list with HTTP metadata, put, get of the whole body) ' +
    'against the same local R2 simulator, which runs inside the same workerd and whose CPU and memory are counted with it: it charges the runtime\'s own cost of the storage work, ' +
    'so (system − floor+R2) is what each server\'s own code adds, and floor+R2 − floor is the runtime\'s R2 call alone.');
  out.push('');

  // Targets ------------------------------------------------------------------------------------
  const c8 = s.concurrency.includes(8) ? 8 : s.concurrency[Math.min(1, s.concurrency.length - 1)];
  const cpu = (sys) => med(results, sys, 'list', c8, 'cpuMsPerOp');
  const above = (cpu('ours') - cpu('floor')) / (cpu('baseline') - cpu('floor'));
  const aboveR2 = (cpu('ours') - cpu('floor-r2')) / (cpu('baseline') - cpu('floor-r2'));
  const r2Alone = cpu('floor-r2') - cpu('floor');
  const rps = (sys, sc = 'list') => med(results, sys, sc, c8, 'rps');
  const p99 = (sys) => med(results, sys, 'list', c8, 'p99');
  const wasmGz = results.bundles.ours?.wasmGzip;
  const growth = (sys) => (results.soak[sys] ? results.soak[sys].afterKiB - results.soak[sys].beforeKiB : NaN);
  const v = (x, f = (y) => y.toFixed(2)) => (Number.isFinite(x) ? f(x) : NA);
  out.push('## Against the targets (issue 6)');
  out.push('');
  // What floor+R2 itself scores on the same target: the most a server making the same R2 call can
  // reach on this runtime (it has no code of its own beyond that call).
  const bound = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}` : '');
  out.push('The last column scores floor+R2 by the same formula as ours: a server with no code of its own beyond the same R2 call, so what any server making that call can reach on this runtime.');
  out.push('');
  out.push('| target | measured | goal | | floor+R2 on the same target |\n|---|---:|---:|---|---:|');
  out.push(targetLine(`list_objects: CPU/request above the floor, ours ÷ baseline (c=${c8})`, v(above), '≤ 0.20', above <= 0.2,
    bound((cpu('floor-r2') - cpu('floor')) / (cpu('baseline') - cpu('floor')))));
  out.push(targetLine(`list_objects: requests/s ours ÷ baseline (c=${c8})`, v(rps('ours') / rps('baseline')), '≥ 2.5', rps('ours') / rps('baseline') >= 2.5,
    bound(rps('floor-r2') / rps('baseline'))));
  out.push(targetLine(`list_objects: requests/s ours ÷ floor (c=${c8})`, v(rps('ours') / rps('floor')), '≥ 0.75', rps('ours') / rps('floor') >= 0.75,
    bound(rps('floor-r2') / rps('floor'))));
  out.push(targetLine(`list_objects: p99 ours ÷ baseline (c=${c8})`, v(p99('ours') / p99('baseline')), '≤ 0.4', p99('ours') / p99('baseline') <= 0.4,
    bound(p99('floor-r2') / p99('baseline'))));
  out.push(targetLine(`new sessions/s ours ÷ baseline (c=${c8})`, v(rps('ours', 'session') / rps('baseline', 'session')), '≥ 4', rps('ours', 'session') / rps('baseline', 'session') >= 4));
  // The budget (500 KB since issue 14) is the deploy build's, which `scripts/deploy --dry-run`
  // checks; the bench runs a build with the `dev` diagnostics it reads, a few KB larger.
  out.push(targetLine('wasm bundle, gzip (the bench\'s build, with the `dev` diagnostics)', Number.isFinite(wasmGz) && wasmGz > 0 ? kb(wasmGz) : NA,
    'the deploy build ≤ 500 KB (`scripts/deploy --dry-run`)', undefined));
  out.push(targetLine('runtime RSS growth over the long run, ours vs floor', Number.isFinite(growth('ours')) && Number.isFinite(growth('floor')) ? `${mib(growth('ours'))} vs ${mib(growth('floor'))}` : NA, 'ours ≤ floor', growth('ours') <= growth('floor'),
    Number.isFinite(growth('floor-r2')) && Number.isFinite(growth('floor')) ? `${mib(growth('floor-r2'))} vs ${mib(growth('floor'))}` : ''));
  out.push(targetLine(`list_objects: CPU/request above floor+R2, ours ÷ baseline (c=${c8})`, v(aboveR2), '≤ 0.20', aboveR2 <= 0.2));
  out.push(targetLine('runtime RSS growth over the long run, ours vs floor+R2', Number.isFinite(growth('ours')) && Number.isFinite(growth('floor-r2')) ? `${mib(growth('ours'))} vs ${mib(growth('floor-r2'))}` : NA, 'ours ≤ floor+R2', growth('ours') <= growth('floor-r2')));
  out.push(targetLine(`list_objects: the runtime's R2 list alone (floor+R2 − floor), CPU ms/request (c=${c8})`, v(r2Alone), '—', undefined));
  out.push('');

  // Issue 17: against the best JavaScript build (best-JS), at concurrency 8 -----------------------
  const firstCall = (sys) => median((results.cold[sys] ?? []).filter((x) => !x.error && x.authenticated !== false).map((x) => x.firstCallMs));
  const upload = (sys) => (results.bundles[sys] ? results.bundles[sys].wasmGzip + results.bundles[sys].jsGzip : NaN);
  const q = (a, b) => a / b;
  const t17 = [
    ['list_objects: requests/s, ours ÷ best-JS', q(rps('ours'), rps('best-js')), '≥ 1.5', (x) => x >= 1.5, q(rps('floor-r2'), rps('best-js'))],
    ['list_objects: p99, ours ÷ best-JS', q(p99('ours'), p99('best-js')), '≤ 0.5', (x) => x <= 0.5, q(p99('floor-r2'), p99('best-js'))],
    ['list_objects: CPU/request above floor+R2, ours ÷ best-JS', q(cpu('ours') - cpu('floor-r2'), cpu('best-js') - cpu('floor-r2')), '≤ 0.5', (x) => x <= 0.5, undefined],
    ['new sessions/s, ours ÷ best-JS', q(rps('ours', 'session'), rps('best-js', 'session')), '≥ 1.5', (x) => x >= 1.5, q(rps('floor-r2', 'session'), rps('best-js', 'session'))],
    ['refresh grant requests/s, ours ÷ baseline', q(rps('ours', 'refresh'), rps('baseline', 'refresh')), '≥ 1.0', (x) => x >= 1.0, undefined],
    ['unauthenticated 401 requests/s, ours ÷ baseline', q(rps('ours', 'unauth'), rps('baseline', 'unauth')), '≥ 1.0', (x) => x >= 1.0, q(rps('floor-r2', 'unauth'), rps('baseline', 'unauth'))],
    ['get_object 1 MB requests/s, ours ÷ floor+R2', q(rps('ours', 'get'), rps('floor-r2', 'get')), '≥ 0.8', (x) => x >= 0.8, undefined],
    ['cold start (the first /mcp call), ours ÷ best-JS', q(firstCall('ours'), firstCall('best-js')), '≤ 0.5', (x) => x <= 0.5, q(firstCall('floor-r2'), firstCall('best-js'))],
    ['upload size (gzip), ours ÷ best-JS', q(upload('ours'), upload('best-js')), '≤ 0.5', (x) => x <= 0.5, q(upload('floor-r2'), upload('best-js'))],
  ];
  out.push(`## Against the targets (issue 17: the best JavaScript build, c=${c8})`);
  out.push('');
  out.push('best-JS is `bench/best-js/` (see "The systems"). The last column scores floor+R2 by the same formula where the runtime bounds the target ' +
    '(a server with no code of its own beyond the same R2 call, or the floor\'s own upload); it is blank where floor+R2 is the target\'s own reference or has no analogue.');
  out.push('');
  out.push('| target | measured | goal | | floor+R2 on the same target |\n|---|---:|---:|---|---:|');
  for (const [name, x, goal, pass, fr] of t17) {
    out.push(targetLine(name, v(x), goal, Number.isFinite(x) ? pass(x) : undefined, bound(fr)));
  }
  out.push('');

  // Scenarios ----------------------------------------------------------------------------------
  for (const sc of SCENARIOS) {
    out.push(`## ${sc.title}`);
    out.push('');
    if (sc.id === 'session') out.push('One operation = the three requests of a new session; latency and CPU are per session.\n');
    if (sc.sameUser) {
      out.push(`All clients are one user (slot 0): each client is its own MCP session with that user's one token, all at once` +
        `${sc.concurrency ? '' : ' (c clients)'}. Ours serves them from that user's one Durable Object; the baseline has one Durable Object per session; ` +
        'best-JS reads from the Worker and orders the writes in that user\'s one Durable Object.\n');
    }
    if (sc.id === 'list1000') {
      const seeded = ['ours', 'baseline', 'best-js'].filter((sys) => Number.isFinite(results.seedManyMs?.[sys]))
        .map((sys) => `${sys} ${(results.seedManyMs[sys] / 1000).toFixed(1)} s`);
      out.push(`The ${MANY.toLocaleString('en')} small objects (\`many/0000\`…) were written during setup by 16 clients of that user at once` +
        `${seeded.length ? ` (${seeded.join(', ')})` : ''}; one operation is a whole listing: \`list_objects\` with \`limit: ${MANY}\`, then again with each \`next_cursor\` until there is none, ` +
        `checked to give all ${MANY.toLocaleString('en')} objects; latency and CPU are per listing. ` +
        `All three ask R2 for the HTTP metadata (content type), and R2 then returns at most 100 objects per call (the local one too), ` +
        `so a listing took ${['ours', 'baseline', 'best-js'].filter((sys) => results.manyPages?.[sys]).map((sys) => `${results.manyPages[sys]} calls for ${sys}`).join(', ') || 'n/a calls'}.\n`);
    }
    if (sc.floor === false) out.push('The floor and floor+R2: n/a (the floor has no R2; floor+R2 makes only the one list/put/get call, no analogue of this figure).\n');
    else if (sc.id !== 'unauth' && sc.id !== 'refresh' && (results.scen.floor || results.scen['floor-r2'])) {
      out.push('The floor answers the same HTTP request shape with its Worker → Durable Object → SQLite write round trip (no MCP, no R2)' +
        (['list', 'put', 'get'].includes(sc.id) ? '; floor+R2 does the same and then the R2 call itself, and answers a minimal tool result.\n' : '; floor+R2 answers this one the same way.\n'));
    }
    if (sc.id === 'unauth') out.push('The floor and floor+R2 answer 401 in their Worker when no `Authorization` header is present (no Durable Object).\n');
    if (s.quick && sc.quickMax && !sc.concurrency && s.concurrency.some((c) => c > sc.quickMax)) {
      out.push(`Quick mode: only up to c=${sc.quickMax} for this figure (the full run has every concurrency).\n`);
    }
    out.push(HEAD);
    for (const c of concurrenciesFor(sc, s)) {
      const vals = (field) => systems.map((sys) => med(results, sys, sc.id, c, field));
      out.push(row(`c=${c} requests/s`, vals('rps')));
      out.push(row(`c=${c} p50 ms`, vals('p50')));
      out.push(row(`c=${c} p90 ms`, vals('p90')));
      out.push(row(`c=${c} p99 ms`, vals('p99')));
      out.push(row(`c=${c} CPU ms/request`, vals('cpuMsPerOp'), { f: (x) => fmt(x, 2) }));
      out.push(row(`c=${c} errors`, systems.map((sys) => errs(results, sys, sc.id, c)), { f: (x) => (Number.isFinite(x) ? String(x) : NA), ratios: false }));
    }
    out.push('');
  }

  // Size, build, start -------------------------------------------------------------------------
  out.push('## Size, build and start');
  out.push('');
  out.push(HEAD);
  const b = (k) => systems.map((sys) => results.bundles[sys]?.[k] ?? NaN);
  out.push(row('wasm, raw', b('wasmRaw'), { f: kb }));
  out.push(row('wasm, gzip', b('wasmGzip'), { f: kb }));
  out.push(row('JS, raw', b('jsRaw'), { f: kb }));
  out.push(row('JS, gzip', b('jsGzip'), { f: kb }));
  out.push(row('upload total, gzip', systems.map((sys) => (results.bundles[sys] ? results.bundles[sys].wasmGzip + results.bundles[sys].jsGzip : NaN)), { f: kb }));
  out.push(row('build time', systems.map((sys) => results.builds[sys]?.ms ?? NaN), { f: sec }));
  const cold = (field) => systems.map((sys) => median((results.cold[sys] ?? []).filter((x) => !x.error && x.authenticated !== false).map((x) => x[field])));
  out.push(row('cold start: spawn → first successful /mcp call', cold('totalMs'), { f: sec }));
  out.push(row('cold start: spawn → port open', cold('portMs'), { f: sec }));
  out.push(row('cold start: the first /mcp call itself', cold('firstCallMs'), { f: (x) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : NA) }));
  out.push(row('OAuth login, per user (whole flow)', systems.map((sys) => results.loginMs[sys] ?? NaN), { f: (x) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : NA) }));
  out.push('');
  out.push('Build time: ours is `scripts/build` (worker-build --release; cargo reuses its cache, so this is a rebuild unless the tree changed), ' +
    'the floor is `worker-build --release` (clean only on the first run; floor+R2 is the same build and bundle, only started with `wrangler.r2.toml`), the baseline and best-JS are wrangler\'s esbuild bundle (not minified). ' +
    'Sizes are from `wrangler deploy --dry-run --outdir` (gzip at zlib\'s default level). Cold start includes wrangler\'s own start and bundling; ' +
    'the first-call figure is what the runtime adds for the first request (module instantiation, first Durable Object).');
  for (const sys of systems) if (results.builds[sys]?.note) out.push(`- ${sys}: ${results.builds[sys].note}`);
  out.push('');

  // Memory -------------------------------------------------------------------------------------
  out.push(`## Memory over a long run (${s.soak} \`list_objects\` calls at concurrency ${s.soakConcurrency})`);
  out.push('');
  out.push(HEAD);
  const k = (f) => systems.map((sys) => results.soak[sys]?.[f] ?? NaN);
  out.push(row('requests done', k('requests'), { f: (x) => (Number.isFinite(x) ? String(x) : NA), ratios: false }));
  out.push(row('workerd RSS before', k('beforeKiB'), { f: mib }));
  out.push(row('workerd RSS during (mid-run)', k('midKiB'), { f: mib }));
  out.push(row('workerd RSS peak during', k('peakKiB'), { f: mib }));
  out.push(row('workerd RSS after (3 s idle)', k('afterKiB'), { f: mib }));
  out.push(row('growth, after − before', systems.map(growth), { f: mib }));
  out.push(row('requests/s', k('rps')));
  out.push(row('CPU ms/request', k('cpuMsPerOp'), { f: (x) => fmt(x, 2) }));
  out.push(row('errors', k('errors'), { f: (x) => (Number.isFinite(x) ? String(x) : NA), ratios: false }));
  out.push('');
  const wb = results.soak.ours?.metricsBefore;
  const wa = results.soak.ours?.metricsAfter;
  out.push(wb && wa
    ? `Our wasm heap (from \`/_dev/metrics\`): before ${JSON.stringify(wb)}, after ${JSON.stringify(wa)}.`
    : 'Our wasm heap: n/a (the Worker serves no `/_dev/metrics` yet).');
  out.push('');

  // Idle (issue 18) --------------------------------------------------------------------------------
  if (s.ops.includes('idle')) out.push(...idleSection(results), '');

  // Transfer links (issue 16) --------------------------------------------------------------------
  if (s.ops.includes('transfer')) out.push(...transferSection(results), '');

  // Not measured -------------------------------------------------------------------------------
  const missing = [];
  for (const sys of systems) {
    if (!s.systems.includes(sys)) { missing.push(`- ${sys}: not in this run (--systems)`); continue; }
    const a = results.available[sys];
    if (!a) { missing.push(`- ${sys}: not started`); continue; }
    for (const sc of SCENARIOS) if (a[sc.id] !== true && a[sc.id] !== 'not applicable') missing.push(`- ${sys} ${sc.id}: n/a (not available): ${a[sc.id]}`);
    for (const c of results.cold[sys] ?? []) if (c.error) missing.push(`- ${sys} cold start: ${c.error}`);
    if ((results.cold[sys] ?? []).some((c) => c.authenticated === false)) missing.push(`- ${sys} cold start: MCP not available, only the first 401 was timed (not shown)`);
  }
  missing.push(...results.notes.map((n) => `- ${n}`));
  const firstErrors = [];
  for (const sys of systems) for (const [sc, byC] of Object.entries(results.scen[sys] ?? {})) for (const [c, runs] of Object.entries(byC)) {
    const e = runs.find((m) => m.firstError);
    if (e) firstErrors.push(`- ${sys} ${sc} c=${c}: ${e.firstError}`);
  }
  if (missing.length) out.push('## Not measured\n', ...missing, '');
  if (firstErrors.length) out.push('## Errors (first of each figure)\n', ...firstErrors, '');

  out.push('## The systems');
  out.push('');
  out.push(`- **ours**: this repository\'s server, release build from \`scripts/build\` (front Worker + per-user Durable Object in Rust/wasm), ` +
    `with its \`LOG_LEVEL\` set to the run\'s log level (\`${s.logLevel}\`): at \`warn\` it writes no per-request line (the baseline and the floors write none either); ` +
    '`--log-level info` measures it with one JSON line per request, the default when deployed.');
  out.push('- **baseline**: `bench/baseline/`, the way Cloudflare\'s remote-MCP Access demo is built: `@cloudflare/workers-oauth-provider` 1.2.3 ' +
    '(KV-backed grants) + `agents` 0.32.0 `McpAgent` (one Durable Object per MCP session, `@modelcontextprotocol/sdk` 1.32.2), the same R2 tools and ' +
    'the same upstream OIDC login (code + PKCE) to the local OpenID Provider. `agents` 0.32.0 marks `McpAgent` deprecated and feature-frozen.');
  out.push('- **best-JS**: `bench/best-js/`, the same server built the way `agents` 0.32.0 and the MCP TypeScript SDK 2.x recommend today: ' +
    '`@cloudflare/workers-oauth-provider` 1.2.3 (the same OAuth server and login) + `createMcpHandler` from `agents/mcp/server` with an ' +
    '`@modelcontextprotocol/server` 2.4.0 `McpServer` factory, serving /mcp statelessly from the Worker (a new server per request, no session id, ' +
    'no event store, GET /mcp 405); reads go from the Worker to R2, writes go to one Durable Object per user that applies them in order and keeps ' +
    'the audit trail of `recent_changes`. All eight tools of the server; bundled by wrangler (esbuild, not minified, like the baseline).');
  out.push('- **floor**: `bench/floor/`, a minimal Rust Worker (worker 0.8.7) forwarding each request to a Durable Object that does one SQLite write and answers.');
  out.push('- **floor+R2** (`floor-r2`): the same floor build started with `bench/floor/wrangler.r2.toml` (an R2 bucket bound, `FLOOR_R2 = "1"`): ' +
    'after its SQLite write its Durable Object makes the R2 call of `list_objects` (10 objects under the user\'s prefix, with HTTP metadata), `put_object` or `get_object` (the whole 1 MB body) itself and answers a minimal tool result; ' +
    'its objects are seeded per slot like the servers\'.');
  out.push('');
  out.push('A "new session" of best-JS is the same three requests (initialize, initialized, tools/list): it issues no `Mcp-Session-Id`, ' +
    'so its later requests carry only `MCP-Protocol-Version`.');
  out.push('');
  out.push('Every slot (one per concurrent client, ' + s.slots + ' in all) is its own user with a token from the real OAuth flow, its own MCP session and its own objects, ' +
    'except in the figures marked "one user", where every client is an MCP session of slot 0\'s user (' + (s.clients ?? s.slots) + ' sessions sharing its token).');
  out.push('');
  return out.join('\n');
}

/** The run's settings, its system order per round and whether it is the documented full run. */
function settingsParagraph(results) {
  const s = results.settings;
  const diff = s.fullRun ?? [];
  const order = results.order?.length
    ? results.order.map((o, i) => `round ${i + 1}: ${o.join(' → ')}`).join('; ')
    : 'no rounds';
  return `**Settings:** \`--rounds ${s.rounds} --run-seconds ${s.run.ms / 1000} --soak ${s.soak} --concurrency ${s.concurrency.join(',')} ` +
    `--log-level ${s.logLevel} --systems ${s.systems.join(',')} --ops ${s.ops.join(',')} --idle-streams ${s.idle?.streams} --idle-seconds ${s.idle?.seconds}\`` +
    `${s.quick ? ' (--quick)' : ''}. ` +
    (diff.length === 0
      ? 'This is the documented full run (bench/PERFORMANCE.md), so it also replaced `bench/results/latest.md`. '
      : `Not the documented full run (\`scripts/bench\` with no flags: ${FULL_RUN.rounds} rounds, ${FULL_RUN.runSeconds} s per figure, ` +
        `a ${FULL_RUN.soak.toLocaleString('en')}-request long run, concurrency ${FULL_RUN.concurrency.join(', ')}, every system and figure): ${diff.join('; ')}; ` +
        'so `bench/results/latest.md` was left as it was. ') +
    `**Order:** the systems run one after another, and the order rotates by one system each round so none always runs first or last (${order}).`;
}

/** The transfer figure: one object through a link, down and up, against a plain streaming Worker. */
function transferSection(results) {
  const s = results.settings;
  const t = results.transfer ?? {};
  const ours = t.ours;
  const floor = t['floor-r2'];
  const v = (x, dir, field) => (x?.applies ? x[dir]?.[field] : NaN);
  const line = (label, dir, field, f) => {
    const o = v(ours, dir, field);
    const fl = v(floor, dir, field);
    return `| ${label} | ${f(o)} | ${f(fl)} | ${ratio(o, fl)} |`;
  };
  const rate = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} MiB/s` : NA);
  const cpu = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} ms` : NA);
  const out = [];
  out.push(`## Transfer links (issue 16): one ${s.transfer.mib} MiB object through a link, ${s.transfer.rounds} times each way`);
  out.push('');
  out.push('Ours: an agent\'s `curl` against `/transfer/<token>` — a download link\'s `GET`, and an upload link\'s whole-body `PUT` ' +
    '(the link\'s check in the user\'s Durable Object, R2\'s multipart create, the part, the completion in the user\'s write queue, the audit record); ' +
    'each link is made by an MCP tool call first, not timed. The floor: floor+R2\'s Worker streaming the same object itself ' +
    '(`GET /stream/<key>`: the R2 body as the response; `PUT /stream/<key>`: the request body as the one part of an R2 multipart upload, the R2 calls a link\'s upload makes), with no Durable Object and no check — ' +
    'the least any Worker does to move those bytes, in the same runtime. Medians after one warm-up transfer; random bytes; ' +
    'CPU is the runtime processes\' utime + stime per MiB moved.');
  out.push('');
  out.push('| figure | ours | floor+R2 (plain streaming Worker) | ours/floor+R2 |');
  out.push('|---|---:|---:|---:|');
  out.push(line('download, MiB/s', 'down', 'mibPerS', rate));
  out.push(line('upload (one PUT), MiB/s', 'up', 'mibPerS', rate));
  out.push(line('download, runtime CPU per MiB', 'down', 'cpuMsPerMiB', cpu));
  out.push(line('upload, runtime CPU per MiB', 'up', 'cpuMsPerMiB', cpu));
  for (const [sys, x] of Object.entries(t)) if (x?.error) out.push(`\n- ${sys}: failed: ${x.error}`);
  return out;
}

/** The idle figure: awake seconds per idle connected hour and their monthly cost, before/after. */
function idleSection(results) {
  const s = results.settings;
  const out = [];
  const before = 3600;
  const usd = (x) => (Number.isFinite(x) ? `$${x.toFixed(x < 0.1 ? 4 : 2)}` : NA);
  const secs = (x) => (Number.isFinite(x) ? `${x >= 100 ? x.toFixed(0) : x.toFixed(1)} s` : NA);
  out.push(`## Idle connected users (issue 18): ${s.idle.streams} GET streams of one user, idle ${s.idle.seconds} s`);
  out.push('');
  out.push(`Each MCP system is started fresh; ${s.idle.streams} sessions of one user open their GET stream and everything stays idle for ${s.idle.seconds} s ` +
    `(past the runtime's ${HIBERNATION_DELAY_S} s hibernation delay); then one \`put_object\` from another session of that user (an event the user's object must handle). ` +
    'Ours is read from the outside through the DEV_MODE-only `GET /_dev/do/<user_key>/instance` (`instance`, `constructed`, `started_ms`) before the idle window and after the write: ' +
    'a different instance means the object hibernated and was constructed again. ' +
    `An object that sleeps is awake about ${HIBERNATION_DELAY_S} s + the event's handling per event (the write's latency stands in for the handling); ` +
    'constructions other than the write\'s are wakes of the server\'s own while idle, scaled to an hour. ' +
    `"Before" is an object that holds the streams itself: awake the whole hour. Cost: Durable Objects duration at ${OBJECT_GB * 1024} MB, ` +
    `$${(USD_PER_GB_S * 1e6).toFixed(2)} per million GB-s, a ${HOURS_PER_MONTH / 24}-day month ` +
    `(${(86400 * OBJECT_GB).toLocaleString('en')} GB-s a day when always awake), duration only (requests are billed apart).`);
  out.push('');
  out.push('| | ours | baseline | best-JS |\n|---|---:|---:|---:|');
  const sys = ['ours', 'baseline', 'best-js'];
  const raw = (k) => sys.map((x) => results.idle?.[x]);
  const est = sys.map((x) => (results.idle?.[x]?.applies ? estimateIdle(results.idle[x]) : undefined));
  const cell = (r, f) => (r === undefined ? NA : r.error ? 'error' : r.applies === false ? NA : f(r));
  const line = (label, f) => out.push(`| ${label} | ${raw().map((r) => cell(r, f)).join(' | ')} |`);
  line('streams open: opened / after the idle window / after the write', (r) => `${r.opened} / ${r.openAfterIdle} / ${r.openAfterWrite}`);
  line('SSE events during the idle window / after the write', (r) => `${r.eventsDuringIdle} / ${r.eventsAfterWrite}`);
  line('the write (one small put_object) from another session', (r) => `${r.writeMs.toFixed(0)} ms`);
  out.push(`| the user's object slept (instance changed) | ${est.map((e, i) => (e === undefined || e.slept === undefined ? NA : e.slept ? 'yes' : 'no')).join(' | ')} |`);
  out.push(`| its wakes during the idle window besides the write's | ${est.map((e) => (e?.wakes === undefined ? NA : String(e.wakes))).join(' | ')} |`);
  out.push(`| awake per event once it sleeps (${HIBERNATION_DELAY_S} s + handling) | ${est.map((e) => (e?.slept ? secs(e.perEventS) : NA)).join(' | ')} |`);
  out.push(`| before: awake seconds per idle connected hour (object holds the streams) | ${secs(before)} | ${NA} | ${NA} |`);
  out.push(`| before: monthly duration cost per always-connected user | ${usd(monthlyUsd(before))} | ${NA} | ${NA} |`);
  out.push(`| now: awake seconds per idle connected hour (the window's wakes, plus one cleanup alarm an hour) | ${est.map((e) => secs(e?.awakePerHour)).join(' | ')} |`);
  out.push(`| now: monthly duration cost per always-connected user | ${est.map((e) => usd(e?.usdPerMonth)).join(' | ')} |`);
  out.push('');
  for (const [i, x] of sys.entries()) {
    const r = results.idle?.[x];
    if (!r) out.push(`- ${x}: not run`);
    else if (r.error) out.push(`- ${x}: failed: ${r.error}`);
    else if (r.applies === false) out.push(`- ${x}: n/a: ${r.why}`);
    else if (est[i]?.slept === undefined) out.push(`- ${x}: whether the object slept is n/a: ${est[i]?.why}`);
    else if (est[i]?.why) out.push(`- ${x}: ${est[i].why}`);
  }
  return out;
}
