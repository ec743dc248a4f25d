/**
 * Transfer links (issue #16): large objects move between R2 and an agent's shell through
 * short-lived https links, without the model in the middle. A download link serves one object
 * with its headers, byte ranges and conditional requests; an upload link takes one upload, whole
 * or in parts, applied in the user's write order with its preconditions; links are refused when
 * expired, forged, reused, another user's, or their grant ended; both kinds are in the audit trail.
 * (250 MB through links, and the runtime's memory meanwhile: transfer-memory.test.mjs.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startStack } from '../support/stack.mjs';
import { devToken } from '../support/tokens.mjs';
import { connect, tool, toolError } from '../support/mcp-tools.mjs';
import { login } from '../support/oauth-client.mjs';
import { post, rpc } from '../support/mcp.mjs';
import { send, download, MiB } from '../support/transfer.mjs';

// As curl does by default: no Accept-Encoding. (Miniflare compresses text types as Cloudflare's
// edge does, but ignores `Cache-Control: no-transform`, which keeps the edge from doing it.)
const fetch = (url, init = {}) => globalThis.fetch(url, { ...init, headers: { 'Accept-Encoding': 'identity', ...(init.headers ?? {}) } });

const sha = (b) => createHash('sha256').update(b).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let stack;
let alice;
let aliceGrant;
let bob;
before(async () => {
  stack = await startStack({ vars: { READONLY_GROUP: 'readers' } });
  aliceGrant = await devToken(stack.url, 'alice-transfer@example.com');
  alice = await connect(stack.url, aliceGrant.access_token, 'transfer-spec');
  bob = await connect(stack.url, (await devToken(stack.url, 'bob-transfer@example.com')).access_token, 'transfer-spec');
});
after(async () => {
  await alice?.close();
  await bob?.close();
  await stack?.close();
});

const downloadLink = (client, key, extra = {}) => tool(client, 'create_download_link', { key, ...extra });
const uploadLink = (client, key, extra = {}) => tool(client, 'create_upload_link', { key, ...extra });

test('a download link serves the object with its type, length, etag, name and modification time', async () => {
  const w = await tool(alice, 'put_object', { key: 'docs/résumé v2.txt', content: 'hello, transfer', content_type: 'text/plain; charset=utf-8' });
  const link = await downloadLink(alice, 'docs/résumé v2.txt');
  assert.match(link.url, new RegExp(`^${stack.url}/transfer/[0-9a-f]{32}:[\\w-]{22}:[\\w-]{22}:[\\w-]{43}$`));
  assert.equal(link.size, 15);
  assert.equal(link.etag, w.etag);
  assert.ok(Date.parse(link.expires_at) - Date.now() > 14 * 60_000 && Date.parse(link.expires_at) - Date.now() <= 15 * 60_000);
  assert.match(link.command, /^curl -fLo 'résumé v2.txt' 'http/);

  const r = await fetch(link.url);
  assert.equal(r.status, 200);
  assert.equal(await r.text(), 'hello, transfer');
  assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(r.headers.get('content-length'), '15');
  assert.equal(r.headers.get('etag'), `"${w.etag}"`);
  assert.equal(r.headers.get('accept-ranges'), 'bytes');
  assert.equal(r.headers.get('content-disposition'), `attachment; filename="r_sum_ v2.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20v2.txt`);
  assert.ok(Date.parse(r.headers.get('last-modified')) > Date.now() - 60_000);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.match(r.headers.get('content-security-policy'), /sandbox/);
  assert.match(r.headers.get('cache-control'), /no-store/);
  assert.match(r.headers.get('cache-control'), /no-transform/, 'no compression on the way: the bytes as stored');

  const h = await fetch(link.url, { method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal(h.headers.get('content-length'), '15');
  assert.equal(h.headers.get('etag'), `"${w.etag}"`);
  assert.equal(await h.text(), '');
});

test('RFC 9110 §14: one range is a 206 with Content-Range, several are the whole object, none at all a 416', async () => {
  const body = Buffer.from('0123456789abcdefghij');
  await tool(alice, 'put_object', { key: 'ranges.bin', content_base64: body.toString('base64') });
  const { url } = await downloadLink(alice, 'ranges.bin');
  const ranged = async (range, extra = {}) => {
    const r = await fetch(url, { headers: { Range: range, ...extra } });
    return { status: r.status, body: Buffer.from(await r.arrayBuffer()).toString(), range: r.headers.get('content-range'), length: r.headers.get('content-length') };
  };
  assert.deepEqual(await ranged('bytes=0-4'), { status: 206, body: '01234', range: 'bytes 0-4/20', length: '5' });
  assert.deepEqual(await ranged('bytes=15-'), { status: 206, body: 'fghij', range: 'bytes 15-19/20', length: '5' });
  assert.deepEqual(await ranged('bytes=-3'), { status: 206, body: 'hij', range: 'bytes 17-19/20', length: '3' });
  assert.deepEqual(await ranged('bytes=18-100'), { status: 206, body: 'ij', range: 'bytes 18-19/20', length: '2' });
  assert.deepEqual(await ranged('bytes=0-1,5-6'), { status: 200, body: body.toString(), range: null, length: '20' });
  assert.deepEqual(await ranged('bytes=9-1'), { status: 200, body: body.toString(), range: null, length: '20' }, 'an invalid range is ignored');
  const unsatisfiable = await ranged('bytes=20-');
  assert.equal(unsatisfiable.status, 416);
  assert.equal(unsatisfiable.range, 'bytes */20');
  const etag = (await fetch(url, { method: 'HEAD' })).headers.get('etag');
  assert.equal((await ranged('bytes=0-4', { 'If-Range': etag })).status, 206, 'If-Range with the current etag keeps the range');
  assert.deepEqual(await ranged('bytes=0-4', { 'If-Range': '"stale"' }), { status: 200, body: body.toString(), range: null, length: '20' });
});

