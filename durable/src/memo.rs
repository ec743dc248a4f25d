//! A small bounded memo: string key → value, kept in an object's memory as a hint in front of
//! storage that stays authoritative. Holds at most `CAP` entries and is emptied when a new key
//! would exceed that, which costs one storage read per key at most. A plain vector: at these sizes a
//! scan costs microseconds, and a map would cost kilobytes of wasm.

#[derive(Debug)]
pub struct Memo<V, const CAP: usize> {
    entries: Vec<(String, V)>,
}

impl<V, const CAP: usize> Default for Memo<V, CAP> {
    fn default() -> Self {
        Memo { entries: Vec::new() }
    }
}

impl<V, const CAP: usize> Memo<V, CAP> {
    /// Entries kept at most.
    pub const CAPACITY: usize = CAP;

    fn find(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k == key)
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.find(key).and_then(|i| self.entries.get(i)).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.find(key).and_then(|i| self.entries.get_mut(i)).map(|(_, v)| v)
    }

    /// Remembers `value` for `key`, replacing what was there. An update never evicts.
    pub fn set(&mut self, key: &str, value: V) {
        match self.find(key).and_then(|i| self.entries.get_mut(i)) {
            Some(entry) => entry.1 = value,
            None => {
                if self.entries.len() >= CAP {
                    self.entries.clear();
                }
                self.entries.push((key.to_owned(), value));
            }
        }
    }

    /// Forgets a key (deleted, or its state is no longer known).
    pub fn forget(&mut self, key: &str) {
        if let Some(i) = self.find(key) {
            self.entries.swap_remove(i);
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
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

    type Small = Memo<u32, 4>;

    #[test]
    fn remembers_the_last_value_and_forgets_on_request() {
        let mut m = Small::default();
        assert_eq!(m.get("a"), None);
        m.set("a", 1);
        m.set("a", 2);
        assert_eq!(m.get("a"), Some(&2));
        if let Some(v) = m.get_mut("a") {
            *v = 3;
        }
        assert_eq!(m.get("a"), Some(&3));
        assert_eq!(m.len(), 1);
        m.forget("a");
        m.forget("never there");
        assert_eq!(m.get("a"), None);
        assert!(m.is_empty());
    }

    #[test]
    fn stays_bounded_by_emptying_when_full() {
        let mut m = Small::default();
        for i in 0..4 {
            m.set(&format!("k{i}"), i);
        }
        assert_eq!(m.len(), Small::CAPACITY);
        m.set("k0", 9); // an update never evicts
        assert_eq!(m.len(), Small::CAPACITY);
        assert_eq!(m.get("k0"), Some(&9));
        m.set("new", 5);
        assert_eq!(m.len(), 1);
        assert_eq!(m.get("new"), Some(&5));
        assert_eq!(m.get("k0"), None);
    }

    #[test]
    fn clear_empties_it() {
        let mut m = Small::default();
        m.set("a", 1);
        m.set("b", 2);
        m.clear();
        assert!(m.is_empty());
        assert_eq!(m.get("b"), None);
    }
}
