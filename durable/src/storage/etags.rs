//! The etags this object's own writes left in R2, kept in memory so a write to a key written
//! before needs no `head` first.
//!
//! Every change to a user's namespace goes through that user's write queue, so the etag a write
//! got back from R2 is the key's current etag until the next write, which updates it. The cache is
//! a hint, never trusted alone: each put is still conditional on the etag (`onlyIf`), so a stale
//! entry (an object changed outside this server) makes R2 refuse the put, and the write then asks
//! R2 again. Only writes fill it — a read runs beside the queue and could see an older version.
//! Memory only (a restarted object starts empty) and bounded: when full it is emptied, which costs
//! one `head` per key at most. A plain vector: at this size a scan costs microseconds, and a map
//! would cost kilobytes of wasm.

/// Keys remembered at most.
pub const CAPACITY: usize = 512;

/// Key → the etag this object's last write to it left.
#[derive(Debug, Default)]
pub struct EtagCache {
    entries: Vec<(String, String)>,
}

impl EtagCache {
    fn find(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k == key)
    }

    /// The etag the last write of `key` left, if this object remembers it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key)
            .and_then(|i| self.entries.get(i))
            .map(|(_, e)| e.as_str())
    }

    /// Remembers what a write left in R2.
    pub fn set(&mut self, key: &str, etag: &str) {
        match self.find(key).and_then(|i| self.entries.get_mut(i)) {
            Some(entry) => entry.1 = etag.to_owned(),
            None => {
                if self.entries.len() >= CAPACITY {
                    self.entries.clear();
                }
                self.entries.push((key.to_owned(), etag.to_owned()));
            }
        }
    }

    /// Forgets a key: deleted, or its state after a failed write is unknown.
    pub fn forget(&mut self, key: &str) {
        if let Some(i) = self.find(key) {
            self.entries.swap_remove(i);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_last_write_and_forgets_on_request() {
        let mut c = EtagCache::default();
        assert_eq!(c.get("a"), None);
        c.set("a", "e1");
        c.set("a", "e2");
        assert_eq!(c.get("a"), Some("e2"));
        c.forget("a");
        assert_eq!(c.get("a"), None);
        assert!(c.is_empty());
    }

    #[test]
    fn stays_bounded_by_emptying_when_full() {
        let mut c = EtagCache::default();
        for i in 0..CAPACITY {
            c.set(&format!("k{i}"), "e");
        }
        assert_eq!(c.len(), CAPACITY);
        c.set("k0", "e2"); // an update never evicts
        assert_eq!(c.len(), CAPACITY);
        c.set("new", "e");
        assert_eq!(c.len(), 1);
        assert_eq!(c.get("new"), Some("e"));
        assert_eq!(c.get("k0"), None);
    }
}
