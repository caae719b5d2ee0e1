//! Which worker folds a line.

use std::hash::BuildHasher;

use memchr::memmem::Finder;

use crate::fold::hash::FastState;

/// Chooses the worker that folds a line: the one that owns the call the line names, so that a call's
/// legs and A-leg are folded, and held, by one worker only.
///
/// The call is the `parentCallId` when there is one (a leg's callbacks), else the `callId` (the A-leg's
/// own, and legs whose callbacks name no parent), found by a plain byte search without decoding. That
/// only places work: a line routed "wrongly" (a key written with spaces around its colon, an escaped
/// id, a leg whose callbacks disagree on naming a parent, a line that is not JSON) is still folded by
/// exactly one worker, and merging folds from different lines is exact, so the history does not depend
/// on where a line went.
pub(crate) struct Router {
    parent: Finder<'static>,
    call: Finder<'static>,
    workers: u64,
}

impl Router {
    pub(crate) fn new(workers: usize) -> Router {
        Router {
            parent: Finder::new(br#""parentCallId":""#),
            call: Finder::new(br#""callId":""#),
            workers: workers.max(1) as u64,
        }
    }

    /// The worker, in `0..workers`, that folds `body`.
    pub(crate) fn worker(&self, body: &[u8]) -> usize {
        let id = string_after(&self.parent, body)
            .or_else(|| string_after(&self.call, body))
            .unwrap_or_default();
        // Less than `workers`, which came from a usize.
        (FastState::default().hash_one(id) % self.workers) as usize
    }
}

/// The bytes between the end of the first match of `key` (which ends with the opening quote) and the
/// next quote.
fn string_after<'a>(key: &Finder<'_>, body: &'a [u8]) -> Option<&'a [u8]> {
    let start = key.find(body)? + key.needle().len();
    let rest = body.get(start..)?;
    let end = memchr::memchr(b'"', rest)?;
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_and_its_legs_go_to_one_worker() {
        let router = Router::new(7);
        let a_leg = br#"{"eventType":"transferComplete","callId":"c-a1","cause":"hangup"}"#;
        let leg = br#"{"callId":"c-b1","eventType":"transferAnswer","parentCallId":"c-a1"}"#;
        let other_leg =
            br#"{"parentCallId":"c-a1","callId":"c-b2","eventType":"transferDisconnect"}"#;
        assert_eq!(router.worker(a_leg), router.worker(leg));
        assert_eq!(router.worker(a_leg), router.worker(other_leg));
        // A leg that names no parent is a call of its own.
        let orphan = br#"{"eventType":"transferAnswer","callId":"c-a1","parentCallId":null}"#;
        assert_eq!(router.worker(orphan), router.worker(a_leg));
        // Calls spread over the workers.
        let mut used = [false; 7];
        for n in 0..200 {
            used[router.worker(format!(r#"{{"callId":"c-{n}"}}"#).as_bytes())] = true;
        }
        assert!(used.iter().all(|&u| u), "{used:?}");
    }

    #[test]
    fn any_bytes_go_to_a_worker_in_range() {
        let router = Router::new(3);
        for body in [
            &b""[..],
            b"\"callId\":\"",
            b"\"parentCallId\":\"x",
            b"{oops}",
            b"\"callId\":\"\"",
        ] {
            assert!(router.worker(body) < 3);
        }
        assert_eq!(Router::new(0).worker(b"{}"), 0);
    }
}
