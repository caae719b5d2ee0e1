//! Short texts held in place, for the types that hold a text either in place or on the heap
//! ([`CallId`](crate::CallId), and the leg's text facts).
//!
//! The length is a one-byte enum of the lengths that fit, so most byte values are not lengths. The
//! enum that holds an [`Inline`] or a pointer keeps its tag in one of those values, and is no bigger
//! than the `Inline` itself.

/// Declares `Len`, the lengths `0..=47` as a one-byte enum, and `LENS`, every one of them by value.
macro_rules! lengths {
    ($($len:ident)*) => {
        /// The length of a text held in place.
        #[derive(Clone, Copy)]
        #[repr(u8)]
        enum Len { $($len),* }

        /// `LENS[n]` is the length `n`.
        const LENS: [Len; 48] = [$(Len::$len),*];
    };
}

lengths!(
    L0 L1 L2 L3 L4 L5 L6 L7 L8 L9 L10 L11 L12 L13 L14 L15 L16 L17 L18 L19 L20 L21 L22 L23 L24 L25 L26
    L27 L28 L29 L30 L31 L32 L33 L34 L35 L36 L37 L38 L39 L40 L41 L42 L43 L44 L45 L46 L47
);

/// A text of up to `N` bytes (`N` at most 47), in `N + 1` bytes.
#[derive(Clone, Copy)]
pub(crate) struct Inline<const N: usize> {
    len: Len,
    bytes: [u8; N],
}

impl<const N: usize> Inline<N> {
    /// The text held in place, or `None` when it is longer than `N` bytes.
    pub(crate) fn new(text: &str) -> Option<Inline<N>> {
        const { assert!(N < LENS.len()) };
        let len = *LENS.get(text.len()).filter(|_| text.len() <= N)?;
        let mut bytes = [0; N];
        bytes
            .get_mut(..text.len())?
            .copy_from_slice(text.as_bytes());
        Some(Inline { len, bytes })
    }

    /// The text's bytes, without checking again that they are UTF-8: for comparing and ordering.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len as usize).unwrap_or_default()
    }

    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        // The bytes of a `&str`, whole, so always UTF-8: the fallback is never taken.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_held_in_place_up_to_its_length_and_in_one_byte_more() {
        assert_eq!(size_of::<Inline<47>>(), 48);
        assert_eq!(size_of::<Inline<15>>(), 16);
        // The tag of an enum that holds a pointer otherwise fits in the length.
        assert_eq!(size_of::<Result<Inline<15>, Box<u8>>>(), 16);
        for text in ["", "a", "é", "+15551112222", "fifteen bytes!!"] {
            let inline = Inline::<15>::new(text).unwrap();
            assert_eq!(
                (inline.as_str(), inline.as_bytes()),
                (text, text.as_bytes())
            );
        }
        assert!(Inline::<15>::new("sixteen bytes!!!").is_none());
        assert!(Inline::<47>::new(&"c".repeat(47)).is_some());
        assert!(Inline::<47>::new(&"c".repeat(48)).is_none());
    }
}
