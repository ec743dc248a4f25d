// A browser MCP client page built on `use-mcp`, the React hook the Cloudflare AI playground uses:
// it connects to the server named in `?server=`, runs the OAuth flow in a popup, lists the tools
// and calls `list_objects` when its button is pressed. The test reads the DOM (and `window.__mcp`).
import React, { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { useMcp } from 'use-mcp/react';

const params = new URLSearchParams(location.search);

function App() {
  const mcp = useMcp({
    url: params.get('server'),
    clientName: 'use-mcp e2e page',
    // The playground's setting: Streamable HTTP first, SSE only when that is not served.
    transportType: 'auto',
    autoReconnect: false,
    debug: true,
  });
  const [listing, setListing] = useState(null);
  useEffect(() => {
    window.__mcp = { state: mcp.state, error: mcp.error, tools: mcp.tools.map((t) => t.name), callTool: mcp.callTool, log: mcp.log };
  }, [mcp]);
  const list = async () => {
    try {
      const r = await mcp.callTool('list_objects', {});
      setListing({ keys: (r.structuredContent?.objects ?? []).map((o) => o.key) });
    } catch (e) {
      setListing({ error: String(e?.message ?? e) });
    }
  };
  return (
    <main>
      <p>State: <span id="state">{mcp.state}</span></p>
      {mcp.error && <p id="error" role="alert">{mcp.error}</p>}
      <ul id="tools">{mcp.tools.map((t) => <li key={t.name}>{t.name}</li>)}</ul>
      <button id="list" disabled={mcp.state !== 'ready'} onClick={list}>List objects</button>
      {listing?.keys && <ul id="objects">{listing.keys.map((k) => <li key={k}>{k}</li>)}</ul>}
      {listing && <p id="listed">{listing.error ?? `${listing.keys.length} objects`}</p>}
    </main>
  );
}

createRoot(document.getElementById('root')).render(<App />);