test('RFC 9110 §13: If-None-Match answers 304, a failed If-Match 412', async () => {
  const w = await tool(alice, 'put_object', { key: 'cond.txt', content: 'v1' });
  const { url } = await downloadLink(alice, 'cond.txt');
  const etag = `"${w.etag}"`;
  const get = (headers, method = 'GET') => fetch(url, { method, headers });
  let r = await get({ 'If-None-Match': etag });
  assert.equal(r.status, 304);
  assert.equal(r.headers.get('etag'), etag);
  assert.equal(await r.text(), '');
  assert.equal((await get({ 'If-None-Match': `W/${etag}` })).status, 304, 'weak comparison');
  assert.equal((await get({ 'If-None-Match': '"other", ' + etag })).status, 304);
  assert.equal((await get({ 'If-None-Match': '"other"' })).status, 200);
  assert.equal((await get({ 'If-Match': '"other"' })).status, 412);
  assert.equal((await get({ 'If-Match': etag })).status, 200);
  assert.equal((await get({ 'If-None-Match': etag }, 'HEAD')).status, 304);
  assert.equal((await get({ 'If-Match': '"other"' }, 'HEAD')).status, 412);
  // The link serves the key's current version: a client's copy of v1 is then stale.
  await tool(alice, 'put_object', { key: 'cond.txt', content: 'v2' });
  r = await get({ 'If-None-Match': etag });
  assert.equal(r.status, 200);
  assert.equal(await r.text(), 'v2');
});

