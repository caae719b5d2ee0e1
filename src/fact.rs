//! A fact about a call: the set of distinct values callbacks gave it. Folding adds to the set, so the
//! order of callbacks and their redeliveries do not matter; two or more values are a conflict.

use crate::callback::{CallId, Cause, Direction};
use crate::leg::Conflict;

/// A value kept as text, and ordered as its text: what a text-valued fact holds.
pub(crate) trait Text {
    fn text(&self) -> &str;
    fn from_text(text: &str) -> Self;
}

impl Text for String {
    fn text(&self) -> &str {
        self
    }
    fn from_text(text: &str) -> Self {
        text.to_owned()
    }
}

impl Text for CallId {
    fn text(&self) -> &str {
        self.as_str()
    }
    fn from_text(text: &str) -> Self {
        CallId(text.into())
    }
}

impl Text for Cause {
    fn text(&self) -> &str {
        self.as_str()
    }
    fn from_text(text: &str) -> Self {
        Cause::from(text)
    }
}

impl Text for Direction {
    fn text(&self) -> &str {
        self.as_str()
    }
    fn from_text(text: &str) -> Self {
        Direction::from(text)
    }
}

/// A text fact's value: up to [`Short::INLINE`] bytes (phone numbers, short tags) held in place, longer
/// ones on the heap. A leg holds several texts, most of them phone numbers, and a `String` would put
/// each in an allocation of its own. Ordered as its text.
#[derive(Clone)]
pub(crate) enum Short {
    Inline { len: u8, bytes: [u8; Short::INLINE] },
    Heap(Box<str>),
}

impl Short {
    /// The longest text held in place: what fits beside the length in the 24 bytes a `String` takes.
    pub(crate) const INLINE: usize = 22;

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Made from a `&str` cut at its end, so always UTF-8; the fallback is never taken.
            Short::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Short::Heap(text) => text,
        }
    }
}

impl Text for Short {
    fn text(&self) -> &str {
        self.as_str()
    }
    fn from_text(text: &str) -> Self {
        if text.len() <= Short::INLINE {
            let mut bytes = [0; Short::INLINE];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            // At most INLINE, which is less than 256.
            Short::Inline {
                len: text.len() as u8,
                bytes,
            }
        } else {
            Short::Heap(text.into())
        }
    }
}

