//! Why a body could not be decoded, and where.

use std::fmt;

use thiserror::Error;

use crate::time::TimestampError;

/// Why a callback body could not be decoded. The message names the field and, for a bad value, quotes it
/// (long values are cut to 64 characters).
///
/// ```
/// use callfold::{Callback, DecodeError};
///
/// let err = r#"{"eventType":"transferAnswer","callId":"c-1","answerTime":"2019-13-01T00:00:00Z"}"#
///     .parse::<Callback>()
///     .unwrap_err();
/// assert_eq!(err.to_string(), r#"answerTime: expected an RFC 3339 timestamp, found "2019-13-01T00:00:00Z""#);
/// assert_eq!(err.field(), Some("answerTime"));
/// // The reason is the error's source.
/// let source = std::error::Error::source(&err).unwrap();
/// assert_eq!(source.to_string(), "month 13 is out of range at byte 5");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body is not valid JSON.
    #[error("invalid JSON: {message} at {position}")]
    Json {
        /// `serde_json`'s description, without its position.
        message: String,
        /// Where in the body, as `column C` (one-line bodies) or `line L column C`.
        position: Position,
    },
    /// The body is JSON, but not an object.
    #[error("expected a JSON object, found {found}")]
    NotAnObject {
        /// What it is instead: `an array`, `a string`, ...
        found: &'static str,
    },
    /// A required field is absent, `null` or `""`.
    #[error("missing {field}")]
    Missing {
        /// `callId` or `eventType`.
        field: &'static str,
    },
    /// A known field holds another JSON type than a string.
    #[error("{field}: expected a string, found {found}")]
    WrongType {
        /// The field, as spelled in the body.
        field: &'static str,
        /// What it holds instead: `a number`, `a boolean`, `an array` or `an object`.
        found: &'static str,
    },
    /// A timestamp field holds a string that is not RFC 3339.
    #[error("{field}: expected an RFC 3339 timestamp, found {value:?}")]
    Timestamp {
        /// The field, as spelled in the body.
        field: &'static str,
        /// The value, cut to 64 characters.
        value: String,
        /// What is wrong with it, and where.
        #[source]
        source: TimestampError,
    },
}

/// A position inside a body, for JSON syntax errors.
///
/// ```
/// let err = callfold::Callback::from_slice(b"{\"callId\":").unwrap_err();
/// assert_eq!(err.to_string(), "invalid JSON: EOF while parsing a value at column 10");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line inside the body.
    pub line: usize,
    /// 1-based column (in bytes).
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 1 {
            write!(f, "column {}", self.column)
        } else {
            write!(f, "line {} column {}", self.line, self.column)
        }
    }
}

impl DecodeError {
    #[allow(clippy::needless_pass_by_value)] // used as `map_err(DecodeError::json)`
    pub(crate) fn json(err: serde_json::Error) -> DecodeError {
        let position = Position {
            line: err.line(),
            column: err.column(),
        };
        let mut message = err.to_string();
        let suffix = format!(" at line {} column {}", position.line, position.column);
        if message.ends_with(&suffix) {
            message.truncate(message.len() - suffix.len());
        }
        DecodeError::Json { message, position }
    }

    /// The field the error is about, if it is about one.
    ///
    /// ```
    /// let err = r#"{"eventType":"answer"}"#.parse::<callfold::Callback>().unwrap_err();
    /// assert_eq!(err.field(), Some("callId"));
    /// ```
    pub fn field(&self) -> Option<&'static str> {
        match self {
            DecodeError::Missing { field }
            | DecodeError::WrongType { field, .. }
            | DecodeError::Timestamp { field, .. } => Some(field),
            DecodeError::Json { .. } | DecodeError::NotAnObject { .. } => None,
        }
    }

    /// Where in the body the error is, for the errors that have a place of their own: a JSON syntax
    /// error. The others name a [`field`](DecodeError::field) instead, or (`NotAnObject`) are about
    /// the whole body.
    ///
    /// ```
    /// use callfold::{Callback, Position};
    ///
    /// let err = Callback::from_slice(b"{\"callId\":\"c-1\",}").unwrap_err();
    /// assert_eq!(err.position(), Some(Position { line: 1, column: 17 }));
    /// let err = Callback::from_slice(br#"{"eventType":"answer"}"#).unwrap_err();
    /// assert_eq!(err.position(), None);
    /// ```
    pub fn position(&self) -> Option<Position> {
        match self {
            DecodeError::Json { position, .. } => Some(*position),
            DecodeError::NotAnObject { .. }
            | DecodeError::Missing { .. }
            | DecodeError::WrongType { .. }
            | DecodeError::Timestamp { .. } => None,
        }
    }
}

/// Cuts a value for an error message to 64 characters.
pub(crate) fn excerpt(value: &str) -> String {
    const MAX: usize = 64;
    match value.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}
