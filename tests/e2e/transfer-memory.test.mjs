/**
 * Bodies stream (issue #16): 250 MB goes up through an upload link in parts (95 + 95 + 60 MiB, as
 * the README's `split -b 95M` makes them) and comes back down through a download link, with the
 * SHA-256 equal, while neither the Worker nor the user's object holds the object.
 *
 * Two measures. The isolate's wasm memory (where the Worker's and the object's Rust code keeps
 * its data) must not move: no byte goes through it. And the runtime's resident memory (the whole
 * workerd process, which also runs the local R2) is compared with the floor of this path: a plain
 * JS Worker that streams the same bytes between the client and the same local R2 with nothing
 * else, each phase in a fresh runtime. Ours must not grow by more than the floor plus a margin,
 * and both stay below the object's size. (The local R2 reads a multipart object through a
 * JavaScript stream, which leaves the runtime with garbage of about the object's size for a while;
 * that is the local simulator's, the floor shows it too, and production R2 is another service.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startStack } from '../support/stack.mjs';
import { devToken } from '../support/tokens.mjs';
import { connect, tool } from '../support/mcp-tools.mjs';
import { send, download, startFloor, workerdPids, rssBytes, MiB } from '../support/transfer.mjs';

const PARTS = [95 * MiB, 95 * MiB, 60 * MiB];
const TOTAL = PARTS.reduce((a, b) => a + b, 0);
/** How much more than the floor the runtime may grow in a phase (RSS is noisy by tens of MiB). */
const MARGIN = 64 * MiB;
const mib = (n) => `${(n / MiB).toFixed(0)} MiB`;

/** Runs `work` and samples the runtime's resident memory every 100 ms: its growth over `work`'s
 *  start at the peak, the seconds it took, and the result. */
async function measured(work) {
  const pids = workerdPids();
  const before = rssBytes(pids);
  let peak = before;
  const timer = setInterval(() => { peak = Math.max(peak, rssBytes(pids)); }, 100);
  const t0 = Date.now();
  try {
    const result = await work();
    peak = Math.max(peak, rssBytes(pids));
    return { result, growth: peak - before, seconds: (Date.now() - t0) / 1000 };
  } finally {
    clearInterval(timer);
  }
}

/** Uploads TOTAL bytes in PARTS through `put(part, size, hash)` and completes with `complete()`. */
async function upInParts(put, complete, hash) {
  for (let i = 0; i < PARTS.length; i++) {
    const r = await put(i + 1, PARTS[i], hash);
    assert.equal(r.status, 200, r.body);
  }
  return complete();
}

