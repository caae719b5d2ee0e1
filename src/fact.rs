//! A fact about a call: the set of distinct values callbacks gave it. Folding adds to the set, so the
//! order of callbacks and their redeliveries do not matter; two or more values are a conflict.

use chrono::{DateTime, Utc};

use crate::callback::{CallId, Cause, Direction};
use crate::inline::Inline;
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
        CallId::new(text)
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

/// A text fact's value: up to 15 bytes (phone numbers, short tags) held in place, longer ones on the
/// heap, in one allocation up to 47 bytes. A leg holds several texts, most of them phone numbers, and a `String` would put each in an
/// allocation of its own. 16 bytes, as the enum's tag fits in the length of an [`Inline`]. Ordered as
/// its text.
#[derive(Clone)]
pub(crate) enum Short {
    Inline(Inline<15>),
    /// Up to 47 bytes (an error id, a UUID, is 36) in one allocation behind a thin pointer.
    Boxed(Box<Inline<47>>),
    /// Behind a thin pointer: a `Box<str>` would make a `Short` 24 bytes.
    Heap(Box<Box<str>>),
}

impl Short {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Short::Inline(inline) => inline.as_str(),
            Short::Boxed(boxed) => boxed.as_str(),
            Short::Heap(text) => text,
        }
    }

    /// The text's bytes, without checking again that they are UTF-8: for comparing and ordering.
    fn as_bytes(&self) -> &[u8] {
        match self {
            Short::Inline(inline) => inline.as_bytes(),
            Short::Boxed(boxed) => boxed.as_bytes(),
            Short::Heap(text) => text.as_bytes(),
        }
    }
}

impl Text for Short {
    fn text(&self) -> &str {
        self.as_str()
    }
    fn from_text(text: &str) -> Self {
        if let Some(inline) = Inline::<15>::new(text) {
            Short::Inline(inline)
        } else if let Some(boxed) = Inline::<47>::new(text) {
            Short::Boxed(Box::new(boxed))
        } else {
            Short::Heap(Box::new(text.into()))
        }
    }
}

impl PartialEq for Short {
    fn eq(&self, other: &Short) -> bool {
        self.as_bytes() == other.as_bytes()
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
        self.as_bytes().cmp(other.as_bytes())
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

/// An open enum ([`Cause`], [`Direction`]) whose documented values a [`Code`] numbers; implemented by
/// the macro that defines them.
pub(crate) trait Open: Text + Ord + Clone + 'static {
    /// The documented values, in the order listed: code `k` is `KNOWN[k - 1]`.
    const KNOWN: &'static [Self];
}

/// A fact of an open enum in one byte, for what most legs hold: nothing, or one documented value. Any
/// other set (a value no list names, two values or more) lives in an overflow [`Fact`] that the owner
/// keeps elsewhere and hands to each call; it is made, through `overflow`, only when first needed.
/// Canonical, so that equal sets are equal codes and equal overflows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Code(u8);

impl Code {
    const UNKNOWN: u8 = 0;
    const OVERFLOW: u8 = u8::MAX;
    pub(crate) const NONE: Code = Code(Code::UNKNOWN);

    /// The values, smallest first.
    pub(crate) fn values<T: Open>(self, overflow: &Fact<T>) -> &[T] {
        match self.0 {
            Code::UNKNOWN => &[],
            Code::OVERFLOW => overflow.values(),
            known => T::KNOWN
                .get(usize::from(known) - 1..usize::from(known))
                .unwrap_or_default(),
        }
    }

    /// The value kept: the only one, or the smallest.
    pub(crate) fn get<T: Open>(self, overflow: &Fact<T>) -> Option<&T> {
        self.values(overflow).first()
    }

    /// The conflict, when the fact holds two values or more.
    pub(crate) fn conflict<T: Open>(
        self,
        overflow: &Fact<T>,
        field: &'static str,
    ) -> Option<Conflict> {
        if self.0 == Code::OVERFLOW {
            overflow.conflict(field, |value| value.text().to_owned())
        } else {
            None
        }
    }

