//! Randomness and time for the front Worker (wasm32 only): the runtime's CSPRNG and clock.

/// Fills `buf` from `crypto.getRandomValues`. The runtime's generator does not fail short of a
/// broken isolate; if it ever did, no predictable secret may be handed out, so this panics.
pub fn fill(buf: &mut [u8]) {
    if let Err(e) = getrandom::fill(buf) {
        panic!("crypto.getRandomValues failed: {e}");
    }
}

/// `N` random bytes.
pub fn array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill(&mut out);
    out
}

/// Unix time in seconds.
pub fn now_secs() -> i64 {
    (worker::Date::now().as_millis() / 1000) as i64
}
