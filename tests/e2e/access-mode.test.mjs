/**
 * Behind a Cloudflare Access self-hosted application (`AUTH_MODE=access`): the Worker skips its own
 * OAuth and takes the identity from `Cf-Access-Jwt-Assertion`, validated against the team's certs
 * (signature, `iss`, the application `aud`, expiry). A stand-in team serves the certs locally.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { generateKeyPairSync, sign, randomBytes, createHash } from 'node:crypto';
import { startWorker } from '../support/worker.mjs';
import { baseVars } from '../support/vars.mjs';

const AUD = 'a1b2c3d4e5f6-test-aud';
const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = randomBytes(4).toString('hex');
let team;
let teamUrl;
let worker;

function assertion(claims = {}, { signWith = key.privateKey, headerKid = kid } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', kid: headerKid, typ: 'JWT' };
  const body = { iss: teamUrl, aud: [AUD], sub: 'user-123', email: 'carol@example.com', iat: now, nbf: now, exp: now + 300, ...claims };
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc(header)}.${enc(body)}`;
  return `${input}.${sign('sha256', Buffer.from(input), signWith).toString('base64url')}`;
}

before(async () => {
  team = createServer((req, res) => {
    if (req.url === '/cdn-cgi/access/certs') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [{ ...key.publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((r) => team.listen(0, '127.0.0.1', r));
  teamUrl = `http://127.0.0.1:${team.address().port}`;
  worker = await startWorker({ vars: baseVars({ AUTH_MODE: 'access', ACCESS_TEAM_DOMAIN: teamUrl, ACCESS_AUD: AUD, DEV_MODE: '1' }) });
});

after(async () => {
  await worker?.close();
  await new Promise((r) => team?.close(r));
});

const call = (headers = {}) =>
  fetch(`${worker.url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
  });

test('a request that did not come through Access is refused', async () => {
  assert.equal((await call()).status, 401);
});

test('a valid Access assertion is served as that user', async () => {
  const r = await call({ 'cf-access-jwt-assertion': assertion() });
  assert.ok(r.status < 400, `served (${r.status}): ${await r.clone().text()}`);
});

test('forged, foreign or stale assertions are refused', async () => {
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cases = {
    'wrong signer': assertion({}, { signWith: other.privateKey }),
    'unknown kid': assertion({}, { headerKid: 'nope' }),
    'another application': assertion({ aud: ['someone-else'] }),
    'another team': assertion({ iss: 'https://evil.cloudflareaccess.com' }),
    expired: assertion({ exp: Math.floor(Date.now() / 1000) - 600 }),
    'alg none': (() => {
      const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${enc({ alg: 'none', kid })}.${enc({ iss: teamUrl, aud: [AUD], sub: 'x', exp: 9e9 })}.`;
    })(),
  };
  for (const [name, jwt] of Object.entries(cases)) {
    const r = await call({ 'cf-access-jwt-assertion': jwt });
    assert.equal(r.status, 403, name);
  }
});

test('the Worker runs no OAuth server of its own in this mode', async () => {
  for (const p of ['/.well-known/oauth-authorization-server', '/register', '/authorize', '/token']) {
    assert.equal((await fetch(worker.url + p, { method: p === '/register' || p === '/token' ? 'POST' : 'GET' })).status, 404, p);
  }
});

/** The key naming a user's object: 16 bytes of SHA-256(len(iss) as u64 BE ‖ iss ‖ sub), hex. */
function userKey(iss, sub) {
  const len = Buffer.alloc(8);
  len.writeBigUInt64BE(BigInt(Buffer.byteLength(iss)));
  return createHash('sha256').update(len).update(iss).update(sub).digest('hex').slice(0, 32);
}

test('the user object keeps the same retention as in OAuth mode: its cleanup alarm is scheduled', async () => {
  const sub = `retention-${randomBytes(4).toString('hex')}`;
  const r = await call({ 'cf-access-jwt-assertion': assertion({ sub }) });
  assert.equal(r.status, 200);
  await r.body?.cancel();
  const alarm = await (await fetch(`${worker.url}/_dev/do/${userKey(teamUrl, sub)}/alarm`)).json();
  assert.equal(typeof alarm.scheduled_at, 'number', 'sessions, events and the audit trail expire behind Access too');
  assert.ok(alarm.scheduled_at > Date.now() && alarm.scheduled_at <= Date.now() + 60 * 60 * 1000 + 5000, `due ${alarm.scheduled_at - Date.now()} ms from now`);
});

test('a client cannot smuggle an identity header past the Worker', async () => {
  const forged = JSON.stringify({ iss: teamUrl, sub: 'victim', groups: [] });
  assert.equal((await call({ 'x-r2mcp-identity': forged })).status, 401);
});
