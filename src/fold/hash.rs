//! A fast, unkeyed hasher for offline work: replaying a log, fingerprinting callbacks.
//!
//! It is not DoS-resistant: whoever controls the keys can make them collide. The [`Tracker`](crate::Tracker)
//! keys its maps by call ids from the network, so it keeps std's keyed `RandomState`; a log being replayed
//! is the user's own data, and [`History`](crate::History) uses this hasher. Callback fingerprints use it
//! too: a collision there could only make one callback of a leg look like a redelivery of another of the
//! same leg, which whoever sends that leg's callbacks could do anyway by sending fewer.

use std::hash::{BuildHasherDefault, Hasher};

/// An FxHash-style word-at-a-time hasher with a final avalanche (`fmix64` from `MurmurHash3`), so that
/// every bit of the result depends on every input bit, as `hashbrown`'s 7-bit tags need.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FastHasher {
    hash: u64,
}

/// Builds [`FastHasher`]s.
pub(crate) type FastState = BuildHasherDefault<FastHasher>;

const K: u64 = 0x517c_c1b7_2722_0a95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let n = chunks.remainder().len();
        if n > 0 {
            // The last `n` bytes as a little-endian word, read without a variable-length copy (a call to
            // `memcpy`, then a wide load of narrow stores, which stalls): from the last eight bytes
            // shifted, or byte by byte when there are fewer than eight in all.
            let word = match bytes.last_chunk::<8>() {
                Some(last) => u64::from_le_bytes(*last) >> (8 * (8 - n)),
                None => bytes
                    .iter()
                    .rev()
                    .fold(0, |word, &b| (word << 8) | u64::from(b)),
            };
            // The length keeps "a" and "a\0" apart.
            self.add(word ^ ((n as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, Hash};

    use super::*;

    fn hash(value: impl Hash) -> u64 {
        FastState::default().hash_one(value)
    }

    #[test]
    fn the_last_bytes_are_read_as_a_copy_into_a_zeroed_word_reads_them() {
        let bytes: Vec<u8> = (1..=40u8).map(|b| b.wrapping_mul(73)).collect();
        for len in 0..=bytes.len() {
            let text = &bytes[..len];
            let mut expected = FastHasher::default();
            let mut chunks = text.chunks_exact(8);
            for chunk in &mut chunks {
                expected.add(u64::from_le_bytes(chunk.try_into().unwrap()));
            }
            let rest = chunks.remainder();
            if !rest.is_empty() {
                let mut word = [0; 8];
                word[..rest.len()].copy_from_slice(rest);
                expected.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
            }
            let mut h = FastHasher::default();
            h.write(text);
            assert_eq!(h.hash, expected.hash, "{len} bytes");
        }
    }

    #[test]
    fn equal_values_hash_equal_and_near_values_apart() {
        assert_eq!(hash("c-95ac8d6e-1a31c52e"), hash("c-95ac8d6e-1a31c52e"));
        let near = [
            "c-1",
            "c-2",
            "c-1\0",
            "",
            "\0",
            "c-95ac8d6e-1a31c52f",
            "c-95ac8d6e-1a31c52e",
        ];
        let mut hashes: Vec<u64> = near.iter().map(hash).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), near.len());
        assert_ne!(
            hash((Some("a"), None::<&str>)),
            hash((None::<&str>, Some("a")))
        );
    }
}
