//! The escape check: where a text stops being one JSON writes as it is. The scanner uses it to find a
//! string's end, and the output to know a text it can copy whole.

/// The index of the first byte from `i` that a JSON string cannot hold as it is: `"`, `\`, or a
/// control character below 0x20. `None` when there is none.
#[inline]
pub(crate) fn first_to_escape(b: &[u8], mut i: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Eight bytes at a time: a byte equal to `"` or `\`, or below 0x20, sets its high bit in `stop`
    // (the classic "has zero byte" test). It can flag a byte after the first stop wrongly, never one
    // before it, so the lowest flag is the first stop.
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let quote = w ^ (ONES * u64::from(b'"'));
        let slash = w ^ (ONES * u64::from(b'\\'));
        let stop = ((quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (w.wrapping_sub(ONES * 0x20) & !w))
            & HIGH;
        if stop != 0 {
            return Some(i + (stop.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i.min(b.len())..]
        .iter()
        .position(|&c| matches!(c, b'"' | b'\\' | 0..0x20))
        .map(|at| i + at)
}
