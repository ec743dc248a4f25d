/**
 * An MCP client's side of the OAuth flow, done by the official TypeScript SDK (`auth()` with an
 * `OAuthClientProvider`: RFC 9728 → RFC 8414 → registration → PKCE → token), with the user's part
 * (consent page, upstream login form) walked by the headless `Browser`.
 */
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Browser } from './browser.mjs';

/** An in-memory OAuthClientProvider whose "browser" is our headless one. */
export class TestOAuthProvider {
  constructor({ redirectUrl = 'http://127.0.0.1:1/cb', clientName = 'E2E test client', authMethod = 'none', user = {}, decision = 'approve', browser = new Browser() } = {}) {
    this._redirectUrl = redirectUrl;
    this._meta = {
      client_name: clientName,
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: authMethod,
    };
    this.user = { email: 'alice@example.com', groups: '', ...user };
    this.decision = decision;
    this.browser = browser;
    this._client = undefined;
    this._tokens = undefined;
    this._verifier = undefined;
    this.lastRedirect = undefined;
    this.consentPages = 0;
  }
  get redirectUrl() { return this._redirectUrl; }
  get clientMetadata() { return this._meta; }
  clientInformation() { return this._client; }
  saveClientInformation(info) { this._client = info; }
  tokens() { return this._tokens; }
  saveTokens(t) { this._tokens = t; }
  saveCodeVerifier(v) { this._verifier = v; }
  codeVerifier() { return this._verifier; }

  /** Walks authorize → consent → upstream login → callback → the client's redirect URI. */
  async redirectToAuthorization(url) {
    this.lastRedirect = await walkLogin(this.browser, url.toString(), {
      redirectUrl: this._redirectUrl,
      user: this.user,
      decision: this.decision,
      onConsent: () => this.consentPages++,
    });
  }
}

/**
 * Follows an authorization URL like a user would; returns the URL the browser is finally sent to
 * on the client's redirect URI (with `code` or `error`), or throws with the page it stopped on.
 */
export async function walkLogin(browser, authorizeUrl, { redirectUrl, user, decision = 'approve', onConsent = () => {} }) {
  const stopAt = (u) => u.startsWith(redirectUrl);
  let step = await browser.follow(authorizeUrl, { stopAt });
  for (let i = 0; i < 6; i++) {
    if (step.location) return new URL(step.location);
    const html = await step.res.text();
    if (step.res.status !== 200) throw new Error(`stopped at ${step.url} with ${step.res.status}: ${html.slice(0, 400)}`);
    if (html.includes('name="decision"')) {
      onConsent();
      step = await browser.submit(step.url, html, { button: decision, stopAt });
    } else if (html.includes('name="email"')) {
      step = await browser.submit(step.url, html, {
        fields: { email: user.email, groups: user.groups ?? '', name: user.name ?? '' },
        button: user.cancel ? 'cancel' : 'login',
        stopAt,
      });
    } else {
      throw new Error(`unexpected page at ${step.url}: ${html.slice(0, 400)}`);
    }
  }
  throw new Error('too many pages');
}

/** Runs the SDK's whole flow; resolves to the provider holding tokens. */
export async function login(mcpUrl, opts = {}) {
  const provider = new TestOAuthProvider(opts);
  const first = await auth(provider, { serverUrl: mcpUrl });
  if (first !== 'REDIRECT') throw new Error(`expected a redirect, got ${first}`);
  const code = provider.lastRedirect.searchParams.get('code');
  if (!code) throw new Error(`no code: ${provider.lastRedirect}`);
  const second = await auth(provider, { serverUrl: mcpUrl, authorizationCode: code });
  if (second !== 'AUTHORIZED') throw new Error(`expected AUTHORIZED, got ${second}`);
  return provider;
}