test('an upload link takes one PUT of the whole body, then refuses another; a download link takes no PUT', async () => {
  const bytes = randomBytes(3 * MiB + 17);
  const link = await uploadLink(alice, 'up/whole.bin', { content_type: 'application/x-test' });
  assert.match(link.command, /^curl -fT <file> 'http/);
  assert.equal(link.max_request_bytes, 100_000_000);
  assert.match(link.parts_command, /split -b 95M/);
  assert.equal((await fetch(link.url)).status, 405, 'an upload link is not for GET');

  const r = await send(link.url, { bytes });
  assert.equal(r.status, 200, r.body);
  const done = JSON.parse(r.body);
  assert.equal(done.size, bytes.length);
  assert.equal(done.key, 'up/whole.bin');
  const head = await tool(alice, 'head_object', { key: 'up/whole.bin' });
  assert.equal(head.etag, done.etag);
  assert.equal(head.content_type, 'application/x-test');
  const back = await download((await downloadLink(alice, 'up/whole.bin')).url);
  assert.equal(back.sha256, sha(bytes));

  const again = await send(link.url, { bytes: Buffer.from('x') });
  assert.equal(again.status, 410, 'one upload per link');
  assert.match(JSON.parse(again.body).message, /already used/);
  const dl = await downloadLink(alice, 'up/whole.bin');
  assert.equal((await send(dl.url, { bytes: Buffer.from('x') })).status, 405, 'a download link takes no upload');
});

test('without content_type the upload keeps its own Content-Type, else application/octet-stream', async () => {
  const a = await uploadLink(alice, 'up/typed.json');
  assert.equal((await send(a.url, { bytes: Buffer.from('{}'), headers: { 'content-type': 'application/json' } })).status, 200);
  assert.equal((await tool(alice, 'head_object', { key: 'up/typed.json' })).content_type, 'application/json');
  const b = await uploadLink(alice, 'up/untyped');
  assert.equal((await send(b.url, { bytes: Buffer.from('') })).status, 200, 'an empty object too');
  const head = await tool(alice, 'head_object', { key: 'up/untyped' });
  assert.equal(head.content_type, 'application/octet-stream');
  assert.equal(head.size, 0);
});

test('an upload in parts: parts in any order, re-sent parts replace, then ?complete assembles them', async () => {
  const link = await uploadLink(alice, 'up/parts.bin');
  const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(MiB + 3)];
  // Part 2 and 3 first and at once; part 1 twice (the second one counts).
  const early = await Promise.all([send(`${link.url}?part=3`, { bytes: parts[2] }), send(`${link.url}?part=2`, { bytes: parts[1] })]);
  for (const r of early) assert.equal(r.status, 200, r.body);
  assert.equal((await send(`${link.url}?part=1`, { bytes: randomBytes(5 * MiB) })).status, 200);
  const p1 = await send(`${link.url}?part=1`, { bytes: parts[0] });
  assert.equal(JSON.parse(p1.body).part, 1);
  assert.equal((await tool(alice, 'list_objects', { prefix: 'up/parts' })).objects.length, 0, 'nothing is visible before ?complete');
  const done = await fetch(`${link.url}?complete`, { method: 'POST' });
  assert.equal(done.status, 200);
  const written = await done.json();
  assert.equal(written.size, 11 * MiB + 3);
  assert.match(written.etag, /-3$/, 'a multipart etag');
  const back = await download((await downloadLink(alice, 'up/parts.bin')).url);
  assert.equal(back.sha256, sha(Buffer.concat(parts)));
  assert.equal((await fetch(`${link.url}?complete`, { method: 'POST' })).status, 410);
});

test('parts that cannot make an object are refused with what to fix, and the link stays usable', async () => {
  const link = await uploadLink(alice, 'up/bad-parts.bin', { max_size: 12 * MiB });
  let r = await fetch(`${link.url}?complete`, { method: 'POST' });
  assert.equal(r.status, 409, 'no part yet');
  await send(`${link.url}?part=1`, { bytes: randomBytes(MiB) });
  await send(`${link.url}?part=2`, { bytes: randomBytes(MiB) });
  r = await fetch(`${link.url}?complete`, { method: 'POST' });
  assert.equal(r.status, 400);
  assert.match((await r.json()).message, /at least 5242880 bytes/);
  assert.equal((await send(`${link.url}?part=4`, { bytes: randomBytes(11 * MiB) })).status, 413, 'past max_size with the other parts');
  await send(`${link.url}?part=1`, { bytes: randomBytes(5 * MiB) });
  r = await fetch(`${link.url}?complete`, { method: 'POST' });
  assert.equal(r.status, 200, 'fixed: 5 MiB + 1 MiB');
  assert.equal((await r.json()).size, 6 * MiB);
});