    /// Adds a value given as text.
    pub(crate) fn observe_text<'a, T: Open>(
        &mut self,
        text: Option<&str>,
        overflow: impl FnOnce() -> &'a mut Fact<T>,
    ) {
        let Some(text) = text else { return };
        let code = T::KNOWN
            .iter()
            .position(|known| known.text() == text)
            // At most 254 documented values (both lists hold a dozen).
            .map(|at| at as u8 + 1);
        match (self.0, code) {
            (Code::UNKNOWN, Some(code)) => self.0 = code,
            (known, Some(code)) if known == code => {}
            (Code::OVERFLOW, _) => overflow().observe_text(Some(text)),
            (known, _) => {
                let overflow = overflow();
                if let Some(value) = T::KNOWN.get(usize::from(known).wrapping_sub(1)) {
                    overflow.observe(Some(value));
                }
                overflow.observe_text(Some(text));
                self.0 = Code::OVERFLOW;
            }
        }
    }
}

/// A time fact in eight bytes, for what most legs hold: nothing, or one time as nanoseconds since the
/// epoch (the years 1678 to 2261). Any other set (a time outside those years, two times or more) lives
/// in an overflow [`Fact`], as for [`Code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PackedTime(i64);

impl PackedTime {
    const UNKNOWN: i64 = i64::MIN;
    const OVERFLOW: i64 = i64::MIN + 1;
    pub(crate) const NONE: PackedTime = PackedTime(PackedTime::UNKNOWN);

    /// The time kept: the only one, or the earliest.
    pub(crate) fn get(self, overflow: &Fact<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        match self.0 {
            PackedTime::UNKNOWN => None,
            PackedTime::OVERFLOW => overflow.get().copied(),
            nanos => Some(DateTime::from_timestamp_nanos(nanos)),
        }
    }

    pub(crate) fn is_known(self) -> bool {
        self.0 != PackedTime::UNKNOWN
    }

    /// Every time, earliest first.
    pub(crate) fn values(self, overflow: &Fact<DateTime<Utc>>) -> Vec<DateTime<Utc>> {
        match self.0 {
            PackedTime::OVERFLOW => overflow.values().to_vec(),
            _ => self.get(overflow).into_iter().collect(),
        }
    }

