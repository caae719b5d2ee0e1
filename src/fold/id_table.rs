//! Tables found by call id: the one kind of hash table callfold keeps, for the index of legs and for
//! the maps keyed by ids (a parent's legs, a history's A-legs).
//!
//! An id is hashed and compared as bytes: through `Borrow<str>`, a std map would check an id held in
//! place for UTF-8 again each time it hashed or compared it. What the hash is keyed with is the owner's
//! choice (`S`): the live [`Tracker`](crate::Tracker) keeps std's keyed `RandomState`, as its ids come
//! from the network; the replay of a log, the user's own data, uses the fast unkeyed hasher.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

use crate::decode::CallId;

/// An entry of an [`IdTable`]: the id it stands for, found `within` what the table indexes (nothing for
/// an entry that holds its id; the list of legs for a place in it).
pub(crate) trait Keyed<C: ?Sized> {
    fn id<'a>(&'a self, within: &'a C) -> &'a [u8];
}

/// A hash table of entries, each standing for a call id (see [`Keyed`]).
#[derive(Debug, Clone)]
pub(crate) struct IdTable<E, S> {
    table: HashTable<E>,
    hasher: S,
}

impl<E, S: Default> Default for IdTable<E, S> {
    fn default() -> Self {
        IdTable {
            table: HashTable::new(),
            hasher: S::default(),
        }
    }
}

impl<E, S: BuildHasher> IdTable<E, S> {
    /// The hash of an id, for the lookups that take one.
    pub(crate) fn hash(&self, id: &[u8]) -> u64 {
        self.hasher.hash_one(id)
    }

    /// The entry of the id whose hash is `hash`.
    pub(crate) fn find<C: ?Sized>(&self, hash: u64, id: &[u8], within: &C) -> Option<&E>
    where
        E: Keyed<C>,
    {
        self.table.find(hash, |entry| entry.id(within) == id)
    }

    /// The entry with this hash that `is` picks, to change it.
    pub(crate) fn find_mut_by(&mut self, hash: u64, is: impl Fn(&E) -> bool) -> Option<&mut E> {
        self.table.find_mut(hash, is)
    }

    /// The id's entry, held or vacant.
    pub(crate) fn entry<C: ?Sized>(&mut self, id: &[u8], within: &C) -> Entry<'_, E>
    where
        E: Keyed<C>,
    {
        let hasher = &self.hasher;
        self.table.entry(
            hasher.hash_one(id),
            |entry| entry.id(within) == id,
            |entry| hasher.hash_one(entry.id(within)),
        )
    }

    /// Adds an entry whose id the table does not hold; `hash` is its id's.
    pub(crate) fn insert_new<C: ?Sized>(&mut self, hash: u64, entry: E, within: &C)
    where
        E: Keyed<C>,
    {
        let hasher = &self.hasher;
        self.table
            .insert_unique(hash, entry, |entry| hasher.hash_one(entry.id(within)));
    }

    /// Removes and gives the id's entry.
    pub(crate) fn remove<C: ?Sized>(&mut self, hash: u64, id: &[u8], within: &C) -> Option<E>
    where
        E: Keyed<C>,
    {
        let held = self
            .table
            .find_entry(hash, |entry| entry.id(within) == id)
            .ok()?;
        Some(held.remove().0)
    }

    /// Room for `more` entries besides those held.
    pub(crate) fn reserve<C: ?Sized>(&mut self, more: usize, within: &C)
    where
        E: Keyed<C>,
    {
        let hasher = &self.hasher;
        self.table
            .reserve(more, |entry| hasher.hash_one(entry.id(within)));
    }

    /// Drops every entry and makes room for `room`, so that entries can be filed anew in the order the
    /// caller chooses.
    pub(crate) fn clear_with_room(&mut self, room: usize) {
        self.table = HashTable::new();
        self.table.reserve(room, |_| 0);
    }

    /// How many entries fit before the table grows.
    pub(crate) fn capacity(&self) -> usize {
        self.table.capacity()
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Every entry, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &E> {
        self.table.iter()
    }
}

impl<E, S> IntoIterator for IdTable<E, S> {
    type Item = E;
    type IntoIter = hashbrown::hash_table::IntoIter<E>;