test('bodies: no Content-Length is a 411, above max_size a 413, DELETE abandons the upload', async () => {
  const link = await uploadLink(alice, 'up/limits.bin', { max_size: 10 });
  const big = await send(link.url, { bytes: Buffer.alloc(11) });
  assert.equal(big.status, 413);
  const chunked = await fetch(link.url, { method: 'PUT', body: new ReadableStream({ start(c) { c.enqueue(new Uint8Array(3)); c.close(); } }), duplex: 'half' });
  assert.equal(chunked.status, 411);
  assert.equal((await send(`${link.url}?part=1`, { bytes: Buffer.alloc(5) })).status, 200);
  const del = await fetch(link.url, { method: 'DELETE' });
  assert.equal(del.status, 200);
  assert.equal((await fetch(`${link.url}?complete`, { method: 'POST' })).status, 410, 'an abandoned upload ends its link');
  await toolError(alice, 'head_object', { key: 'up/limits.bin' });
});

test('preconditions are checked when the link is made and when the upload is applied', async () => {
  await tool(alice, 'put_object', { key: 'pre/exists.txt', content: 'v1' });
  assert.match(await toolError(alice, 'create_upload_link', { key: 'pre/exists.txt', if_none_match: '*' }), /already exists/);
  assert.match(await toolError(alice, 'create_upload_link', { key: 'pre/exists.txt', if_match: 'nope' }), /Precondition failed/);
  const current = await tool(alice, 'head_object', { key: 'pre/exists.txt' });
  const link = await uploadLink(alice, 'pre/exists.txt', { if_match: current.etag });
  await tool(alice, 'put_object', { key: 'pre/exists.txt', content: 'v2 by someone else' });
  const r = await send(link.url, { bytes: Buffer.from('v3 from the link') });
  assert.equal(r.status, 412);
  assert.match(JSON.parse(r.body).message, /changed since you read it/);
  assert.equal((await tool(alice, 'get_object', { key: 'pre/exists.txt' })).content, 'v2 by someone else');
});

test('an upload racing a put_object on the same key resolves by their preconditions: exactly one creates it', async () => {
  // The put starts at once, or after the upload's body is on its way (its completion then
  // usually comes first): both orders happen.
  const winners = [];
  for (let round = 0; round < 6; round++) {
    const key = `race/${round}.bin`;
    const link = await uploadLink(alice, key, { if_none_match: '*' });
    const uploaded = randomBytes(2 * MiB);
    const [up, put] = await Promise.all([
      send(link.url, { bytes: uploaded }),
      sleep(round % 2 ? 150 : 0).then(() => alice.callTool({ name: 'put_object', arguments: { key, content: `put ${round}`, if_none_match: '*' } })),
    ]);
    const upWon = up.status === 200;
    const putWon = put.isError !== true;
    assert.ok(upWon !== putWon, `round ${round}: exactly one wins (upload ${up.status} ${up.body}, put ${JSON.stringify(put.content)})`);
    if (!upWon) assert.equal(up.status, 412);
    const now = await download((await downloadLink(alice, key)).url);
    assert.equal(now.sha256, upWon ? sha(uploaded) : sha(Buffer.from(`put ${round}`)));
    const trail = (await tool(alice, 'recent_changes', { limit: 200 })).changes.filter((c) => c.keys[0] === key && ['put', 'upload'].includes(c.operation));
    assert.equal(trail.length, 1, 'one write recorded');
    assert.equal(trail[0].operation, upWon ? 'upload' : 'put');
    assert.equal(trail[0].etag_before, null);
    winners.push(upWon ? 'upload' : 'put');
  }
  console.log(`# race winners: ${winners.join(', ')}`);
  assert.ok(winners.includes('upload') && winners.includes('put'), `both orders were exercised: ${winners}`);
});

