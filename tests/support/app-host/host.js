// A web MCP Apps host, as small as it can be while doing what a real one does: the official
// TypeScript SDK client (@modelcontextprotocol/sdk 1.x) connected to the server over OAuth (the
// SDK's own flow: discovery, registration, PKCE, token — the user's part is walked by the test),
// declaring the io.modelcontextprotocol/ui extension; and the official host bridge (AppBridge
// from @modelcontextprotocol/ext-apps 1.x, which pairs with that SDK) rendering a tool's ui://
// resource in a sandbox proxy iframe on another origin, which loads the view into its own inner
// iframe under the spec's default CSP. Like a real host it only proxies the view's tools/call to
// tools whose _meta.ui.visibility includes "app".
//
// Bundled with esbuild at test time (tests/support/app-host.mjs); driven through `window.__host`.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { AppBridge, PostMessageTransport, RESOURCE_MIME_TYPE, getToolUiResourceUri } from '@modelcontextprotocol/ext-apps/app-bridge';

const HOST_INFO = { name: 'r2-e2e-host', version: '1.0.0' };
const events = (window.__events = []);
const ev = (type, data) => events.push({ type, data, at: Date.now() });

/** The SDK's OAuthClientProvider; the browser step is handed to the test (`__walkLogin`). */
class PageAuth {
  constructor(email) {
    this.email = email;
    this._redirect = `${location.origin}/callback`;
    this._client = undefined;
    this._tokens = undefined;
    this._verifier = undefined;
    this.callback = undefined;
  }
  get redirectUrl() { return this._redirect; }
  get clientMetadata() {
    return {
      client_name: 'MCP Apps e2e host',
      redirect_uris: [this._redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() { return this._client; }
  saveClientInformation(c) { this._client = c; }
  tokens() { return this._tokens; }
  saveTokens(t) { this._tokens = t; }
  saveCodeVerifier(v) { this._verifier = v; }
  codeVerifier() { return this._verifier; }
  async redirectToAuthorization(url) {
    this.callback = new URL(await window.__walkLogin(url.href, this.email));
  }
}

let client;
let tools = [];
let bridge;
let iframe;
let context;

/** Logs in as `email` (OAuth in this page) and connects; resolves to the tool names listed. */
async function connect({ mcpUrl, email }) {
  const auth = new PageAuth(email);
  client = new Client(HOST_INFO, { capabilities: { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: [RESOURCE_MIME_TYPE] } } } });
  const transport = () => new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: auth });
  const first = transport();
  try {
    await client.connect(first);
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
    await first.finishAuth(auth.callback.searchParams.get('code'));
    await client.connect(transport());
  }
  ev('connected', { server: client.getServerVersion(), capabilities: client.getServerCapabilities() });
  tools = (await client.listTools()).tools;
  return tools.map((t) => ({ name: t.name, _meta: t._meta }));
}

/**
 * Calls `toolName` as the model would and renders its result in the tool's view, in a sandbox
 * proxy at `sandboxUrl`. Resolves once the view said `initialized` (the test then waits for it).
 */
async function render({ toolName = 'browse_objects', args = {}, sandboxUrl, hostContext }) {
  await close();
  const tool = tools.find((t) => t.name === toolName);
  const uri = getToolUiResourceUri(tool);
  if (!uri) throw new Error(`${toolName} has no ui resource`);
  const result = client.callTool({ name: toolName, arguments: args });
  const { contents } = await client.readResource({ uri });
  const content = contents[0];
  if (content.mimeType !== RESOURCE_MIME_TYPE) throw new Error(`unexpected mimeType ${content.mimeType}`);
  const html = content.text ?? atob(content.blob);
  const ui = content._meta?.ui ?? {};
  ev('resource', { uri, bytes: html.length, ui });

  const frames = document.getElementById('frames');
  iframe = document.createElement('iframe');
  iframe.title = 'R2 object browser';
  iframe.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-forms');
  if (ui.prefersBorder) iframe.classList.add('bordered');
  frames.append(iframe); // contentWindow exists from here on, across the navigation below

  context = { displayMode: 'inline', availableDisplayModes: ['inline'], platform: 'web', toolInfo: { tool }, ...hostContext };
  bridge = new AppBridge(client, HOST_INFO, { openLinks: {}, serverTools: {}, serverResources: {}, logging: {}, updateModelContext: { text: {} } }, { hostContext: context });
  bridge.onsizechange = ({ width, height }) => {
    ev('size-changed', { width, height });
    if (height != null) iframe.style.height = `${height}px`;
  };
  bridge.onsandboxready = () => {
    ev('sandbox-ready');
    bridge.sendSandboxResourceReady({ html, csp: ui.csp, permissions: ui.permissions });
  };
  const initialized = new Promise((resolve) => {
    bridge.oninitialized = () => {
      ev('initialized', bridge.getAppVersion());
      bridge.sendToolInput({ arguments: args });
      result.then(
        (r) => {
          ev('tool-result', { isError: r.isError ?? false });
          bridge.sendToolResult(r);
        },
        (e) => bridge.sendToolCancelled({ reason: String(e) }),
      );
      resolve();
    };
  });
  bridge.onupdatemodelcontext = async (p) => {
    ev('model-context', p);
    return {};
  };
  bridge.onloggingmessage = (p) => ev('log', p);
  bridge.onopenlink = async () => ({ isError: true });
  bridge.onmessage = async () => ({ isError: true });
  await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
  // The bridge forwards every tools/call; a host enforces the view's visibility rule itself.
  const forward = bridge.oncalltool;
  bridge.oncalltool = async (params, extra) => {
    const t = tools.find((x) => x.name === params.name);
    const visibility = t?._meta?.ui?.visibility ?? ['model', 'app'];
    const allowed = !!t && visibility.includes('app');
    ev('app-tools-call', { name: params.name, allowed });
    if (!allowed) throw new Error(`Tool ${params.name} is not callable by apps`);
    return forward(params, extra);
  };
  iframe.src = sandboxUrl;
  await initialized;
}

/** Changes the host context (theme, size hints…): the bridge sends what changed. */
function setContext(partial) {
  context = { ...context, ...partial };
  bridge.setHostContext(context);
  if (partial.theme) document.documentElement.dataset.theme = partial.theme;
}

async function close() {
  if (!bridge) return;
  try {
    await bridge.teardownResource({});
  } catch {}
  await bridge.close();
  iframe.remove();
  bridge = undefined;
}

window.__host = { connect, render, setContext, close, events };
