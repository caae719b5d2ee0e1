//! The compact forms of a leg's facts: what most legs hold (nothing, or one ordinary value) in place,
//! in as few bytes as it takes, and any other set in an overflow [`Fact`] the leg keeps behind a pointer.
//! They are what keeps a leg small (`docs/design.md`, "Memory").

use chrono::{DateTime, Utc};

use super::conflict::Conflict;
use super::fact::Fact;
use crate::decode::{Inline, Open, Text};

/// A text fact's value, of any length, in 16 bytes: up to 15 bytes (phone numbers, short tags) held in
/// place, up to 47 in one allocation, longer ones behind a thin pointer. A leg holds several texts, most
/// of them phone numbers, and a `String` would put each in an allocation of its own. The enum's tag fits
/// in the length of an [`Inline`]. Ordered as its text.
#[derive(Clone)]
pub(crate) enum CompactText {
    Inline(Inline<15>),
    /// Up to 47 bytes (an error id, a UUID, is 36) in one allocation behind a thin pointer.
    Boxed(Box<Inline<47>>),
    /// Behind a thin pointer: a `Box<str>` would make a `CompactText` 24 bytes.
    Heap(Box<Box<str>>),
}

impl CompactText {
    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        match self {
            CompactText::Inline(inline) => inline.as_str(),
            CompactText::Boxed(boxed) => boxed.as_str(),
            CompactText::Heap(text) => text,
        }
    }

    /// The text's bytes, without checking again that they are UTF-8: for comparing and ordering.
    #[inline]
    fn as_bytes(&self) -> &[u8] {
        match self {
            CompactText::Inline(inline) => inline.as_bytes(),
            CompactText::Boxed(boxed) => boxed.as_bytes(),
            CompactText::Heap(text) => text.as_bytes(),
        }
    }
}

impl Text for CompactText {
    fn text(&self) -> &str {
        self.as_str()
    }
    fn from_text(text: &str) -> Self {
        if let Some(inline) = Inline::<15>::new(text) {
            CompactText::Inline(inline)
        } else if let Some(boxed) = Inline::<47>::new(text) {
            CompactText::Boxed(Box::new(boxed))
        } else {
            CompactText::Heap(Box::new(text.into()))
        }
    }
}