test('links appear in the audit trail when created and when used, named by their id', async () => {
  await tool(alice, 'put_object', { key: 'audit/a.txt', content: 'a' });
  const dl = await downloadLink(alice, 'audit/a.txt');
  await fetch(dl.url);
  await fetch(dl.url, { headers: { Range: 'bytes=0-0' } });
  const ul = await uploadLink(alice, 'audit/b.txt');
  const put = JSON.parse((await send(ul.url, { bytes: Buffer.from('b') })).body);
  const changes = (await tool(alice, 'recent_changes', { limit: 10 })).changes;
  const mine = changes.filter((c) => c.link === dl.link || c.link === ul.link).map((c) => [c.operation, c.keys[0], c.link, c.etag_after ?? null]);
  assert.deepEqual(mine, [
    ['upload', 'audit/b.txt', ul.link, put.etag],
    ['upload_link', 'audit/b.txt', ul.link, null],
    ['download', 'audit/a.txt', dl.link, null],
    ['download_link', 'audit/a.txt', dl.link, null],
  ], 'two downloads within a minute are one record');
  const upload = changes.find((c) => c.operation === 'upload' && c.link === ul.link);
  assert.equal(upload.client, 'transfer-spec', 'a use is recorded in the name of the client that made the link');
});

test('expired, forged, tampered, another user\'s and bearer-as-link requests are refused; a link is no bearer token', async () => {
  await tool(alice, 'put_object', { key: 'sec/a.txt', content: 'secret' });
  const short = await downloadLink(alice, 'sec/a.txt', { expires_in: 1 });
  assert.equal((await fetch(short.url)).status, 200);
  await sleep(1200);
  const expired = await fetch(short.url);
  assert.equal(expired.status, 410);
  assert.match((await expired.json()).message, /expired/);

  const { url } = await downloadLink(alice, 'sec/a.txt');
  const [user, id, tag, secret] = url.split('/transfer/')[1].split(':');
  const at = (t) => `${stack.url}/transfer/${t}`;
  const flip = (s) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
  for (const forged of [
    `${user}:${id}:${tag}:${flip(secret)}`, // right tag, wrong secret: reaches the object, not found
    `${user}:${id}:${flip(tag)}:${secret}`, // forged tag: refused by the Worker
    `${user}:${flip(id)}:${tag}:${secret}`,
    `${'f'.repeat(32)}:${id}:${tag}:${secret}`, // another user's key in front
    'nonsense',
  ]) {
    const r = await fetch(at(forged));
    assert.equal(r.status, 404, forged);
    assert.match((await r.json()).message, /not valid/);
  }
  assert.equal((await fetch(at(`${user}%3A${id}%3A${tag}%3A${secret}`))).status, 200, 'percent-encoded separators are the same link');
  // Bob's link never reaches Alice's objects: it names a key of Bob's namespace only.
  await tool(bob, 'put_object', { key: 'sec/a.txt', content: 'bob' });
  assert.equal(await (await fetch((await downloadLink(bob, 'sec/a.txt')).url)).text(), 'bob');
  // A bearer token is not a link, and a link is not a bearer token.
  assert.equal((await fetch(at(aliceGrant.access_token))).status, 404);
  const asBearer = await post(stack.url, url.split('/transfer/')[1], rpc('tools/list'));
  assert.equal(asBearer.status, 401);
  assert.match(await toolError(alice, 'create_download_link', { key: 'sec/missing.txt' }), /not found/);
});