    /// Adds a time.
    pub(crate) fn observe<'a>(
        &mut self,
        time: Option<&DateTime<Utc>>,
        overflow: impl FnOnce() -> &'a mut Fact<DateTime<Utc>>,
    ) {
        let Some(time) = time else { return };
        // A leap second (a fraction past 999,999,999 ns) has no nanosecond count of its own.
        let nanos = time.timestamp_nanos_opt().filter(|&nanos| {
            nanos > PackedTime::OVERFLOW && time.timestamp_subsec_nanos() < 1_000_000_000
        });
        match (self.0, nanos) {
            (PackedTime::UNKNOWN, Some(nanos)) => self.0 = nanos,
            (known, Some(nanos)) if known == nanos => {}
            (PackedTime::OVERFLOW, _) => overflow().observe(Some(time)),
            (known, _) => {
                let overflow = overflow();
                if known != PackedTime::UNKNOWN {
                    overflow.observe(Some(&DateTime::from_timestamp_nanos(known)));
                }
                overflow.observe(Some(time));
                self.0 = PackedTime::OVERFLOW;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_text_is_its_text_whatever_its_length() {
        assert_eq!(size_of::<Fact<Short>>(), 16);
        for text in [
            "",
            "+15551112222",
            "é",
            "+44207946000099",
            "+442079460000999",
            "4642074b-7b58-478b-96e4-3a60955c6765",
            "ü".repeat(23).as_str(),
            "ü".repeat(24).as_str(),
        ] {
            let short = Short::from_text(text);
            assert_eq!(short.as_str(), text);
            assert_eq!(matches!(short, Short::Inline(_)), text.len() <= 15);
            assert_eq!(
                matches!(short, Short::Boxed(_)),
                (16..=47).contains(&text.len())
            );
            assert_eq!(format!("{short:?}"), format!("{text:?}"));
        }
        let (a, b) = (Short::from_text("b"), Short::from_text(&"a".repeat(30)));
        assert!(b < a, "ordered as text, not by where it is held");
        assert_eq!(Short::from_text("x"), Short::from_text("x"));
    }

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

    /// Every order of `values`, for checking that a fold does not depend on it.
    fn orders<T: Clone>(values: &[T]) -> Vec<Vec<T>> {
        if values.len() <= 1 {
            return vec![values.to_vec()];
        }
        let mut all = Vec::new();
        for (i, first) in values.iter().enumerate() {
            let mut rest = values.to_vec();
            rest.remove(i);
            for mut order in orders(&rest) {
                order.insert(0, first.clone());
                all.push(order);
            }
        }
        all
    }

    fn coded(texts: &[&str]) -> (Code, Fact<Cause>) {
        let (mut code, mut overflow) = (Code::NONE, Fact::Unknown);
        for text in texts {
            code.observe_text(Some(text), || &mut overflow);
        }
        (code, overflow)
    }

    #[test]
    fn a_code_holds_one_documented_value_in_place_and_any_other_set_in_its_overflow() {
        assert_eq!(size_of::<Code>(), 1);
        let (code, overflow) = coded(&["busy", "busy"]);
        assert_eq!(
            (code.get(&overflow), &overflow),
            (Some(&Cause::Busy), &Fact::Unknown)
        );
        assert_eq!(code.conflict(&overflow, "cause"), None);
        // A value no list names is kept verbatim, without a conflict.
        let (code, overflow) = coded(&["some-new-cause"]);
        assert_eq!(code.values(&overflow), [Cause::from("some-new-cause")]);
        assert_eq!(code.conflict(&overflow, "cause"), None);
        assert_eq!(coded(&[]).0.get(&Fact::<Cause>::Unknown), None);
        // Two values or more: the same set, the same code and overflow, in every order.
        for texts in [
            &["busy", "hangup"][..],
            &["hangup", "some-new-cause", "busy", "hangup"],
        ] {
            let expected = coded(texts);
            let mut sorted: Vec<Cause> = texts.iter().map(|t| Cause::from(*t)).collect();
            sorted.sort();
            sorted.dedup();
            assert_eq!(expected.0.values(&expected.1), sorted);
            let conflict = expected.0.conflict(&expected.1, "cause").unwrap();
            assert_eq!(conflict.values().len(), sorted.len());
            for order in orders(texts) {
                assert_eq!(coded(&order), expected, "{order:?}");
            }
        }
    }

    fn packed(times: &[DateTime<Utc>]) -> (PackedTime, Fact<DateTime<Utc>>) {
        let (mut time, mut overflow) = (PackedTime::NONE, Fact::Unknown);
        for t in times {
            time.observe(Some(t), || &mut overflow);
        }
        (time, overflow)
    }

    #[test]
    fn a_packed_time_holds_one_time_in_place_and_any_other_set_in_its_overflow() {
        use chrono::NaiveDate;
        assert_eq!(size_of::<PackedTime>(), 8);
        let at = |y, nanos| {
            NaiveDate::from_ymd_opt(y, 6, 20)
                .and_then(|d| d.and_hms_nano_opt(15, 54, 59, nanos))
                .unwrap()
                .and_utc()
        };
        let usual = at(2019, 234_567_891);
        let (time, overflow) = packed(&[usual, usual]);
        assert_eq!(
            (time.get(&overflow), &overflow),
            (Some(usual), &Fact::Unknown)
        );
        assert!(time.is_known() && !PackedTime::NONE.is_known());
        // Outside the years a nanosecond count holds, and a leap second: kept exactly, in the overflow.
        for odd in [at(1500, 0), at(9999, 999_999_999), at(2016, 1_500_000_000)] {
            let (time, overflow) = packed(&[odd]);
            assert_eq!(time.get(&overflow), Some(odd));
            assert_eq!(overflow, Fact::One(odd));
            assert_eq!(time.values(&overflow), [odd]);
        }
        // Two times or more: the same set in every order, the earliest kept.
        let times = [usual, at(1500, 0), at(2019, 234_567_892), usual];
        let expected = packed(&times);
        assert_eq!(expected.0.get(&expected.1), Some(at(1500, 0)));
        assert_eq!(expected.0.values(&expected.1).len(), 3);
        for order in orders(&times) {
            assert_eq!(packed(&order), expected);
        }
    }
}
