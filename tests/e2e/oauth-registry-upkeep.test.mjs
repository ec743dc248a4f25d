/**
 * The client registry's upkeep: registrations are rate-limited per source, where an IPv6 source
 * is its /64 (one subscriber holds a whole /64) and an IPv4 source its address, read from
 * CF-Connecting-IP; and the registry's rows — registrations idle past their expiry, rate-limit
 * windows that have ended — are deleted by the registry objects' own alarm. The DEV_MODE
 * `/_dev/registry/<object>/…` routes count an object's rows, age them (as if time had passed)
 * and make its alarm fire now; the sweep itself is the real alarm.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../support/stack.mjs';

const REDIRECT = 'http://127.0.0.1:1/cb';
const stacks = [];
after(async () => {
  for (const s of stacks) await s.close();
});

async function stackWith(vars) {
  const s = await startStack({ vars });
  stacks.push(s);
  return s;
}

const register = (stack, ip) =>
  fetch(`${stack.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
    body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
  });

test('IPv6 registrations are limited per /64: many addresses in one /64 share one allowance', async () => {
  const stack = await stackWith({ REGISTRATIONS_PER_HOUR: '3' });
  const same64 = ['2001:db8:7:8::1', '2001:db8:7:8::2', '2001:db8:7:8:ffff:ffff:ffff:fffe', '2001:0db8:0007:0008:1234::9', '2001:db8:7:8:a:b:c:d'];
  const statuses = [];
  for (const ip of same64) statuses.push((await register(stack, ip)).status);
  assert.deepEqual(statuses, [201, 201, 201, 429, 429]);
  const limited = await register(stack, '2001:db8:7:8::77');
  assert.equal((await limited.json()).error, 'slow_down');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
  assert.equal((await register(stack, '2001:db8:7:9::1')).status, 201, 'the next /64 has its own allowance');
});

test('IPv4 registrations are limited per address', async () => {
  const stack = await stackWith({ REGISTRATIONS_PER_HOUR: '2' });
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await register(stack, '198.51.100.20')).status);
  assert.deepEqual(statuses, [201, 201, 429]);
  assert.equal((await register(stack, '198.51.100.21')).status, 201, 'the neighbouring address is another source');
  assert.equal((await register(stack, '::ffff:198.51.100.20')).status, 429, 'the same address written IPv4-mapped');
});

async function dev(stack, object, route, method = 'GET') {
  const r = await fetch(`${stack.url}/_dev/registry/${object}/${route}`, { method });
  assert.equal(r.status, 200, `${method} ${object}/${route}: ${r.status}`);
  return r.json();
}

async function sweptUntil(stack, object, done) {
  await dev(stack, object, 'alarm', 'POST');
  for (let i = 0; i < 50; i++) {
    const rows = await dev(stack, object, 'rows');
    if (done(rows)) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  return dev(stack, object, 'rows');
}

test("the registry's alarm deletes ended rate-limit windows and expired registrations, and keeps live ones", async () => {
  const stack = await stackWith({ REGISTRATIONS_PER_HOUR: '100' });
  const r = await register(stack, '192.0.2.44');
  assert.equal(r.status, 201);
  const { client_id } = await r.json();
  const clients = `clients:${client_id.slice(0, 2)}`;
  const limits = 'limits:192.';

  const before = await dev(stack, clients, 'rows');
  assert.ok(before.clients >= 1, 'the registration is stored');
  assert.ok(before.alarm, 'a cleanup alarm is scheduled once the object holds rows');
  assert.equal((await dev(stack, limits, 'rows')).limits, 1, 'one window for the source');
  assert.ok((await dev(stack, limits, 'rows')).alarm, 'the limits object schedules its alarm too');

  // Two hours later: the window has ended; the registration (90 days idle) is still live.
  await dev(stack, limits, 'age?secs=7200', 'POST');
  await dev(stack, clients, 'age?secs=7200', 'POST');
  assert.equal((await sweptUntil(stack, limits, (x) => x.limits === 0)).limits, 0, 'the ended window is swept');
  const kept = await sweptUntil(stack, clients, () => true);
  assert.equal(kept.clients, before.clients, 'a live registration is kept');
  const token = await fetch(`${stack.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=refresh_token&refresh_token=x&client_id=${client_id}` });
  assert.notEqual((await token.json()).error, 'invalid_client', 'the client is still known');

  // 91 days later: the registration has expired and is swept.
  await dev(stack, clients, `age?secs=${91 * 86400}`, 'POST');
  const swept = await sweptUntil(stack, clients, (x) => x.clients === 0 && x.alarm === null);
  assert.equal(swept.clients, 0, 'the expired registration is swept');
  assert.equal(swept.alarm, null, 'an empty object stops its alarm');
  const gone = await fetch(`${stack.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=refresh_token&refresh_token=x&client_id=${client_id}` });
  assert.equal((await gone.json()).error, 'invalid_client');
});