impl PartialEq for CompactText {
    fn eq(&self, other: &CompactText) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for CompactText {}

impl PartialOrd for CompactText {
    fn partial_cmp(&self, other: &CompactText) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CompactText {
    fn cmp(&self, other: &CompactText) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl std::fmt::Display for CompactText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for CompactText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// A fact of an open enum ([`Open`]) in one byte, for what most legs hold: nothing, or one documented value. Any
/// other set (a value no list names, two values or more) lives in an overflow [`Fact`] that the owner
/// keeps elsewhere and hands to each call; it is made, through `overflow`, only when first needed.
/// Canonical, so that equal sets are equal codes and equal overflows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CompactEnum(u8);

impl CompactEnum {
    const UNKNOWN: u8 = 0;
    const OVERFLOW: u8 = u8::MAX;
    pub(crate) const NONE: CompactEnum = CompactEnum(CompactEnum::UNKNOWN);

    /// The values, smallest first.
    pub(crate) fn values<T: Open>(self, overflow: &Fact<T>) -> &[T] {
        match self.0 {
            CompactEnum::UNKNOWN => &[],
            CompactEnum::OVERFLOW => overflow.values(),
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
        if self.0 == CompactEnum::OVERFLOW {
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
            (CompactEnum::UNKNOWN, Some(code)) => self.0 = code,
            (known, Some(code)) if known == code => {}
            (CompactEnum::OVERFLOW, _) => overflow().observe_text(Some(text)),
            (known, _) => {
                let overflow = overflow();
                if let Some(value) = T::KNOWN.get(usize::from(known).wrapping_sub(1)) {
                    overflow.observe(Some(value));
                }
                overflow.observe_text(Some(text));
                self.0 = CompactEnum::OVERFLOW;
            }
        }
    }
}

/// A time fact in eight bytes, for what most legs hold: nothing, or one time as nanoseconds since the
/// epoch (the years 1678 to 2261). Any other set (a time outside those years, two times or more) lives
/// in an overflow [`Fact`], as for [`CompactEnum`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CompactTime(i64);

impl CompactTime {
    const UNKNOWN: i64 = i64::MIN;
    const OVERFLOW: i64 = i64::MIN + 1;
    pub(crate) const NONE: CompactTime = CompactTime(CompactTime::UNKNOWN);

    /// The time kept: the only one, or the earliest.
    #[inline]
    pub(crate) fn get(self, overflow: &Fact<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        match self.0 {
            CompactTime::UNKNOWN => None,
            CompactTime::OVERFLOW => overflow.get().copied(),
            nanos => Some(DateTime::from_timestamp_nanos(nanos)),
        }
    }

    #[inline]
    pub(crate) fn is_known(self) -> bool {
        self.0 != CompactTime::UNKNOWN
    }

    /// Every time, earliest first.
    #[inline]
    pub(crate) fn values(self, overflow: &Fact<DateTime<Utc>>) -> Vec<DateTime<Utc>> {
        match self.0 {
            CompactTime::OVERFLOW => overflow.values().to_vec(),
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
            nanos > CompactTime::OVERFLOW && time.timestamp_subsec_nanos() < 1_000_000_000
        });
        match (self.0, nanos) {
            (CompactTime::UNKNOWN, Some(nanos)) => self.0 = nanos,
            (known, Some(nanos)) if known == nanos => {}
            (CompactTime::OVERFLOW, _) => overflow().observe(Some(time)),
            (known, _) => {
                let overflow = overflow();
                if known != CompactTime::UNKNOWN {
                    overflow.observe(Some(&DateTime::from_timestamp_nanos(known)));
                }
                overflow.observe(Some(time));
                self.0 = CompactTime::OVERFLOW;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Cause;

    #[test]
    fn a_compact_text_is_its_text_whatever_its_length() {
        assert_eq!(size_of::<Fact<CompactText>>(), 16);
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
            let short = CompactText::from_text(text);
            assert_eq!(short.as_str(), text);
            assert_eq!(matches!(short, CompactText::Inline(_)), text.len() <= 15);
            assert_eq!(
                matches!(short, CompactText::Boxed(_)),
                (16..=47).contains(&text.len())
            );
            assert_eq!(format!("{short:?}"), format!("{text:?}"));
        }
        let (a, b) = (
            CompactText::from_text("b"),
            CompactText::from_text(&"a".repeat(30)),
        );
        assert!(b < a, "ordered as text, not by where it is held");
        assert_eq!(CompactText::from_text("x"), CompactText::from_text("x"));
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

    /// Observes `values` one by one into a compact fact that starts as `none`, as a leg does.
    fn observed<C: Copy, V, T>(
        none: C,
        values: &[V],
        observe: impl Fn(&mut C, &V, &mut Fact<T>),
    ) -> (C, Fact<T>) {
        let (mut compact, mut overflow) = (none, Fact::Unknown);
        for value in values {
            observe(&mut compact, value, &mut overflow);
        }
        (compact, overflow)
    }

    fn coded(texts: &[&str]) -> (CompactEnum, Fact<Cause>) {
        observed(CompactEnum::NONE, texts, |code, text, overflow| {
            code.observe_text(Some(text), || overflow);
        })
    }

    #[test]
    fn a_compact_enum_holds_one_documented_value_in_place_and_any_other_set_in_its_overflow() {
        assert_eq!(size_of::<CompactEnum>(), 1);
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

    fn packed(times: &[DateTime<Utc>]) -> (CompactTime, Fact<DateTime<Utc>>) {
        observed(CompactTime::NONE, times, |time, t, overflow| {
            time.observe(Some(t), || overflow);
        })
    }

    #[test]
    fn a_compact_time_holds_one_time_in_place_and_any_other_set_in_its_overflow() {
        use chrono::NaiveDate;
        assert_eq!(size_of::<CompactTime>(), 8);
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
        assert!(time.is_known() && !CompactTime::NONE.is_known());
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
