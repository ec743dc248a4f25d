/**
 * The idle figure (issue 18): what an always-connected but idle user costs in Durable Object
 * duration. N GET streams (sessions) of one user stay open with nothing else happening; the
 * question is whether that user's object hibernates meanwhile, and so how many seconds per idle
 * connected hour it is awake (billed: Durable Objects are charged for wall time while awake, at
 * 128 MB).
 *
 * Measured from the outside, for ours, through the DEV_MODE-only route
 * `GET /_dev/do/<user_key>/instance` → `{"instance": "<random id of this object instance>",
 * "constructed": <constructions in this isolate>, "started_ms": <when this instance was
 * constructed>}`: an object that hibernated was constructed again. The steps: open the streams,
 * read /instance, leave everything idle past the runtime's 10 s hibernation delay, make one write
 * from another session of the user (an event the object must wake for), read /instance again.
 * The user key is the first field of our access token (`<user_key>:<grant>:<tag>:<secret>`).
 *
 * Estimate: an object that slept is awake (10 s hibernation delay + the event's handling) per
 * event; wakes seen in the idle window other than the write's are idle-time events of the server
 * itself (timers, keep-alives), scaled to an hour. An object that did not sleep is awake the
 * whole hour, as it was when it held the streams itself ("before").
 *
 * The others: the baseline's McpAgent keeps one Durable Object per session, bridged to the Worker
 * that holds the SSE stream over a WebSocket the Agent accepts with the hibernation API (not
 * measured: it has no instance route); best-JS is stateless and has no stream (its GET /mcp
 * status is recorded).
 */
import { makeAgent, request } from './http.mjs';

/** The runtime hibernates an idle object after this long (workerd and production alike). */
export const HIBERNATION_DELAY_S = 10;
/** Cloudflare Durable Objects duration pricing: $12.50 per million GB-s, billed at 128 MB. */
export const USD_PER_GB_S = 12.5 / 1e6;
export const OBJECT_GB = 0.125;
/** The month the monthly figure uses: 30 days. */
export const HOURS_PER_MONTH = 24 * 30;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The monthly duration charge of an object awake `secondsPerHour` of every hour. */
export function monthlyUsd(secondsPerHour) {
  return secondsPerHour * HOURS_PER_MONTH * OBJECT_GB * USD_PER_GB_S;
}

/**
 * From the raw observations of one idle run, what they imply: whether the object slept, the
 * wakes other than the write's, and the awake seconds and cost per idle connected hour.
 * @returns {{slept?: boolean, wakes?: number, perEventS?: number, awakePerHour?: number, usdPerMonth?: number, why?: string}}
 */
/** The user's object's own cleanup alarm wakes it at most once an hour while idle. */
export const CLEANUP_WAKES_PER_HOUR = 1;

export function estimateIdle(raw) {
  if (!raw?.instance0 || !raw?.instance1) return { why: raw?.instanceError ?? 'no instance read' };
  const a = raw.instance0;
  const b = raw.instance1;
  const perEventS = HIBERNATION_DELAY_S + raw.writeMs / 1000;
  if (a.instance === b.instance) {
    return { slept: false, wakes: 0, perEventS, awakePerHour: 3600, usdPerMonth: monthlyUsd(3600), why: 'the same instance answered before and after the idle window: the object never slept' };
  }
  // Constructions between the two reads; one of them is the write's if the last instance started
  // at or after the write (50 ms of clock slack between the runtime and this process).
  const sameIsolate = b.constructed > a.constructed;
  const constructions = sameIsolate ? b.constructed - a.constructed : undefined;
  const writeWoke = b.started_ms >= raw.writeStartEpochMs - 50;
  const wakes = constructions === undefined ? undefined : Math.max(0, constructions - (writeWoke ? 1 : 0));
  // Besides what the window shows: the object's own cleanup alarm, at most one an hour while it
  // keeps anything that expires (durable/src/object/mod.rs, ALARM_FIRST_MS), too rare to be seen
  // in a window of a minute, so it is added as one wake an hour.
  const perHour = wakes === undefined ? undefined : (wakes * 3600) / raw.idleSeconds + CLEANUP_WAKES_PER_HOUR;
  const awakePerHour = perHour === undefined ? undefined : Math.min(3600, perHour * perEventS);
  return {
    slept: true, wakes, writeWoke, perEventS, awakePerHour,
    usdPerMonth: awakePerHour === undefined ? undefined : monthlyUsd(awakePerHour),
    why: sameIsolate ? undefined : 'the isolate was restarted (construction count reset): wakes during the window unknown',
  };
}

