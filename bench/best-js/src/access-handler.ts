/**
 * best-JS's login: a copy of bench/baseline/src/access-handler.ts (copied, not shared, so each system
 * bundles its own), shaped like Cloudflare's Access demo: an approval page, then an OIDC
 * authorization-code flow with PKCE to the upstream provider (state and verifier in KV for ten
 * minutes), the id_token's signature and expiry checked against the provider's JWKS (fetched on each
 * login, as the demo does), and `completeAuthorization()` with the user's claims as the grant's props.
 */
import type { AuthRequest, OAuthHelpers } from '@cloudflare/workers-oauth-provider';
import type { Env } from './index';

type Bindings = Env & { OAUTH_PROVIDER: OAuthHelpers };
type Discovery = { authorization_endpoint: string; token_endpoint: string; jwks_uri: string; issuer: string };

let discovery: Discovery | undefined;

async function upstream(env: Bindings): Promise<Discovery> {
  if (!discovery) {
    const r = await fetch(`${env.ACCESS_ISSUER.replace(/\/$/, '')}/.well-known/openid-configuration`);
    if (!r.ok) throw new Error(`discovery failed: ${r.status}`);
    discovery = (await r.json()) as Discovery;
  }
  return discovery;
}

const b64url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const fromB64url = (s: string) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
const random = (n = 32) => b64url(crypto.getRandomValues(new Uint8Array(n)));
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function html(body: string, status = 200) {
  return new Response(`<!doctype html><html><head><meta charset="utf-8"><title>Authorize</title></head><body>${body}</body></html>`, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'x-frame-options': 'DENY', 'cache-control': 'no-store' },
  });
}

function approvalDialog(req: AuthRequest, clientName: string) {
  const state = btoa(JSON.stringify(req));
  return html(`<h1>${esc(clientName)} wants to use this MCP server</h1>
<p>Redirect: ${esc(req.redirectUri)}</p>
<form method="post" action="/authorize">
  <input type="hidden" name="state" value="${esc(state)}">
  <button type="submit" name="decision" value="approve">Approve</button>
  <button type="submit" name="decision" value="deny">Cancel</button>
</form>`);
}

async function verifyIdToken(idToken: string, jwksUri: string, issuer: string, audience: string) {
  const [h, p, s] = idToken.split('.');
  const header = JSON.parse(new TextDecoder().decode(fromB64url(h)));
  const jwks = (await (await fetch(jwksUri)).json()) as { keys: (JsonWebKey & { kid?: string })[] };
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error('no key for the id_token');
  const alg = header.alg === 'ES256'
    ? { import: { name: 'ECDSA', namedCurve: 'P-256' }, verify: { name: 'ECDSA', hash: 'SHA-256' } }
    : { import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verify: { name: 'RSASSA-PKCS1-v1_5' } };
  const key = await crypto.subtle.importKey('jwk', jwk, alg.import, false, ['verify']);
  const ok = await crypto.subtle.verify(alg.verify, key, fromB64url(s), new TextEncoder().encode(`${h}.${p}`));
  if (!ok) throw new Error('bad id_token signature');
  const claims = JSON.parse(new TextDecoder().decode(fromB64url(p)));
  if (claims.exp * 1000 < Date.now()) throw new Error('id_token expired');
  if (claims.iss !== issuer || (Array.isArray(claims.aud) ? !claims.aud.includes(audience) : claims.aud !== audience)) {
    throw new Error('id_token for another issuer or audience');
  }
  return claims as { sub: string; email: string; name?: string };
}

export async function handleAccessRequest(request: Request, env: Bindings): Promise<Response> {
  const url = new URL(request.url);
  const callback = `${env.PUBLIC_URL}/callback`;

  if (url.pathname === '/authorize' && request.method === 'GET') {
    const req = await env.OAUTH_PROVIDER.parseAuthRequest(request);
    if (!req.clientId) return new Response('Invalid request', { status: 400 });
    const client = await env.OAUTH_PROVIDER.lookupClient(req.clientId);
    return approvalDialog(req, client?.clientName ?? req.clientId);
  }

  if (url.pathname === '/authorize' && request.method === 'POST') {
    const form = await request.formData();
    const req = JSON.parse(atob(String(form.get('state') ?? ''))) as AuthRequest;
    if (form.get('decision') !== 'approve') {
      const back = new URL(req.redirectUri);
      back.searchParams.set('error', 'access_denied');
      if (req.state) back.searchParams.set('state', req.state);
      return Response.redirect(back.toString(), 302);
    }
    const up = await upstream(env);
    const state = random();
    const verifier = random();
    const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    await env.OAUTH_KV.put(`login:${state}`, JSON.stringify({ req, verifier }), { expirationTtl: 600 });
    const to = new URL(up.authorization_endpoint);
    to.search = new URLSearchParams({
      client_id: env.ACCESS_CLIENT_ID,
      redirect_uri: callback,
      response_type: 'code',
      scope: 'openid email profile',
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    return Response.redirect(to.toString(), 302);
  }

  if (url.pathname === '/callback' && request.method === 'GET') {
    const state = url.searchParams.get('state') ?? '';
    const saved = await env.OAUTH_KV.get(`login:${state}`);
    if (!saved) return new Response('unknown or expired state', { status: 400 });
    await env.OAUTH_KV.delete(`login:${state}`);
    const { req, verifier } = JSON.parse(saved) as { req: AuthRequest; verifier: string };
    const code = url.searchParams.get('code');
    if (!code) return new Response(`upstream error: ${url.searchParams.get('error')}`, { status: 400 });
    const up = await upstream(env);
    const tokenRes = await fetch(up.token_endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${encodeURIComponent(env.ACCESS_CLIENT_ID)}:${encodeURIComponent(env.ACCESS_CLIENT_SECRET)}`)}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callback, code_verifier: verifier }),
    });
    if (!tokenRes.ok) return new Response(`upstream token error: ${await tokenRes.text()}`, { status: 502 });
    const tokens = (await tokenRes.json()) as { id_token: string };
    const claims = await verifyIdToken(tokens.id_token, up.jwks_uri, up.issuer, env.ACCESS_CLIENT_ID);
    const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({
      request: req,
      userId: claims.sub,
      metadata: { label: claims.name ?? claims.email },
      scope: req.scope,
      props: { sub: claims.sub, email: claims.email, name: claims.name ?? '' },
    });
    return Response.redirect(redirectTo, 302);
  }

  return new Response('Not found', { status: 404 });
}
