//! A bounded map that forgets the least recently used entries first, for the serving caches.
//! Callers hold it under their own lock.
use std::collections::HashMap;
use std::hash::Hash;

/// At most `capacity` entries; past it the least recently used tenth goes at once, so
/// eviction stays amortised O(1).
pub struct Lru<K, V> {
    entries: HashMap<K, (u64, V)>,
    clock: u64,
    capacity: usize,
}

impl<K: Hash + Eq, V> Lru<K, V> {
    /// An empty map of at most `capacity` entries (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            clock: 0,
            capacity: capacity.max(1),
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// The entry, marked as just used.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let clock = self.tick();
        self.entries.get_mut(key).map(|(t, v)| {
            *t = clock;
            v
        })
    }

    /// Inserts or replaces an entry, then evicts if over capacity.
    pub fn insert(&mut self, key: K, value: V) {
        let clock = self.tick();
        self.entries.insert(key, (clock, value));
        if self.entries.len() > self.capacity {
            let drop_n = (self.capacity / 10).max(1);
            let mut ticks: Vec<u64> = self.entries.values().map(|e| e.0).collect();
            let (_, cut, _) = ticks.select_nth_unstable(drop_n - 1);
            let cut = *cut;
            self.entries.retain(|_, e| e.0 > cut);
        }
    }

    /// Removes an entry.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.entries.remove(key).map(|e| e.1)
    }

    /// Keeps only the entries `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.entries.retain(|k, (_, v)| keep(k, v));
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_bounded_and_keeps_what_is_used() {
        let mut l = Lru::new(100);
        for k in 0..250 {
            l.insert(k, k);
            l.get_mut(&0);
        }
        assert!(l.len() <= 100);
        assert!(l.get_mut(&0).is_some(), "an entry used all along stays");
        assert!(l.get_mut(&249).is_some());
        assert!(l.get_mut(&1).is_none(), "an old unused entry went");
    }
}
