//! OAuth 2.1 authorization-server rules toward MCP clients, as plain Rust (no I/O).
