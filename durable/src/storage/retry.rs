//! R2 rate limits: R2 accepts about one write per second per key and answers more with HTTP 429
//! (error code 10058, "Reached maximum write rate"). Writes that hit it are retried inside their
//! turn of the write queue (so order is kept) on a bounded schedule, then reported as a tool error
//! (`ToolError::RateLimited`).

/// Waits before each retry, in milliseconds: 5 attempts in all, about 3.9 s of waiting at most,
/// enough to clear R2's per-key one-second window several times over.
pub const BACKOFF_MS: [u32; 4] = [300, 600, 1_000, 2_000];

/// Attempts in all (the first try plus [`BACKOFF_MS`]).
pub const MAX_ATTEMPTS: usize = BACKOFF_MS.len() + 1;

/// The wait before attempt `attempt` (1-based retry number), with up to 20 % jitter from
/// `jitter` ∈ [0, 1); `None` when the bound is reached.
pub fn backoff(retry: usize, jitter: f64) -> Option<u32> {
    let base = *BACKOFF_MS.get(retry.checked_sub(1)?)?;
    let j = jitter.clamp(0.0, 1.0) * 0.2 * f64::from(base);
    Some(base + j as u32)
}

/// Whether an R2 binding error is a rate limit (429 / 10058 / "rate" wording).
pub fn is_rate_limited(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("10058")
        || m.contains("429")
        || m.contains("too many requests")
        || m.contains("maximum write rate")
        || m.contains("rate limit")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_bounded() {
        let waits: Vec<u32> = (1..10).map_while(|r| backoff(r, 0.0)).collect();
        assert_eq!(waits, BACKOFF_MS);
        assert_eq!(backoff(0, 0.0), None);
        assert_eq!(backoff(MAX_ATTEMPTS, 0.0), None);
        assert!(backoff(1, 0.99).is_some_and(|w| (300..=360).contains(&w)));
    }

    #[test]
    fn rate_limit_errors_are_recognised() {
        assert!(is_rate_limited("put: Reached maximum write rate (10058)"));
        assert!(is_rate_limited("HTTP 429 Too Many Requests"));
        assert!(!is_rate_limited("put: The specified key does not exist (10007)"));
    }
}