async function readInstance(url, userKey, agent) {
  const r = await request(`${url}/_dev/do/${userKey}/instance`, { agent });
  const text = r.body.toString();
  if (r.status !== 200) throw new Error(`GET /_dev/do/<user_key>/instance: HTTP ${r.status} ${text.slice(0, 120)}`);
  const j = JSON.parse(text);
  if (typeof j.instance !== 'string' || typeof j.constructed !== 'number' || typeof j.started_ms !== 'number') {
    throw new Error(`GET /_dev/do/<user_key>/instance: unexpected answer ${text.slice(0, 120)}`);
  }
  return { ...j, readAtEpochMs: Date.now() };
}

/**
 * Runs the idle figure for one MCP system (started fresh) and returns its raw observations.
 * @param def  the system (run.mjs systemDef)
 * @param s    the settings (s.idle.streams, s.idle.seconds)
 * @param env  { start, coldStart, log, slots }
 */
export async function idleFigure(def, s, { start, coldStart, log, slots }) {
  if (def.sys === 'baseline') {
    return {
      applies: false,
      why: 'not measured: McpAgent keeps one Durable Object per session; the Worker holds each SSE stream and bridges it to that object ' +
        'over a WebSocket the Agent accepts with the hibernation API, so by design each idle session\'s object may hibernate too ' +
        '(it exposes no instance route to check)',
    };
  }
  const w = await start();
  try {
    const agent = makeAgent(s.idle.streams + 4);
    const ctx = { url: w.url, mcpUrl: `${w.url}/mcp`, agent, slots };
    const cold = await coldStart(w, ctx);
    if (cold.error) throw new Error(cold.error);
    const slot = slots[0];
    const sessions = Array.from({ length: s.idle.streams + 1 }, () => def.ops.session(w.url, slot, agent));
    for (const m of sessions) await m.open();
    const writer = sessions.pop();
    if (def.ops.stateless) {
      // A stateless server has no stream to hold: record what GET /mcp answers.
      const st = await sessions[0].stream().then((h) => { h.close(); return 200; }, (e) => e.message);
      return { applies: false, getStream: st, why: `no stream to keep: ${st === 200 ? 'GET /mcp opened a stream' : st}; nothing stays awake between requests` };
    }
    const raw = { applies: true, streams: s.idle.streams, idleSeconds: s.idle.seconds };
    const streams = [];
    for (const m of sessions) streams.push(await m.stream());
    raw.opened = streams.length;
    await sleep(500);
    const events0 = streams.reduce((n, h) => n + h.events, 0);
    const userKey = String(slot.access).split(':')[0];
    try {
      raw.instance0 = await readInstance(w.url, userKey, agent);
    } catch (e) {
      raw.instanceError = e.message;
    }
    log(`${def.sys}: ${streams.length} GET streams of one user open; idle for ${s.idle.seconds} s`);
    await sleep(s.idle.seconds * 1000);
    raw.openAfterIdle = streams.filter((h) => !h.ended).length;
    raw.eventsDuringIdle = streams.reduce((n, h) => n + h.events, 0) - events0;
    raw.writeStartEpochMs = Date.now();
    const t = performance.now();
    await writer.tool('put_object', { key: 'idle/ping', content: `idle ${raw.writeStartEpochMs}` });
    raw.writeMs = performance.now() - t;
    await sleep(1000); // the write's notifications, if any, reach the streams
    raw.eventsAfterWrite = streams.reduce((n, h) => n + h.events, 0) - events0 - raw.eventsDuringIdle;
    if (raw.instance0) {
      try {
        raw.instance1 = await readInstance(w.url, userKey, agent);
      } catch (e) {
        raw.instanceError = e.message;
      }
    }
    raw.openAfterWrite = streams.filter((h) => !h.ended).length;
    for (const h of streams) h.close();
    const est = estimateIdle(raw);
    log(`${def.sys}: idle figure: streams open ${raw.openAfterIdle}/${raw.opened} after idle, ${raw.openAfterWrite} after the write; ` +
      `${est.slept === undefined ? `instance n/a (${raw.instanceError ?? est.why})` : est.slept ? `the object slept (wakes besides the write: ${est.wakes ?? 'unknown'})` : 'the object never slept'}`);
    return raw;
  } finally {
    await w.stop();
  }
}
