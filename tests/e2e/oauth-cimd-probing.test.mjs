/**
 * Client ID Metadata Documents cannot be used to make this server probe a network: a document URL
 * must be https on the default port with a public DNS name (no IP literal in any spelling, no
 * local name), and anything else is an unknown client without any fetch; a redirect is a failure
 * (never followed); a body is read only up to 5 KiB; and a URL that failed is not fetched again
 * within the cache period. (DEV_MODE on loopback lets documents be served over http from
 * 127.0.0.1, which is how this spec serves its own.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { startStack } from '../support/stack.mjs';

const REDIRECT = 'http://127.0.0.1:1/cb';
let stack;
let docs;
let docsUrl;
let trap;
let trapPort;
let trapConnections = 0;
const hits = new Map();
const endless = { written: 0, closedAt: 0 };
const logs = [];

before(async () => {
  // Anything at all that connects here (TCP, whatever the scheme) is counted.
  trap = net.createServer((s) => {
    trapConnections++;
    s.destroy();
  });
  await new Promise((r) => trap.listen(0, '127.0.0.1', r));
  trapPort = trap.address().port;

  docs = createServer((req, res) => {
    hits.set(req.url, (hits.get(req.url) ?? 0) + 1);
    const doc = (clientId) => JSON.stringify({ client_id: clientId, client_name: 'Doc', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
    switch (req.url) {
      case '/good.json':
        res.setHeader('content-type', 'application/json');
        return res.end(doc(`${docsUrl}/good.json`));
      case '/redirect.json':
        res.statusCode = 302;
        res.setHeader('location', '/target.json');
        return res.end();
      case '/target.json':
        // What a redirect would lead to: a document naming the URL the server was asked for.
        res.setHeader('content-type', 'application/json');
        return res.end(doc(`${docsUrl}/redirect.json`));
      case '/endless.json': {
        res.setHeader('content-type', 'application/json');
        res.write('{"client_id":"' + `${docsUrl}/endless.json` + '","client_name":"');
        const filler = Buffer.alloc(1024, 0x61);
        const pump = () => {
          while (!res.destroyed && res.write(filler)) endless.written += filler.length;
          if (!res.destroyed) res.once('drain', pump);
        };
        res.on('close', () => { endless.closedAt = Date.now(); });
        return pump();
      }
      case '/slow.json':
        return; // never answers
      default:
        res.statusCode = 404;
        return res.end('{}');
    }
  });
  await new Promise((r) => docs.listen(0, '127.0.0.1', r));
  docsUrl = `http://127.0.0.1:${docs.address().port}`;
  stack = await startStack({ vars: { CLIENT_METADATA_DOCUMENTS: '1' }, onLog: (l) => logs.push(l) });
});

after(async () => {
  await stack?.close();
  docs.closeAllConnections?.();
  await new Promise((r) => docs.close(r));
  await new Promise((r) => trap.close(r));
});

function authorize(client_id) {
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  const u = new URL(`${stack.url}/authorize`);
  u.search = new URLSearchParams({ response_type: 'code', client_id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 's' }).toString();
  return fetch(u, { redirect: 'manual' });
}

async function assertUnknownClient(url) {
  const r = await authorize(url);
  assert.equal(r.status, 400, url);
  assert.equal(r.headers.get('location'), null, url);
  assert.match(await r.text(), /not registered/, url);
}

const fetchLogged = (url) => logs.some((l) => l.includes(`client metadata document ${url}`));

test('a document at an allowed URL is still used (the control case)', async () => {
  const r = await authorize(`${docsUrl}/good.json`);
  assert.equal(r.status, 200);
  assert.match(await r.text(), /Doc/);
});

test('IP literals in every spelling, explicit ports and local names are refused without a fetch', async () => {
  const withPort = [
    `https://127.0.0.1:${trapPort}/c.json`,
    `https://2130706433:${trapPort}/c.json`,
    `https://0x7f000001:${trapPort}/c.json`,
    `https://0177.0.0.1:${trapPort}/c.json`,
    `https://127.1:${trapPort}/c.json`,
    `https://localhost:${trapPort}/c.json`,
    `https://docs.localhost:${trapPort}/c.json`,
  ];
  const noPort = [
    'https://127.0.0.1/c.json',
    'https://2130706433/c.json',
    'https://0x7f000001/c.json',
    'https://[::1]/c.json',
    'https://[::ffff:7f00:1]/c.json',
    'https://localhost/c.json',
    'https://printer.local/c.json',
    'https://metadata.google.internal/c.json',
    'https://router.lan/c.json',
    'https://nas.home.arpa/c.json',
    'https://example.com:443/c.json',
  ];
  for (const url of [...withPort, ...noPort]) await assertUnknownClient(url);
  assert.equal(trapConnections, 0, 'nothing connected to the local port those URLs name');
  const fetched = [...withPort, ...noPort].filter(fetchLogged);
  assert.deepEqual(fetched, [], 'no fetch was attempted for any of them');
});

test('a redirecting document is refused, and the redirect is not followed', async () => {
  await assertUnknownClient(`${docsUrl}/redirect.json`);
  assert.equal(hits.get('/redirect.json'), 1);
  assert.equal(hits.get('/target.json') ?? 0, 0, 'the redirect target was never requested');
});

test('an endless document is cut off after 5 KiB and answered at once', async () => {
  const started = Date.now();
  await assertUnknownClient(`${docsUrl}/endless.json`);
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 3000, `answered after ${elapsed} ms (the body was not cut: the fetch ran into its timeout)`);
  for (let i = 0; i < 40 && !endless.closedAt; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(endless.closedAt, 'the server stopped reading and closed the connection');
});

test('a failing URL is fetched once per cache period, not once per request', async () => {
  for (let i = 0; i < 4; i++) await assertUnknownClient(`${docsUrl}/missing.json`);
  assert.equal(hits.get('/missing.json'), 1);
  for (let i = 0; i < 3; i++) await assertUnknownClient(`${docsUrl}/redirect.json`);
  assert.equal(hits.get('/redirect.json'), 1, 'a refused redirect is remembered too');
});

test('a document that never answers fails after the timeout, and is then remembered as failed', async () => {
  const started = Date.now();
  await assertUnknownClient(`${docsUrl}/slow.json`);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 4000 && elapsed < 9000, `gave up after ${elapsed} ms`);
  const again = Date.now();
  await assertUnknownClient(`${docsUrl}/slow.json`);
  assert.ok(Date.now() - again < 1000, 'the second request did not wait again');
  assert.equal(hits.get('/slow.json'), 1);
});
