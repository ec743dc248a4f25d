//! Write preconditions, decided inside the write queue's turn against the etag R2 just reported.

use super::content::normalize_etag;

/// Checks `if_match` (the current etag must equal it) and create-only (`if_none_match: "*"`: the
/// key must not exist) against `current` (the object's etag, `None` when absent). `what` names
/// the object in the message (`"a.txt"`, `"destination b.txt"`).
pub fn check(current: Option<&str>, if_match: Option<&str>, create_only: bool, what: &str) -> Result<(), String> {
    if create_only {
        if let Some(e) = current {
            return Err(format!("Precondition failed: {what} already exists (etag {e}) and if_none_match \"*\" allows creating only."));
        }
    }
    if let Some(want) = if_match {
        let want = normalize_etag(want);
        match current {
            None => return Err(format!("Precondition failed: {what} does not exist, so it cannot match etag {want}.")),
            Some(e) if e != want => {
                return Err(format!(
                    "Precondition failed: {what} has etag {e}, not {want}; it changed since you read it. Read it again and retry."
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn if_match_needs_the_same_etag() {
        assert!(check(Some("abc"), Some("abc"), false, "k").is_ok());
        assert!(check(Some("abc"), Some("\"abc\""), false, "k").is_ok());
        let e = check(Some("abc"), Some("xyz"), false, "\"k\"").unwrap_err();
        assert!(e.contains("Precondition failed") && e.contains("abc") && e.contains("xyz"), "{e}");
        assert!(check(None, Some("abc"), false, "k").unwrap_err().contains("does not exist"));
    }

    #[test]
    fn create_only_refuses_an_existing_key() {
        assert!(check(None, None, true, "k").is_ok());
        assert!(check(Some("e"), None, true, "k").unwrap_err().contains("already exists"));
    }

    #[test]
    fn no_precondition_always_passes() {
        assert!(check(None, None, false, "k").is_ok() && check(Some("e"), None, false, "k").is_ok());
    }
}
