//! Credentials from the environment, never from the command line, compared in constant time: the HTTP
//! Basic pairs Bandwidth sends with callbacks, and the bearer token for reads.

use std::env;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use subtle::{Choice, ConstantTimeEq};

/// A `username:password` pair.
type Pair = (Vec<u8>, Vec<u8>);

/// Who may post callbacks and who may read.
pub struct Auth {
    /// The `username:password` pairs accepted on callbacks.
    pairs: Vec<Pair>,
    /// The bearer token accepted on reads.
    token: Vec<u8>,
    /// `--no-auth`: everything is accepted.
    open: bool,
}

impl Auth {
    /// Reads `CALLFOLD_USERNAME`/`CALLFOLD_PASSWORD`, `CALLFOLD_CREDENTIALS_FILE` and
    /// `CALLFOLD_API_TOKEN`, and says what is missing.
    pub fn from_env(no_auth: bool) -> Result<Auth, String> {
        if no_auth {
            return Ok(Auth {
                pairs: Vec::new(),
                token: Vec::new(),
                open: true,
            });
        }
        let var = |name: &str| env::var(name).ok().filter(|v| !v.is_empty());
        let mut pairs = Vec::new();
        match (var("CALLFOLD_USERNAME"), var("CALLFOLD_PASSWORD")) {
            (Some(user), Some(password)) => pairs.push((user.into_bytes(), password.into_bytes())),
            (None, None) => {}
            (Some(_), None) => {
                return Err("CALLFOLD_USERNAME is set but CALLFOLD_PASSWORD is not".into());
            }
            (None, Some(_)) => {
                return Err("CALLFOLD_PASSWORD is set but CALLFOLD_USERNAME is not".into());
            }
        }
        if let Some(path) = var("CALLFOLD_CREDENTIALS_FILE") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read CALLFOLD_CREDENTIALS_FILE {path}: {e}"))?;
            pairs.extend(parse_pairs(&text).map_err(|e| format!("{path}: {e}"))?);
        }
        let token = var("CALLFOLD_API_TOKEN");
        match (pairs.is_empty(), token) {
            (false, Some(token)) => Ok(Auth {
                pairs,
                token: token.into_bytes(),
                open: false,
            }),
            (true, _) => Err(
                "no credentials for callbacks: set CALLFOLD_USERNAME and CALLFOLD_PASSWORD \
                 (the Basic pair configured in Bandwidth), or CALLFOLD_CREDENTIALS_FILE, and \
                 CALLFOLD_API_TOKEN for reads; or give --no-auth to run without any"
                    .into(),
            ),
            (false, None) => Err(
                "no CALLFOLD_API_TOKEN: every read of call data needs the bearer \
                 token; set it, or give --no-auth to run without any credentials"
                    .into(),
            ),
        }
    }

    /// Whether a callback's `Authorization: Basic` matches one of the pairs. Every pair is compared,
    /// each in constant time, so the time taken says nothing about which part was wrong.
    pub fn callback_allowed(&self, headers: &HeaderMap) -> bool {
        if self.open {
            return true;
        }
        let Some((user, password)) = basic(headers) else {
            return false;
        };
        let mut allowed = Choice::from(0);
        for (u, p) in &self.pairs {
            allowed |= u.as_slice().ct_eq(&user) & p.as_slice().ct_eq(&password);
        }
        allowed.into()
    }

    /// Whether a read carries `Authorization: Bearer <CALLFOLD_API_TOKEN>`, or, from a browser (which
    /// cannot send a bearer token to open a page), HTTP Basic with the token as the password and any
    /// user name.
    pub fn read_allowed(&self, headers: &HeaderMap) -> bool {
        if self.open {
            return true;
        }
        let bearer = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
        match (bearer, basic(headers)) {
            (Some(token), _) => token.ct_eq(&self.token).into(),
            (None, Some((_, password))) => password.as_slice().ct_eq(&self.token).into(),
            (None, None) => false,
        }
    }
}

/// The user and password of an `Authorization: Basic` header.
fn basic(headers: &HeaderMap) -> Option<Pair> {
    let encoded = headers
        .get(AUTHORIZATION)?
        .as_bytes()
        .strip_prefix(b"Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim_ascii())
        .ok()?;
    let colon = decoded.iter().position(|b| *b == b':')?;
    Some((decoded[..colon].to_vec(), decoded[colon + 1..].to_vec()))
}

/// `username:password` lines; blank lines and `#` comments are skipped.
fn parse_pairs(text: &str) -> Result<Vec<Pair>, String> {
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (user, password) = line
            .split_once(':')
            .filter(|(u, p)| !u.is_empty() && !p.is_empty())
            .ok_or_else(|| format!("line {}: expected `username:password`", n + 1))?;
        pairs.push((user.as_bytes().to_vec(), password.as_bytes().to_vec()));
    }
    if pairs.is_empty() {
        return Err("no `username:password` line".into());
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth {
            pairs: vec![
                (b"bw".to_vec(), b"s3cret".to_vec()),
                (b"app".to_vec(), b"other:pw".to_vec()),
            ],
            token: b"tok".to_vec(),
            open: false,
        }
    }

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value.parse().unwrap());
        headers
    }

    fn basic_header(pair: &str) -> HeaderMap {
        headers(&format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        ))
    }

    #[test]
    fn any_configured_pair_is_accepted_and_nothing_else() {
        let auth = auth();
        assert!(auth.callback_allowed(&basic_header("bw:s3cret")));
        assert!(auth.callback_allowed(&basic_header("app:other:pw")));
        assert!(!auth.callback_allowed(&basic_header("bw:wrong")));
        assert!(!auth.callback_allowed(&basic_header("bw:s3cre")));
        assert!(!auth.callback_allowed(&basic_header("app:s3cret")));
        assert!(!auth.callback_allowed(&HeaderMap::new()));
        assert!(!auth.callback_allowed(&headers("Bearer tok")));
    }

    #[test]
    fn reads_need_the_token() {
        let auth = auth();
        assert!(auth.read_allowed(&headers("Bearer tok")));
        assert!(!auth.read_allowed(&headers("Bearer to")));
        assert!(!auth.read_allowed(&basic_header("bw:s3cret")));
        assert!(!auth.read_allowed(&HeaderMap::new()));
        // A browser's Basic with the token as the password, whatever the user name.
        assert!(auth.read_allowed(&basic_header("anyone:tok")));
        assert!(auth.read_allowed(&basic_header(":tok")));
        assert!(!auth.read_allowed(&basic_header("tok:")));
        assert!(!auth.read_allowed(&basic_header("anyone:tok2")));
    }

    #[test]
    fn credentials_files_are_read_line_by_line() {
        assert_eq!(
            parse_pairs("# comment\n\nbw:pw\napp:a:b\n").unwrap(),
            [
                (b"bw".to_vec(), b"pw".to_vec()),
                (b"app".to_vec(), b"a:b".to_vec())
            ]
        );
        assert_eq!(
            parse_pairs("bw:pw\nnocolon\n").unwrap_err(),
            "line 2: expected `username:password`"
        );
        assert!(parse_pairs("# only\n").is_err());
    }
}
