//! Call ids, held in place.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use serde::{Serialize, Serializer};
use thiserror::Error;

use crate::inline::Inline;

/// A Bandwidth call id, such as `c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d`.
///
/// Bandwidth never documented the shape, so the id is opaque: any non-empty string. Ordered, compared
/// and hashed as its text.
///
/// Bandwidth's ids are 47 bytes, and an id of up to 47 bytes is held in place, in the 48 bytes of the
/// `CallId` itself: making or cloning one allocates nothing, and reading one follows no pointer. (Behind
/// a pointer, each id a leg holds took 80 bytes of heap besides.) A longer id is held behind a pointer
/// that its clones share.
///
/// ```
/// use callfold::CallId;
///
/// let id: CallId = "c-95ac8d6e-1a31c52e".parse()?;
/// assert_eq!(id.as_str(), "c-95ac8d6e-1a31c52e");
/// assert!("".parse::<CallId>().is_err());
/// # Ok::<(), callfold::EmptyCallId>(())
/// ```
#[derive(Clone)]
pub struct CallId(Repr);

#[derive(Clone)]
enum Repr {
    /// No tag of its own: `Shared` is told apart by the length's unused values.
    Inline(Inline<47>),
    Shared(Arc<str>),
}

/// The error for an empty call id.
///
/// ```
/// let err = "".parse::<callfold::CallId>().unwrap_err();
/// assert_eq!(err.to_string(), "a call id cannot be empty");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a call id cannot be empty")]
pub struct EmptyCallId;

impl CallId {
    /// The id of this text, which the caller knows is not empty (a decoded callback's).
    pub(crate) fn new(text: &str) -> CallId {
        CallId(match Inline::new(text) {
            Some(inline) => Repr::Inline(inline),
            None => Repr::Shared(text.into()),
        })
    }

    /// The id as text.
    ///
    /// ```
    /// let id: callfold::CallId = "c-1".parse()?;
    /// assert_eq!(id.as_str(), "c-1");
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline(inline) => inline.as_str(),
            Repr::Shared(text) => text,
        }
    }

    /// Orders the id against a text as [`Ord`] orders two ids, without checking its UTF-8 again: for
    /// a fold that meets the id as text.
    pub(crate) fn cmp_text(&self, text: &str) -> Ordering {
        self.as_bytes().cmp(text.as_bytes())
    }

    /// The id's text as bytes, without checking again that they are UTF-8: for comparing, ordering and
    /// hashing in callfold's own tables.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline(inline) => inline.as_bytes(),
            Repr::Shared(text) => text.as_bytes(),
        }
    }
}

impl FromStr for CallId {
    type Err = EmptyCallId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            Err(EmptyCallId)
        } else {
            Ok(CallId::new(s))
        }
    }
}