test('a download link of a reader; readers cannot make upload links', async () => {
  const reader = await connect(stack.url, (await devToken(stack.url, 'alice-transfer@example.com', ['readers'])).access_token);
  try {
    const names = (await reader.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('create_download_link'));
    assert.ok(!names.includes('create_upload_link'));
  } finally {
    await reader.close();
  }
});

test('a revoked grant\'s links are refused at once', async () => {
  const p = await login(stack.mcpUrl, { user: { email: 'carol-transfer@example.com' } });
  const carol = await connect(stack.url, p.tokens().access_token);
  try {
    await tool(carol, 'put_object', { key: 'r.txt', content: 'r' });
    const dl = await downloadLink(carol, 'r.txt');
    const ul = await uploadLink(carol, 'r2.txt');
    assert.equal((await fetch(dl.url)).status, 200);
    const r = await fetch(`${stack.url}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: p.tokens().refresh_token, client_id: p.clientInformation().client_id }).toString(),
    });
    assert.equal(r.status, 200);
    for (const u of [dl.url]) assert.equal((await fetch(u)).status, 410);
    assert.equal((await send(ul.url, { bytes: Buffer.from('x') })).status, 410);
  } finally {
    await carol.close().catch(() => {});
  }
});

test('past the inline limits, get_object, put_object and the resource of a large object point at the link tools', async () => {
  const tools = Object.fromEntries((await alice.listTools()).tools.map((t) => [t.name, t.description]));
  assert.match(tools.get_object, /create_download_link/);
  assert.match(tools.put_object, /create_upload_link/);
  const big = randomBytes(11 * MiB);
  const link = await uploadLink(alice, 'large/eleven.bin');
  assert.equal((await send(link.url, { bytes: big })).status, 200);
  const got = await tool(alice, 'get_object', { key: 'large/eleven.bin' });
  assert.equal(got.truncated, true);
  assert.match(got.hint, /create_download_link/);
  const tooBig = await toolError(alice, 'put_object', { key: 'large/put.bin', content_base64: randomBytes(10 * MiB + 1).toString('base64') });
  assert.match(tooBig, /create_upload_link/);
  // resources/read returns objects up to 10 MiB; above, its error carries a download link.
  const e = await alice.readResource({ uri: 'r2://objects/large/eleven.bin' }).then(() => null, (err) => err);
  assert.ok(e, 'resources/read of an 11 MiB object fails');
  const url = /(http:\/\/\S+\/transfer\/\S+?)(?=[\s'),]|$)/.exec(e.message)?.[1];
  assert.ok(url, e.message);
  assert.equal((await download(url)).sha256, sha(big));
  const trail = (await tool(alice, 'recent_changes', { limit: 5 })).changes;
  assert.equal(trail.find((c) => c.operation === 'download_link')?.keys[0], 'large/eleven.bin', 'that link is in the audit trail too');
});

test('an upload whose object died between R2 and its audit record is recorded by the next write, and its link is spent', async () => {
  const link = await uploadLink(alice, 'crash/up.bin');
  const armed = await globalThis.fetch(`${stack.url}/_dev/do/${aliceGrant.user_key}/crash-next-write`, { method: 'POST' });
  assert.equal(armed.status, 200);
  const bytes = randomBytes(64 * 1024);
  const r = await send(link.url, { bytes });
  assert.ok(r.status >= 500, `not acknowledged: ${r.status} ${r.body}`);
  // The object is in R2; the next queue turn (this write) finds the intent and records it.
  await tool(alice, 'put_object', { key: 'crash/other.txt', content: 'x' });
  const up = (await tool(alice, 'recent_changes', { limit: 5 })).changes.find((c) => c.keys[0] === 'crash/up.bin');
  assert.equal(up?.operation, 'upload');
  assert.equal(up.link, link.link);
  assert.equal((await download((await downloadLink(alice, 'crash/up.bin')).url)).sha256, sha(bytes));
  assert.equal((await send(link.url, { bytes: Buffer.from('again') })).status, 410, 'the link was spent by its upload');
});
