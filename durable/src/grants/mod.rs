//! OAuth grants and tokens kept in the user's object, as plain Rust (no I/O).
