//! The R2 tools' shared parts, as plain Rust with their wasm32 glue beside them.
//!
//! | module | owns |
//! |---|---|
//! | [`journal`] | the journaled write (intent → R2 → audit) every write tool goes through, and the audit trail: rules in `mod.rs`, SQLite in `sqlite.rs` |

pub mod journal;
