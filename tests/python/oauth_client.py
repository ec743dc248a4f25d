"""The official Python MCP SDK (`mcp` on PyPI, pinned in requirements.txt) against the Worker.

Its `OAuthClientProvider` does the whole OAuth flow: RFC 9728 discovery from the 401, RFC 8414
metadata, dynamic registration, PKCE S256, the RFC 8707 resource, the RFC 9207 `iss` check and the
token exchange. The user's part is the only thing supplied here, as a CLI client would: a loopback
HTTP listener for the redirect and a "browser" command (the spec passes our headless opener) that the
redirect handler launches with the authorization URL.

    python oauth_client.py --server-url http://127.0.0.1:PORT/mcp --browser "node headless-open.mjs"

Three connections share one in-memory token store:
  1. `--mode` (default `auto`: `server/discover`, else initialize): the login, tools/list, put_object,
     get_object and list_objects;
  2. `legacy` (the initialize handshake): the stored token is reused, no second login;
  3. after marking the access token expired: the SDK refreshes it (refresh_token grant) and calls on.

Prints one JSON report on stdout; exits non-zero (with the error on stderr) on any failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
import time
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
from mcp import Client
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken


class MemoryStorage(TokenStorage):
    """Tokens and the registered client, in memory only; counts the writes."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None
        self.token_writes = 0

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens
        self.token_writes += 1

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class LoopbackCallback:
    """A one-shot HTTP listener on 127.0.0.1 that receives the authorization redirect (RFC 8252)."""

    def __init__(self) -> None:
        self.server: asyncio.base_events.Server | None = None
        self.port = 0
        self.received: asyncio.Future[dict[str, list[str]]] | None = None

    async def start(self) -> str:
        self.received = asyncio.get_running_loop().create_future()
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{self.port}/callback"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1")
            while (await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b"\n", b""):
                pass
            parts = request_line.split(" ")
            target = urlsplit(parts[1]) if len(parts) >= 2 else None
            if target is not None and target.path == "/callback":
                if self.received is not None and not self.received.done():
                    self.received.set_result(parse_qs(target.query))
                status, body = "200 OK", b"Authorization complete. You can close this window."
            else:
                status, body = "404 Not Found", b"not found"
            writer.write(
                f"HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {len(body)}\r\n"
                f"connection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        finally:
            writer.close()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


def structured(result: Any, name: str) -> dict[str, Any]:
    """A tool result's structuredContent, failing on isError or a text copy that differs."""
    if result.is_error:
        raise RuntimeError(f"{name} failed: {result.content}")
    data = result.structured_content
    if data is None:
        raise RuntimeError(f"{name}: no structuredContent")
    text = result.content[0].text
    if json.loads(text) != data:
        raise RuntimeError(f"{name}: text copy differs from structuredContent")
    return data


def object_body(result: Any) -> str:
    """get_object's bytes, sent once: its one embedded resource block's text (or base64 blob)."""
    blocks = [c for c in result.content if c.type == "resource"]
    if len(blocks) != 1:
        raise RuntimeError(f"get_object: {len(blocks)} embedded resources, expected 1")
    if "content" in (result.structured_content or {}):
        raise RuntimeError("get_object: the bytes are in structuredContent too")
    resource = blocks[0].resource
    return getattr(resource, "text", None) or getattr(resource, "blob", "")


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server-url", required=True)
    ap.add_argument("--browser", required=True, help="command that opens a URL (the URL is appended)")
    ap.add_argument("--mode", default="auto")
    ap.add_argument("--key", default="python/hello.txt")
    ap.add_argument("--content", default="from the Python SDK")
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args()

    report: dict[str, Any] = {"browser_launches": 0, "authorization_urls": []}
    storage = MemoryStorage()
    callback = LoopbackCallback()
    redirect_uri = await callback.start()
    browsers: list[asyncio.subprocess.Process] = []

    async def redirect_handler(url: str) -> None:
        # As `webbrowser.open(url)` would: start the browser, do not wait for it.
        report["browser_launches"] += 1
        report["authorization_urls"].append(url)
        assert callback.received is not None
        if callback.received.done():
            callback.received = asyncio.get_running_loop().create_future()
        browsers.append(await asyncio.create_subprocess_exec(*shlex.split(args.browser), url, stdout=asyncio.subprocess.DEVNULL))

    async def callback_handler() -> AuthorizationCodeResult:
        assert callback.received is not None
        params = await asyncio.wait_for(callback.received, args.timeout)
        report["callback_params"] = sorted(params)
        if "error" in params:
            raise RuntimeError(f"authorization failed: {params}")
        one = lambda k: params.get(k, [None])[0]  # noqa: E731
        return AuthorizationCodeResult(code=one("code"), state=one("state"), iss=one("iss"))

    auth = OAuthClientProvider(
        server_url=args.server_url,
        client_metadata=OAuthClientMetadata(
            client_name="Python MCP SDK e2e",
            redirect_uris=[redirect_uri],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )

    async def connect(stack: AsyncExitStack, mode: str) -> Client:
        http = await stack.enter_async_context(
            httpx2.AsyncClient(auth=auth, timeout=httpx2.Timeout(args.timeout, read=args.timeout))
        )
        transport = streamable_http_client(args.server_url, http_client=http)
        return await stack.enter_async_context(
            Client(transport, mode=mode, read_timeout_seconds=args.timeout)
        )

    try:
        # 1. The login, then tools.
        async with AsyncExitStack() as stack:
            client = await connect(stack, args.mode)
            report["first"] = {"protocol_version": client.protocol_version, "server": client.server_info.name if client.server_info else None}
            tools = await client.list_tools()
            report["tools"] = sorted(t.name for t in tools.tools)
            put = structured(await client.call_tool("put_object", {"key": args.key, "content": args.content}), "put_object")
            got_result = await client.call_tool("get_object", {"key": args.key})
            got = structured(got_result, "get_object")
            listed = structured(await client.call_tool("list_objects", {"prefix": args.key.rsplit("/", 1)[0] + "/"}), "list_objects")
            report["put"] = put
            report["get"] = {"content": object_body(got_result), "etag": got["etag"]}
            report["list"] = [o["key"] for o in listed["objects"]]
        assert storage.tokens is not None and storage.client_info is not None
        report["client"] = {
            "client_id": storage.client_info.client_id,
            "redirect_uris": [str(u) for u in storage.client_info.redirect_uris or []],
            "token_endpoint_auth_method": storage.client_info.token_endpoint_auth_method,
        }
        first_tokens = storage.tokens
        report["tokens"] = {
            "token_type": first_tokens.token_type,
            "has_refresh_token": bool(first_tokens.refresh_token),
            "expires_in": first_tokens.expires_in,
            "scope": first_tokens.scope,
        }

        # 2. A second connection with the initialize handshake: the stored token, no new login.
        async with AsyncExitStack() as stack:
            client = await connect(stack, "legacy")
            report["second"] = {"protocol_version": client.protocol_version}
            listed = structured(await client.call_tool("list_objects", {"prefix": args.key.rsplit("/", 1)[0] + "/"}), "list_objects")
            report["second"]["list"] = [o["key"] for o in listed["objects"]]

        # 3. The access token has expired (as far as the client knows): the SDK refreshes it first.
        writes_before = storage.token_writes
        auth.context.token_expiry_time = time.time() - 1
        async with AsyncExitStack() as stack:
            client = await connect(stack, args.mode)
            listed = structured(await client.call_tool("list_objects", {"prefix": args.key.rsplit("/", 1)[0] + "/"}), "list_objects")
            report["after_refresh"] = {
                "list": [o["key"] for o in listed["objects"]],
                "token_writes": storage.token_writes - writes_before,
                "access_token_changed": storage.tokens.access_token != first_tokens.access_token,
                "refresh_token_rotated": storage.tokens.refresh_token != first_tokens.refresh_token,
            }
        report["browser_launches_total"] = report["browser_launches"]
    finally:
        await callback.close()
        for p in browsers:
            try:
                await asyncio.wait_for(p.wait(), 30)
            except asyncio.TimeoutError:
                p.kill()
        report["browser_exit_codes"] = [p.returncode for p in browsers]

    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
