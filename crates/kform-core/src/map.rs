//! A map kept as a list sorted by key: the field model's maps (an app's fields, a submission's
//! values) hold tens of entries, and in the browser a sorted list costs a fraction of the code
//! of a B-tree (each `BTreeMap<K, V>` builds its own insert, remove, rebalance and drop).

use alloc::vec::Vec;
use core::borrow::Borrow;
use core::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// Keys in ascending order, each once, as a `BTreeMap` has them.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SortedMap<K, V> {
    entries: Vec<(K, V)>,
}

/// The entries of a [`SortedMap`] by reference, in key order.
pub type Iter<'a, K, V> =
    core::iter::Map<core::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        Self { entries: Vec::new() }
    }
}

impl<K, V> SortedMap<K, V> {
    /// An empty map.
    pub const fn new() -> Self {
        Self { entries: Vec::new() }
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.entries.iter().map(|(key, value)| (key, value))
    }

    /// The entries in key order, values changeable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.entries.iter_mut().map(|(key, value)| (&*key, value))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.entries.iter().map(|(key, _)| key)
    }

    /// The values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, value)| value)
    }

    /// The values in key order, changeable.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.entries.iter_mut().map(|(_, value)| value)
    }

    /// Keeps the entries `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(key, value)| keep(key, value));
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// Where `key` is, or where it would go.
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(found, _)| found.borrow().cmp(key))
    }

    /// The value of `key`, if any.
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|at| &self.entries[at].1)
    }

    /// The stored key and its value, if any.
    pub fn get_key_value<Q: Ord + ?Sized>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|at| (&self.entries[at].0, &self.entries[at].1))
    }

    /// The value of `key`, changeable, if any.
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|at| &mut self.entries[at].1)
    }

    /// Where `key` is in key order, if it has a value: an index for lists kept beside the map.
    pub fn index_of<Q: Ord + ?Sized>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok()
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Sets `key`'s value; returns the one it replaces. Keys inserted in ascending order (as a
    /// JSON tree's object gives them) are appended, each in O(log n).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(at) => Some(core::mem::replace(&mut self.entries[at].1, value)),
            Err(at) => {
                self.entries.insert(at, (key, value));
                None
            }
        }
    }

    /// Takes `key`'s value out.
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|at| self.entries.remove(at).1)
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// The map of `entries` in any order, a later value for a key winning, in O(n log n): a
    /// map read from a submission can have many keys in any order, and inserting each one into
    /// a sorted list would take quadratic time.
    fn from_unsorted(mut entries: Vec<(K, V)>) -> Self {
        // Stable: entries with equal keys keep their order, so the last one is the later one.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut kept: Vec<(K, V)> = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            match kept.last_mut() {
                Some(last) if last.0 == key => last.1 = value,
                _ => kept.push((key, value)),
            }
        }
        Self { entries: kept }
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for SortedMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        Self::from_unsorted(entries.into_iter().collect())
    }
}

impl<K: Ord, V> Extend<(K, V)> for SortedMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, entries: I) {
        let mut all = core::mem::take(&mut self.entries);
        all.extend(entries);
        *self = Self::from_unsorted(all);
    }
}

impl<K, V> IntoIterator for SortedMap<K, V> {
    type Item = (K, V);
    type IntoIter = alloc::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a SortedMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for SortedMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Serialize, V: Serialize> Serialize for SortedMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (key, value) in self {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Deserialize<'de> for SortedMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(core::marker::PhantomData<(K, V)>);

        impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Visitor<'de> for Entries<K, V> {
            type Value = SortedMap<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(access.size_hint().unwrap_or(0).min(1024));
                while let Some(entry) = access.next_entry()? {
                    entries.push(entry);
                }
                Ok(SortedMap::from_unsorted(entries))
            }
        }

        deserializer.deserialize_map(Entries(core::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::SortedMap;

    #[test]
    fn keys_stay_sorted_and_unique_as_in_a_btree_map() {
        let mut map: SortedMap<String, u32> = [("b", 2), ("a", 1), ("c", 3), ("a", 4)]
            .map(|(k, v)| (k.to_owned(), v))
            .into_iter()
            .collect();
        assert_eq!(map.keys().map(String::as_str).collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(map.get("a"), Some(&4), "a later value for a key wins");
        assert_eq!(map.insert("b".to_owned(), 5), Some(2));
        assert_eq!(map.remove("c"), Some(3));
        assert_eq!(map.remove("c"), None);
        assert!(!map.contains_key("c"));
        *map.get_mut("a").expect("a is there") += 6;
        map.insert("0".to_owned(), 10);
        assert_eq!(
            map.iter().map(|(k, v)| (k.as_str(), *v)).collect::<Vec<_>>(),
            [("0", 10), ("a", 10), ("b", 5)]
        );
        map.retain(|_, value| *value > 5);
        assert_eq!(map.len(), 2);
    }

    #[test]
    fn it_reads_and_writes_json_as_a_btree_map_does() {
        let text = r#"{"z":1,"a":{"b":2},"m":3}"#;
        let map: SortedMap<String, serde_json::Value> = serde_json::from_str(text).expect("a map");
        let tree: std::collections::BTreeMap<String, serde_json::Value> =
            serde_json::from_str(text).expect("a map");
        assert_eq!(
            serde_json::to_string(&map).expect("json"),
            serde_json::to_string(&tree).expect("json")
        );
        assert_eq!(format!("{map:?}"), format!("{tree:?}"));
        assert!(serde_json::from_str::<SortedMap<String, u8>>("[1]").is_err());
        // A repeated key: the later value wins, as in a BTreeMap.
        let repeated: SortedMap<String, u8> =
            serde_json::from_str(r#"{"b":1,"a":2,"b":3}"#).expect("a map");
        assert_eq!(
            repeated.iter().map(|(k, v)| (k.as_str(), *v)).collect::<Vec<_>>(),
            [("a", 2), ("b", 3)]
        );
    }

    #[test]
    fn many_keys_in_any_order_end_sorted_and_unique() {
        // Keys in descending order, each twice: built by sorting, not by inserting one by one.
        let keys = (0..20_000).rev().chain(0..20_000).map(|n: u32| (format!("{n:05}"), n));
        let mut map: SortedMap<String, u32> = keys.collect();
        assert_eq!(map.len(), 20_000);
        assert!(map.keys().zip(map.keys().skip(1)).all(|(a, b)| a < b));
        map.extend([("00001".to_owned(), 7), ("x".to_owned(), 8)]);
        assert_eq!((map.get("00001"), map.get("x"), map.len()), (Some(&7), Some(&8), 20_001));
    }
}
