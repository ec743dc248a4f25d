//! The MCP protocol engine, as plain Rust (no I/O).
