//! Token and grant lifetimes: the one definition, read from the Worker's settings (`config`), sent to
//! the user's object with every grant call, and applied by the grant rules.

use serde::{Deserialize, Serialize};

/// Lifetimes in seconds.
///
/// - `code` (`AUTH_CODE_TTL`, 10 min), `access` (`ACCESS_TOKEN_TTL`, 1 h).
/// - `refresh` (`REFRESH_TOKEN_TTL`, 30 d): a refresh token's life from its issue. A grant whose
///   login has an upstream refresh token slides with each refresh (every refresh re-checks the
///   upstream session); one without ends at `refresh` after the login, whatever the refreshes.
/// - `grant_max` (`GRANT_MAX_TTL`, 30 d): the absolute end of a grant after its login; no
///   refresh extends it, and no token outlives it.
/// - `upstream_recheck` (`UPSTREAM_RECHECK_SECS`, 5 min): a refresh reaches the upstream only
///   when its last successful check is older than this (0: every refresh), so an ended upstream
///   session ends ours within this bound.
/// - `upstream_grace` (`UPSTREAM_GRACE_SECS`, 1 h): while the upstream cannot be reached (5xx,
///   timeout), refreshes go on for this long after the last successful check, then fail closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifetimes {
    pub code: i64,
    pub access: i64,
    pub refresh: i64,
    pub grant_max: i64,
    pub upstream_recheck: i64,
    pub upstream_grace: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self { code: 600, access: 3600, refresh: 30 * 24 * 3600, grant_max: 30 * 24 * 3600, upstream_recheck: 300, upstream_grace: 3600 }
    }
}
