/**
 * The transfer figure (issue 16): how fast one object moves through a transfer link, down (GET)
 * and up (a whole-body PUT), against floor+R2's plain streaming Worker (`GET`/`PUT /stream/<key>`
 * in bench/floor: the Worker alone hands the R2 body to the runtime, or the request body to R2 as
 * a one-part multipart upload — the same R2 calls as a link's upload, so both store and then serve
 * the same kind of object — with no Durable Object and no check): the floor of this path in the
 * same runtime. (The local R2 reads a multipart object several times slower than one stored with a
 * single `put`: `transfer-memory` measures 46 against 230 MiB/s. Production R2 is another service.)
 *
 * Ours pays, per transfer, for the link's check in the user's Durable Object and, for an upload,
 * for R2's multipart create and complete (every upload through a link is a multipart upload, its
 * completion applied in the user's write queue) and the audit record. A link is made (an MCP tool
 * call) before each timed transfer and is not counted: an agent makes it once per file.
 *
 * Each direction runs `rounds` times after one warm-up transfer; the figure is the median rate,
 * and the runtime's CPU time per MiB (utime + stime of the workerd processes, from /proc).
 * Objects are random bytes, so nothing compresses them on the way.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { cpuMs } from './proc.mjs';
import { makeAgent } from './http.mjs';

const MiB = 1024 * 1024;
/** The systems with a transfer path. */
export const TRANSFER_SYSTEMS = ['ours', 'floor-r2'];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/** PUT `bytes` with a Content-Length; resolves to { status, body }. */
function put(url, bytes) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'PUT', headers: { 'content-length': String(bytes.length) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(bytes);
  });
}

/** GET `url`, counting the body's bytes (not keeping them); resolves to { status, bytes }. */
function get(url) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    http
      .get({ host: u.hostname, port: u.port, path: u.pathname + u.search }, (res) => {
        let n = 0;
        res.on('data', (c) => { n += c.length; });
        res.on('end', () => resolve({ status: res.statusCode, bytes: n }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/**
 * Runs the transfer figure for one system (started fresh) and returns what it measured.
 * @param def  the system (run.mjs systemDef)
 * @param s    the settings (s.transfer.mib, s.transfer.rounds)
 * @param env  { start, coldStart, log, slots }
 */
export async function transferFigure(def, s, { start, coldStart, log, slots }) {
  if (!TRANSFER_SYSTEMS.includes(def.sys)) {
    return { applies: false, why: def.sys === 'floor' ? 'no R2 bound' : 'no transfer links (objects move through tool calls only)' };
  }
  const w = await start();
  try {
    const agent = makeAgent(4);
    const ctx = { url: w.url, mcpUrl: `${w.url}/mcp`, agent, slots };
    const cold = await coldStart(w, ctx);
    if (cold.error) throw new Error(cold.error);
    const size = s.transfer.mib * MiB;
    const bytes = randomBytes(size);
    let session;
    if (def.sys === 'ours') {
      session = def.ops.session(w.url, slots[0], agent);
      await session.open();
    }
    const link = async (tool, key) => {
      if (!session) return `${w.url}/stream/u/bench-transfer/${key}`;
      const r = await session.tool(tool, { key });
      return (r.structuredContent ?? JSON.parse(r.content[0].text)).url;
    };
    const up = [];
    const down = [];
    for (let i = 0; i <= s.transfer.rounds; i++) {
      const key = `transfer/${i}.bin`;
      const putUrl = await link('create_upload_link', key);
      let c0 = cpuMs(w.pids());
      let t0 = performance.now();
      const p = await put(putUrl, bytes);
      if (p.status !== 200) throw new Error(`upload: HTTP ${p.status} ${p.body.slice(0, 200)}`);
      const upM = { seconds: (performance.now() - t0) / 1000, cpuMs: cpuMs(w.pids()) - c0 };
      const getUrl = await link('create_download_link', key);
      c0 = cpuMs(w.pids());
      t0 = performance.now();
      const g = await get(getUrl);
      if (g.status !== 200 || g.bytes !== size) throw new Error(`download: HTTP ${g.status}, ${g.bytes} of ${size} bytes`);
      const downM = { seconds: (performance.now() - t0) / 1000, cpuMs: cpuMs(w.pids()) - c0 };
      if (i === 0) continue; // warm-up
      up.push(upM);
      down.push(downM);
      log(`${def.sys} transfer ${i}/${s.transfer.rounds}: ${s.transfer.mib} MiB up ${(s.transfer.mib / upM.seconds).toFixed(0)} MiB/s, down ${(s.transfer.mib / downM.seconds).toFixed(0)} MiB/s`);
    }
    const sum = (ms) => ({
      mibPerS: median(ms.map((m) => s.transfer.mib / m.seconds)),
      cpuMsPerMiB: median(ms.map((m) => m.cpuMs / s.transfer.mib)),
      seconds: ms.map((m) => m.seconds),
    });
    return { applies: true, mib: s.transfer.mib, rounds: s.transfer.rounds, up: sum(up), down: sum(down) };
  } finally {
    await w.stop();
  }
}