test('250 MB up in parts and down again through links: the same bytes, no byte through wasm, the runtime no bigger than a plain streaming Worker', async () => {
  const stack = await startStack({ persist: true });
  try {
    const grant = await devToken(stack.url, 'big@example.com');
    const client = await connect(stack.url, grant.access_token, 'memory-spec');
    const wasm = async () => (await (await fetch(`${stack.url}/_dev/metrics`)).json()).wasm_memory_bytes;
    const warmUp = async () => {
      const l = await tool(client, 'create_upload_link', { key: 'warm.bin' });
      await send(`${l.url}?part=1`, { size: 6 * MiB });
      await send(`${l.url}?part=2`, { size: MiB });
      assert.equal((await fetch(`${l.url}?complete`, { method: 'POST' })).status, 200);
      assert.equal((await download((await tool(client, 'create_download_link', { key: 'warm.bin' })).url)).bytes, 7 * MiB);
    };

    // Ours, up: a runtime that has served every path once.
    await warmUp();
    const wasmBefore = await wasm();
    const sent = createHash('sha256');
    const link = await tool(client, 'create_upload_link', { key: 'big/dataset.bin', if_none_match: '*' });
    const up = await measured(() => upInParts(
      (n, size, hash) => send(`${link.url}?part=${n}`, { size, hash }),
      async () => (await fetch(`${link.url}?complete`, { method: 'POST' })).json(),
      sent,
    ));
    assert.equal(up.result.size, TOTAL);
    const sha = sent.digest('hex');
    const wasmGrowth = [(await wasm()) - wasmBefore];
    await client.close();

    await stack.worker.close();

    // The floor, up and down, each in a fresh runtime on the same state; it also writes the
    // same bytes as one single-part object, for ours to serve below.
    let floor = await startFloor(stack.stateDir);
    const base = `${floor.url}/u/${grant.user_key}`;
    let floorUpload;
    let floorParts;
    const floorCreate = async (key) => {
      floorUpload = (await (await fetch(`${base}/${key}?create`, { method: 'POST' })).json()).upload;
      floorParts = [];
    };
    const floorPart = (key) => async (n, size) => {
      const r = await send(`${base}/${key}?part=${n}&upload=${encodeURIComponent(floorUpload)}`, { size });
      floorParts.push(JSON.parse(r.body));
      return r;
    };
    const floorComplete = (key) => async () =>
      (await fetch(`${base}/${key}?complete&upload=${encodeURIComponent(floorUpload)}`, { method: 'POST', body: JSON.stringify(floorParts) })).json();
    await floorCreate('big/floor-warm.bin');
    await floorPart('big/floor-warm.bin')(1, 6 * MiB);
    await floorPart('big/floor-warm.bin')(2, MiB);
    await floorComplete('big/floor-warm.bin')();
    assert.equal((await download(`${base}/big/floor-warm.bin`)).bytes, 7 * MiB, 'the floor, warmed up');
    await floorCreate('big/floor.bin');
    const floorUp = await measured(() => upInParts(floorPart('big/floor.bin'), floorComplete('big/floor.bin')));
    assert.equal(floorUp.result.size, TOTAL);
    await floor.close();
    floor = await startFloor(stack.stateDir);
    const floorBase = `${floor.url}/u/${grant.user_key}`;
    assert.equal((await download(`${floorBase}/warm.bin`)).bytes, 7 * MiB);
    const floorDown = await measured(() => download(`${floorBase}/big/dataset.bin`));
    assert.equal(floorDown.result.sha256, sha);
    const single = createHash('sha256');
    assert.equal((await send(`${floorBase}/big/single.bin`, { size: TOTAL, hash: single })).status, 200);
    const singleSha = single.digest('hex');
    await floor.close();

    // Ours, down: fresh runtimes on the same state, for the multipart object and the single one.
    const oursDown = async (key) => {
      await stack.worker.restart();
      const c = await connect(stack.url, grant.access_token, 'memory-spec');
      assert.equal((await download((await tool(c, 'create_download_link', { key: 'warm.bin' })).url)).bytes, 7 * MiB);
      const { url } = await tool(c, 'create_download_link', { key });
      await c.close();
      const w0 = await wasm();
      const m = await measured(() => download(url));
      wasmGrowth.push((await wasm()) - w0);
      assert.equal(m.result.status, 200);
      assert.equal(Number(m.result.headers['content-length']), TOTAL);
      return m;
    };
    const down = await oursDown('big/dataset.bin');
    assert.equal(down.result.sha256, sha, 'the bytes that came down are the bytes that went up');
    const downSingle = await oursDown('big/single.bin');
    assert.equal(downSingle.result.sha256, singleSha);

    const rate = (m) => `${(TOTAL / MiB / m.seconds).toFixed(0)} MiB/s`;
    const line = (what, m, f) => `${what} ${m.seconds.toFixed(1)} s (${rate(m)}), runtime +${mib(m.growth)}` + (f ? ` (plain streaming Worker: ${f.seconds.toFixed(1)} s, +${mib(f.growth)})` : '');
    console.log(`# ${mib(TOTAL)} through links: ${line('up in parts', up, floorUp)}; ${line('down', down, floorDown)}; ${line('down, a single-part object', downSingle)}; the isolate's wasm memory ${mib(wasmBefore)}, grown by ${wasmGrowth.map(mib).join(', ')} (up, down, down)`);
    for (const g of wasmGrowth) assert.ok(g < 8 * MiB, `the wasm memory grew by ${mib(g)}: bytes went through wasm`);
    assert.ok(up.growth < TOTAL / 2, `the runtime grew by ${mib(up.growth)} during a ${mib(TOTAL)} upload`);
    assert.ok(downSingle.growth < TOTAL / 4, `the runtime grew by ${mib(downSingle.growth)} serving a ${mib(TOTAL)} object`);
    assert.ok(up.growth < floorUp.growth + MARGIN, `up: ours +${mib(up.growth)}, the floor +${mib(floorUp.growth)}`);
    assert.ok(down.growth < floorDown.growth + MARGIN, `down: ours +${mib(down.growth)}, the floor +${mib(floorDown.growth)}`);
  } finally {
    await stack.close();
  }
});
