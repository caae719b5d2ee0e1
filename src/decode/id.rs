//! Call ids, held in place.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;

use serde::{Serialize, Serializer};
use thiserror::Error;

use super::inline::Inline;
use super::open::Text;

/// A Bandwidth call id, such as `c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d`.
///
/// Bandwidth never documented the shape, so the id is opaque: any non-empty string. Ordered, compared
/// and hashed as its text.
///
/// An id of up to 47 bytes (Bandwidth's length) is held in the `CallId` itself, so making or cloning
/// one allocates nothing; a longer one is held behind a pointer its clones share.
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
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline(inline) => inline.as_str(),
            Repr::Shared(text) => text,
        }
    }

    /// Orders the id against a text as [`Ord`] orders two ids, without checking its UTF-8 again: for
    /// a fold that meets the id as text.
    #[inline]
    pub(crate) fn cmp_text(&self, text: &str) -> Ordering {
        self.as_bytes().cmp(text.as_bytes())
    }

    /// The id's text as bytes, without checking again that they are UTF-8: for comparing, ordering and
    /// hashing in callfold's own tables.
    #[inline]
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

impl AsRef<str> for CallId {
    fn as_ref(&self) -> &str {
        self.as_str()
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

impl Text for CallId {
    fn text(&self) -> &str {
        self.as_str()
    }
    fn from_text(text: &str) -> Self {
        CallId::new(text)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::hash::BuildHasher;

    use super::*;

    /// Ids around the length held in place, and ones that are not ASCII.
    pub(crate) fn samples() -> Vec<String> {
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
    fn bandwidth_ids_are_held_in_place() {
        let id = CallId::new("c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85");
        assert!(matches!(id.0, Repr::Inline(_)));
        assert!(matches!(CallId::new(&"c".repeat(48)).0, Repr::Shared(_)));
    }
}