impl PartialEq for Short {
    fn eq(&self, other: &Short) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Short {}

impl PartialOrd for Short {
    fn partial_cmp(&self, other: &Short) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Short {
    fn cmp(&self, other: &Short) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::fmt::Display for Short {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Short {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// A sorted set of distinct values that usually holds one (a leg's deliveries): that one in place, two
/// or more in a `Vec`. No bigger than the `Vec` alone, and a set of one costs no allocation.
#[derive(Debug, Clone)]
pub(crate) enum SmallSet<T> {
    One(T),
    /// Never exactly one value: none, or two and more.
    Many(Vec<T>),
}

impl<T: Ord + Clone> SmallSet<T> {
    pub(crate) const fn new() -> SmallSet<T> {
        SmallSet::Many(Vec::new())
    }

    /// Adds `value` if it is new.
    pub(crate) fn insert(&mut self, value: T) {
        match self {
            SmallSet::Many(values) if values.is_empty() => *self = SmallSet::One(value),
            SmallSet::One(known) => match (*known).cmp(&value) {
                std::cmp::Ordering::Equal => {}
                std::cmp::Ordering::Less => *self = SmallSet::Many(vec![known.clone(), value]),
                std::cmp::Ordering::Greater => *self = SmallSet::Many(vec![value, known.clone()]),
            },
            SmallSet::Many(values) => insert_sorted(values, value),
        }
    }

    /// Adds every value of `other`: the union of the two sets.
    pub(crate) fn union(&mut self, other: &SmallSet<T>) {
        match other {
            SmallSet::One(value) => self.insert(value.clone()),
            SmallSet::Many(values) if values.is_empty() => {}
            SmallSet::Many(values) => {
                let mut all = Vec::with_capacity(self.as_slice().len() + values.len());
                all.extend_from_slice(self.as_slice());
                all.extend_from_slice(values);
                all.sort_unstable();
                all.dedup();
                *self = SmallSet::Many(all);
            }
        }
    }
}

impl<T> SmallSet<T> {
    pub(crate) fn as_slice(&self) -> &[T] {
        match self {
            SmallSet::One(value) => std::slice::from_ref(value),
            SmallSet::Many(values) => values,
        }
    }
}

impl<T: PartialEq> PartialEq for SmallSet<T> {
    fn eq(&self, other: &SmallSet<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Eq> Eq for SmallSet<T> {}

/// Adds `value` to a sorted set held in a `Vec` (distinct values, smallest first) unless it is there,
/// with the room [`reserve_one`] makes.
pub(crate) fn insert_sorted<T: Ord>(values: &mut Vec<T>, value: T) {
    if let Err(at) = values.binary_search(&value) {
        reserve_one(values);
        values.insert(at, value);
    }
}

/// Makes room for one more value in a set that is usually small (a leg's deliveries, a call's reports or
/// legs): one at a time up to four, not straight to four as `Vec` does, which would double what most
/// sets hold. Past four, `Vec`'s doubling.
pub(crate) fn reserve_one<T>(values: &mut Vec<T>) {
    if values.len() == values.capacity() && values.len() < 4 {
        values.reserve_exact(1);
    }
}

/// The distinct values one fact has taken, smallest first. Usually none or one; two or more is a conflict,
/// rare enough to live behind a pointer: a fact is then no bigger than its value and a tag (a leg holds
/// thirteen).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Fact<T> {
    #[default]
    Unknown,
    One(T),
    #[expect(
        clippy::box_collection,
        reason = "a thin pointer keeps the fact as small as its value and a tag; Vec or Box<[T]> would not"
    )]
    Many(Box<Vec<T>>),
}

impl<T: Ord + Clone> Fact<T> {
    pub(crate) fn observe(&mut self, value: Option<&T>) {
        self.observe_by(value, Ord::cmp, Clone::clone);
    }

    /// Adds a value given in a borrowed form, comparing it with `cmp` and making the owned value with
    /// `make` only when it is new to the set: the fold from a line allocates nothing for a known value.
    pub(crate) fn observe_by<Q: ?Sized>(
        &mut self,
        value: Option<&Q>,
        cmp: impl Fn(&T, &Q) -> std::cmp::Ordering,
        make: impl FnOnce(&Q) -> T,
    ) {
        let Some(value) = value else { return };
        match self {
            Fact::Unknown => *self = Fact::One(make(value)),
            Fact::One(known) => match cmp(known, value) {
                std::cmp::Ordering::Equal => {}
                std::cmp::Ordering::Less => {
                    *self = Fact::Many(Box::new(vec![known.clone(), make(value)]));
                }
                std::cmp::Ordering::Greater => {
                    *self = Fact::Many(Box::new(vec![make(value), known.clone()]));
                }
            },
            Fact::Many(values) => {
                if let Err(at) = values.binary_search_by(|known| cmp(known, value)) {
                    values.insert(at, make(value));
                }
            }
        }
    }

    /// Adds a value given as text: [`observe_by`](Fact::observe_by) for the text-valued facts.
    pub(crate) fn observe_text(&mut self, value: Option<&str>)
    where
        T: Text,
    {
        self.observe_by(value, |known, value| known.text().cmp(value), T::from_text);
    }

    /// Adds every value `other` holds: the union of the two sets.
    pub(crate) fn merge(&mut self, other: &Fact<T>) {
        for value in other.values() {
            self.observe(Some(value));
        }
    }

    /// The value the leg keeps: the only one, or the smallest.
    pub(crate) fn get(&self) -> Option<&T> {
        match self {
            Fact::Unknown => None,
            Fact::One(value) => Some(value),
            Fact::Many(values) => values.first(),
        }
    }

    pub(crate) fn values(&self) -> &[T] {
        match self {
            Fact::Unknown => &[],
            Fact::One(value) => std::slice::from_ref(value),
            Fact::Many(values) => values,
        }
    }

    pub(crate) fn conflict(
        &self,
        field: &'static str,
        show: impl Fn(&T) -> String,
    ) -> Option<Conflict> {
        match self {
            Fact::Many(values) => Some(Conflict::new(field, values.iter().map(show).collect())),
            Fact::Unknown | Fact::One(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_text_is_its_text_whatever_its_length() {
        assert_eq!(size_of::<Fact<Short>>(), size_of::<Fact<String>>());
        for text in [
            "",
            "+15551112222",
            "é",
            "exactly-22-bytes-long!",
            "twenty-three bytes long",
            "ü".repeat(40).as_str(),
        ] {
            let short = Short::from_text(text);
            assert_eq!(short.as_str(), text);
            assert_eq!(
                matches!(short, Short::Inline { .. }),
                text.len() <= Short::INLINE
            );
            assert_eq!(format!("{short:?}"), format!("{text:?}"));
        }
        let (a, b) = (Short::from_text("b"), Short::from_text(&"a".repeat(30)));
        assert!(b < a, "ordered as text, not by where it is held");
        assert_eq!(Short::from_text("x"), Short::from_text("x"));
    }

    #[test]
    fn a_small_set_is_a_sorted_set_held_in_place_when_it_has_one_value() {
        assert_eq!(
            size_of::<SmallSet<(u64, u64)>>(),
            size_of::<Vec<(u64, u64)>>()
        );
        let mut set = SmallSet::new();
        assert!(set.as_slice().is_empty());
        set.insert(5);
        set.insert(5);
        assert!(matches!(set, SmallSet::One(5)));
        for value in [3, 9, 5, 1, 9] {
            set.insert(value);
        }
        assert_eq!(set.as_slice(), [1, 3, 5, 9]);
        let mut other = SmallSet::new();
        other.insert(4);
        other.union(&set);
        other.union(&SmallSet::new());
        assert_eq!(other.as_slice(), [1, 3, 4, 5, 9]);
        let mut one = SmallSet::new();
        one.union(&other);
        one.union(&other);
        assert_eq!(one, other, "idempotent");
        let mut empty = SmallSet::new();
        empty.union(&SmallSet::One(7));
        assert_eq!(empty, SmallSet::One(7));
        assert_ne!(empty, SmallSet::new());
    }
}
