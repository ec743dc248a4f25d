/**
 * Turns the raw figures of a benchmark run into the markdown report: medians over rounds, each
 * figure with the ratios ours/baseline, ours/floor and ours/floor+R2 (floor-r2: the floor that also
 * makes the same R2 calls), and the issue's targets checked, also against floor+R2.
 */
import { MANY, SCENARIOS, concurrenciesFor } from './systems.mjs';

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

function row(label, vals, { f = fmt, ratios = true } = {}) {
  const [o, b, fl, fr] = vals;
  const r = (x) => (ratios ? ratio(o, x) : '');
  return `| ${label} | ${f(o)} | ${f(b)} | ${f(fl)} | ${f(fr)} | ${r(b)} | ${r(fl)} | ${r(fr)} |`;
}
const HEAD = '| figure | ours | baseline | floor | floor+R2 | ours/baseline | ours/floor | ours/floor+R2 |\n|---|---:|---:|---:|---:|---:|---:|---:|';

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
  const systems = ['ours', 'baseline', 'floor', 'floor-r2'];
  out.push(`# Benchmark: ours vs the JS baseline vs the floor and floor+R2`);
  out.push('');
  out.push(`${results.started.slice(0, 16).replace('T', ' ')} UTC · ${results.machine.cpus} cores (${results.machine.model}) · Node ${results.machine.node} · ` +
    `each system under \`wrangler dev\` (workerd), log level \`${s.logLevel}\`, run in turn · ` +
    `${s.rounds} round(s), medians shown · per figure: warm-up ${s.warmup.count} requests or ${s.warmup.ms / 1000} s, then ` +
    `${s.run.count} requests or ${s.run.ms / 1000} s · ${s.quick ? 'quick mode · ' : ''}whole run ${(results.seconds / 60).toFixed(1)} min.`);
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
  out.push(targetLine('wasm bundle, gzip', Number.isFinite(wasmGz) && wasmGz > 0 ? kb(wasmGz) : NA, '≤ 400 KB', wasmGz <= 400_000));
  out.push(targetLine('runtime RSS growth over the long run, ours vs floor', Number.isFinite(growth('ours')) && Number.isFinite(growth('floor')) ? `${mib(growth('ours'))} vs ${mib(growth('floor'))}` : NA, 'ours ≤ floor', growth('ours') <= growth('floor'),
    Number.isFinite(growth('floor-r2')) && Number.isFinite(growth('floor')) ? `${mib(growth('floor-r2'))} vs ${mib(growth('floor'))}` : ''));
  out.push(targetLine(`list_objects: CPU/request above floor+R2, ours ÷ baseline (c=${c8})`, v(aboveR2), '≤ 0.20', aboveR2 <= 0.2));
  out.push(targetLine('runtime RSS growth over the long run, ours vs floor+R2', Number.isFinite(growth('ours')) && Number.isFinite(growth('floor-r2')) ? `${mib(growth('ours'))} vs ${mib(growth('floor-r2'))}` : NA, 'ours ≤ floor+R2', growth('ours') <= growth('floor-r2')));
  out.push(targetLine(`list_objects: the runtime's R2 list alone (floor+R2 − floor), CPU ms/request (c=${c8})`, v(r2Alone), '—', undefined));
  out.push('');

  // Scenarios ----------------------------------------------------------------------------------
  for (const sc of SCENARIOS) {
    out.push(`## ${sc.title}`);
    out.push('');
    if (sc.id === 'session') out.push('One operation = the three requests of a new session; latency and CPU are per session.\n');
    if (sc.sameUser) {
      out.push(`All clients are one user (slot 0): each client is its own MCP session with that user's one token, all at once` +
        `${sc.concurrency ? '' : ' (c clients)'}. Ours serves them from that user's one Durable Object; the baseline has one Durable Object per session.\n`);
    }
    if (sc.id === 'list1000') {
      const seeded = ['ours', 'baseline'].filter((sys) => Number.isFinite(results.seedManyMs?.[sys]))
        .map((sys) => `${sys} ${(results.seedManyMs[sys] / 1000).toFixed(1)} s`);
      out.push(`The ${MANY.toLocaleString('en')} small objects (\`many/0000\`…) were written during setup by 16 clients of that user at once` +
        `${seeded.length ? ` (${seeded.join(', ')})` : ''}; one operation is a whole listing: \`list_objects\` with \`limit: ${MANY}\`, then again with each \`next_cursor\` until there is none, ` +
        `checked to give all ${MANY.toLocaleString('en')} objects; latency and CPU are per listing. ` +
        `Both systems ask R2 for the HTTP metadata (content type), and R2 then returns at most 100 objects per call (the local one too), ` +
        `so a listing took ${['ours', 'baseline'].filter((sys) => results.manyPages?.[sys]).map((sys) => `${results.manyPages[sys]} calls for ${sys}`).join(', ') || 'n/a calls'}.\n`);
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
    'the floor is `worker-build --release` (clean only on the first run; floor+R2 is the same build and bundle, only started with `wrangler.r2.toml`), the baseline is wrangler\'s esbuild bundle. ' +
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
    'the same upstream OIDC login (code + PKCE) to the local OpenID Provider.');
  out.push('- **floor**: `bench/floor/`, a minimal Rust Worker (worker 0.8.7) forwarding each request to a Durable Object that does one SQLite write and answers.');
  out.push('- **floor+R2** (`floor-r2`): the same floor build started with `bench/floor/wrangler.r2.toml` (an R2 bucket bound, `FLOOR_R2 = "1"`): ' +
    'after its SQLite write its Durable Object makes the R2 call of `list_objects` (10 objects under the user\'s prefix, with HTTP metadata), `put_object` or `get_object` (the whole 1 MB body) itself and answers a minimal tool result; ' +
    'its objects are seeded per slot like the servers\'.');
  out.push('');
  out.push('Every slot (one per concurrent client, ' + s.slots + ' in all) is its own user with a token from the real OAuth flow, its own MCP session and its own objects, ' +
    'except in the figures marked "one user", where every client is an MCP session of slot 0\'s user (' + (s.clients ?? s.slots) + ' sessions sharing its token).');
  out.push('');
  return out.join('\n');
}
