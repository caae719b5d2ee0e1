//! A fact about a call: the set of distinct values callbacks gave it. Folding adds to the set, so the
//! order of callbacks and their redeliveries do not matter; two or more values are a conflict.

use super::conflict::Conflict;
use crate::decode::Text;

/// A sorted set of distinct values that usually holds one or two (a leg's deliveries: most legs get a
/// `transferAnswer` and a `transferDisconnect`): up to two in place, more in a `Vec`. A set of two costs
/// no allocation (a `Vec` of two would take a 48-byte heap chunk), for 16 bytes more than the `Vec`.
#[derive(Debug, Clone)]
pub(crate) enum SmallSet<T> {
    One(T),
    Two([T; 2]),
    /// Never exactly one or two values: none, or three and more.
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
                std::cmp::Ordering::Less => *self = SmallSet::Two([known.clone(), value]),
                std::cmp::Ordering::Greater => *self = SmallSet::Two([value, known.clone()]),
            },
            SmallSet::Two(two) => {
                if !two.contains(&value) {
                    let mut values = Vec::with_capacity(3);
                    values.extend_from_slice(two);
                    insert_sorted(&mut values, value);
                    *self = SmallSet::Many(values);
                }
            }
            SmallSet::Many(values) => insert_sorted(values, value),
        }
    }

    /// Adds every value of `other`: the union of the two sets.
    pub(crate) fn union(&mut self, other: &SmallSet<T>) {
        match other {
            SmallSet::Many(values) if values.len() > 2 => {
                // At once, not value by value: a hostile log may give a leg many deliveries.
                let mut all = Vec::with_capacity(self.as_slice().len() + values.len());
                all.extend_from_slice(self.as_slice());
                all.extend_from_slice(values);
                all.sort_unstable();
                all.dedup();
                *self = SmallSet::Many(all);
            }
            _ => {
                for value in other.as_slice() {
                    self.insert(value.clone());
                }
            }
        }
    }
}

impl<T> SmallSet<T> {
    #[inline]
    pub(crate) fn as_slice(&self) -> &[T] {
        match self {
            SmallSet::One(value) => std::slice::from_ref(value),
            SmallSet::Two(two) => two,
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
    #[inline]
    pub(crate) fn get(&self) -> Option<&T> {
        match self {
            Fact::Unknown => None,
            Fact::One(value) => Some(value),
            Fact::Many(values) => values.first(),
        }
    }

    #[inline]
    pub(crate) fn values(&self) -> &[T] {
        match self {
            Fact::Unknown => &[],
            Fact::One(value) => std::slice::from_ref(value),
            Fact::Many(values) => values,
        }
    }

    /// The conflict, when the fact holds two values or more.
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
    fn a_small_set_is_a_sorted_set_held_in_place_when_it_has_one_or_two_values() {
        assert_eq!(size_of::<SmallSet<(u64, u64)>>(), 40);
        let mut set = SmallSet::new();
        assert!(set.as_slice().is_empty());
        set.insert(5);
        set.insert(5);
        assert!(matches!(set, SmallSet::One(5)));
        set.insert(3);
        set.insert(5);
        assert!(matches!(set, SmallSet::Two([3, 5])));
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
        empty.union(&SmallSet::Two([6, 8]));
        assert_eq!(empty.as_slice(), [6, 7, 8]);
        let mut two = SmallSet::Two([1, 2]);
        two.union(&SmallSet::Two([1, 2]));
        assert_eq!(two, SmallSet::Two([1, 2]), "idempotent in place too");
    }
}