    fn into_iter(self) -> Self::IntoIter {
        self.table.into_iter()
    }
}

/// What a map keyed by ids is looked up by: an id, or its text.
pub(crate) trait IdText {
    fn id_bytes(&self) -> &[u8];
    /// The id, held; for text, which the caller knows is not empty (a decoded callback's).
    fn to_id(&self) -> CallId;
}

impl IdText for str {
    fn id_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
    fn to_id(&self) -> CallId {
        CallId::new(self)
    }
}

impl IdText for CallId {
    fn id_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
    fn to_id(&self) -> CallId {
        self.clone()
    }
}

impl<V> Keyed<()> for (CallId, V) {
    fn id<'a>(&'a self, (): &'a ()) -> &'a [u8] {
        self.0.as_bytes()
    }
}

/// A map keyed by call ids, looked up by id or by text: an [`IdTable`] of entries that hold their id.
#[derive(Debug, Clone)]
pub(crate) struct IdMap<V, S>(IdTable<(CallId, V), S>);

impl<V, S: Default> Default for IdMap<V, S> {
    fn default() -> Self {
        IdMap(IdTable::default())
    }
}

impl<V, S: BuildHasher> IdMap<V, S> {
    fn find<K: IdText + ?Sized>(&self, id: &K) -> Option<&(CallId, V)> {
        let id = id.id_bytes();
        self.0.find(self.0.hash(id), id, &())
    }

    pub(crate) fn get<K: IdText + ?Sized>(&self, id: &K) -> Option<&V> {
        self.find(id).map(|(_, value)| value)
    }

    /// The map's own copy of the id, and its value.
    pub(crate) fn get_key_value<K: IdText + ?Sized>(&self, id: &K) -> Option<(&CallId, &V)> {
        self.find(id).map(|(held, value)| (held, value))
    }

    pub(crate) fn contains_key<K: IdText + ?Sized>(&self, id: &K) -> bool {
        self.find(id).is_some()
    }

    pub(crate) fn get_mut<K: IdText + ?Sized>(&mut self, id: &K) -> Option<&mut V> {
        let id = id.id_bytes();
        let hash = self.0.hash(id);
        self.0
            .find_mut_by(hash, |(held, _)| held.as_bytes() == id)
            .map(|(_, value)| value)
    }

    /// The value of the id, made by `make` if there is none, in one lookup.
    pub(crate) fn get_or_insert_with<K: IdText + ?Sized>(
        &mut self,
        id: &K,
        make: impl FnOnce() -> V,
    ) -> &mut V {
        match self.0.entry(id.id_bytes(), &()) {
            Entry::Occupied(held) => &mut held.into_mut().1,
            Entry::Vacant(slot) => &mut slot.insert((id.to_id(), make())).into_mut().1,
        }
    }

    /// Adds `value` under `id`, or merges it into the value held.
    pub(crate) fn insert_or_merge(&mut self, id: CallId, value: V, merge: impl FnOnce(&mut V, V)) {
        match self.0.entry(id.as_bytes(), &()) {
            Entry::Occupied(held) => merge(&mut held.into_mut().1, value),
            Entry::Vacant(slot) => {
                slot.insert((id, value));
            }
        }
    }

    pub(crate) fn remove<K: IdText + ?Sized>(&mut self, id: &K) -> Option<V> {
        let id = id.id_bytes();
        self.0
            .remove(self.0.hash(id), id, &())
            .map(|(_, value)| value)
    }

    /// Room for `more` entries besides those held.
    pub(crate) fn reserve(&mut self, more: usize) {
        self.0.reserve(more, &());
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every id and its value, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&CallId, &V)> {
        self.0.iter().map(|(id, value)| (id, value))
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &CallId> {
        self.0.iter().map(|(id, _)| id)
    }
}

impl<V, S> IntoIterator for IdMap<V, S> {
    type Item = (CallId, V);
    type IntoIter = hashbrown::hash_table::IntoIter<(CallId, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use std::hash::RandomState;

    use super::*;
    use crate::decode::id_samples as samples;

    #[test]
    fn a_map_of_ids_finds_each_by_id_and_by_text() {
        let mut map = IdMap::<usize, RandomState>::default();
        let ids = samples();
        for (n, id) in ids.iter().enumerate() {
            *map.get_or_insert_with(id.as_str(), || n) += 1000;
            assert_eq!(*map.get_or_insert_with(&CallId::new(id), || 0), n + 1000);
        }
        assert_eq!(map.len(), ids.len());
        map.reserve(100);
        for (n, id) in ids.iter().enumerate() {
            let held = CallId::new(id);
            assert_eq!(map.get(id.as_str()), Some(&(n + 1000)));
            assert_eq!(map.get_key_value(&held), Some((&held, &(n + 1000))));
            *map.get_mut(&held).unwrap() -= 1000;
            map.insert_or_merge(held, 1, |mine, more| *mine += more);
        }
        map.insert_or_merge(CallId::new("c-new"), 7, |_, _| unreachable!());
        assert_eq!(map.get("c-new"), Some(&7));
        assert!(map.get("c-none").is_none() && !map.contains_key("c-none"));
        assert_eq!(map.remove("c-new"), Some(7));
        assert_eq!(map.remove("c-new"), None);
        let mut held: Vec<(String, usize)> =
            map.into_iter().map(|(id, n)| (id.to_string(), n)).collect();
        held.sort();
        let mut expected: Vec<(String, usize)> =
            (1..).zip(&ids).map(|(n, id)| (id.clone(), n)).collect();
        expected.sort();
        assert_eq!(held, expected);
    }
}