impl PartialEq for CallId {
    fn eq(&self, other: &CallId) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for CallId {}

impl PartialEq<str> for CallId {
    /// ```
    /// let id: callfold::CallId = "c-1".parse()?;
    /// assert!(id == *"c-1" && id == "c-1" && id != "c-2");
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for CallId {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl PartialOrd for CallId {
    fn partial_cmp(&self, other: &CallId) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CallId {
    /// The order of the texts: UTF-8 bytes compare as the texts do.
    fn cmp(&self, other: &CallId) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for CallId {
    /// As its text, as [`Borrow<str>`] requires: a map keyed by ids is looked up by `&str`.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Borrow<str> for CallId {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CallId").field(&self.as_str()).finish()
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CallId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
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

/// A map keyed by call ids, looked up by id or by text, for callfold's own tables. An id is hashed and
/// compared as bytes: through `Borrow<str>`, a std map would check an id held in place for UTF-8 again
/// each time it hashed or compared it.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdMap<V, S> {
    table: HashTable<(CallId, V)>,
    hasher: S,
}

impl<V, S: BuildHasher> IdMap<V, S> {
    fn find<K: IdText + ?Sized>(&self, id: &K) -> Option<&(CallId, V)> {
        let id = id.id_bytes();
        self.table.find(self.hasher.hash_one(id), holds(id))
    }

    /// The id's entry: held, or the slot for it.
    fn entry(&mut self, id: &[u8]) -> Entry<'_, (CallId, V)> {
        let hasher = &self.hasher;
        self.table
            .entry(hasher.hash_one(id), holds(id), rehash(hasher))
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
        self.table
            .find_mut(self.hasher.hash_one(id), holds(id))
            .map(|(_, value)| value)
    }

    /// The value of the id, made by `make` if there is none, in one lookup.
    pub(crate) fn get_or_insert_with<K: IdText + ?Sized>(
        &mut self,
        id: &K,
        make: impl FnOnce() -> V,
    ) -> &mut V {
        match self.entry(id.id_bytes()) {
            Entry::Occupied(held) => &mut held.into_mut().1,
            Entry::Vacant(slot) => &mut slot.insert((id.to_id(), make())).into_mut().1,
        }
    }

    /// Adds `value` under `id`, or merges it into the value held.
    pub(crate) fn insert_or_merge(&mut self, id: CallId, value: V, merge: impl FnOnce(&mut V, V)) {
        match self.entry(id.as_bytes()) {
            Entry::Occupied(held) => merge(&mut held.into_mut().1, value),
            Entry::Vacant(slot) => {
                slot.insert((id, value));
            }
        }
    }

    pub(crate) fn remove<K: IdText + ?Sized>(&mut self, id: &K) -> Option<V> {
        let id = id.id_bytes();
        let held = self
            .table
            .find_entry(self.hasher.hash_one(id), holds(id))
            .ok()?;
        Some(held.remove().0.1)
    }

    /// Room for `more` entries besides those held.
    pub(crate) fn reserve(&mut self, more: usize) {
        self.table.reserve(more, rehash(&self.hasher));
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Every id and its value, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&CallId, &V)> {
        self.table.iter().map(|(id, value)| (id, value))
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &CallId> {
        self.table.iter().map(|(id, _)| id)
    }
}

/// Whether an entry is that of the id with these bytes.
fn holds<V>(id: &[u8]) -> impl Fn(&(CallId, V)) -> bool + '_ {
    move |(held, _)| held.as_bytes() == id
}

/// The hash of an entry's id, for when the table grows.
fn rehash<V, S: BuildHasher>(hasher: &S) -> impl Fn(&(CallId, V)) -> u64 + '_ {
    move |(held, _)| hasher.hash_one(held.as_bytes())
}

impl<V, S> IntoIterator for IdMap<V, S> {
    type Item = (CallId, V);
    type IntoIter = hashbrown::hash_table::IntoIter<(CallId, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.table.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use std::hash::RandomState;

    use super::*;

    /// Ids around the length held in place, and ones that are not ASCII.
    fn samples() -> Vec<String> {
        let mut ids: Vec<String> = [1, 2, 46, 47, 48, 49, 200]
            .into_iter()
            .map(|n| "c".repeat(n))
            .collect();
        ids.extend(["c-1", "c-2", "c-10", "é", "é-ü", "\u{1F600}"].map(String::from));
        ids.push(format!("{}é", "c".repeat(45)));
        ids.push(format!("{}é", "c".repeat(46)));
        ids
    }

    #[test]
    fn an_id_is_its_text_however_it_is_held() {
        assert_eq!(size_of::<CallId>(), 48);
        assert_eq!(size_of::<Option<CallId>>(), 48);
        let state = std::hash::RandomState::new();
        let ids = samples();
        for a in &ids {
            let id = CallId::new(a);
            assert_eq!(id.as_str(), a);
            assert_eq!(id.to_string(), *a);
            assert_eq!(format!("{id:?}"), format!("CallId({a:?})"));
            assert_eq!(state.hash_one(&id), state.hash_one(a.as_str()));
            assert_eq!(id.clone(), id);
            for b in &ids {
                let other = CallId::new(b);
                assert_eq!(id.cmp(&other), a.cmp(b), "{a:?} against {b:?}");
                assert_eq!(id == other, a == b);
            }
        }
    }

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

    #[test]
    fn bandwidth_ids_are_held_in_place() {
        let id = CallId::new("c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85");
        assert!(matches!(id.0, Repr::Inline(_)));
        assert!(matches!(CallId::new(&"c".repeat(48)).0, Repr::Shared(_)));
    }
}
