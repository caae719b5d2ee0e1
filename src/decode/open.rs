//! Open enums: the value sets Bandwidth may grow (`cause`, `direction`), which keep unknown values
//! verbatim, and the two traits the fold reads them through.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value kept as text, and ordered as its text: what a text-valued fact of a leg holds.
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

/// An open enum whose documented values a one-byte code can number; implemented by [`open_enum!`].
pub(crate) trait Open: Text + Ord + Clone + 'static {
    /// The documented values, in the order listed: code `k` is `KNOWN[k - 1]`.
    const KNOWN: &'static [Self];
}

/// An enum whose set of values Bandwidth may grow: unknown values are kept verbatim in `Other`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident, example: $example:literal {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* #[doc = concat!("`", $text, "`")] $variant,)*
            /// A value this version of callfold does not know, kept verbatim. Build values with `From<&str>`,
            /// which never puts a known value here.
            Other(String),
        }

        impl Open for $name {
            const KNOWN: &'static [$name] = &[$(Self::$variant,)*];
        }

        impl Text for $name {
            fn text(&self) -> &str {
                self.as_str()
            }
            fn from_text(text: &str) -> Self {
                Self::from(text)
            }
        }

        impl $name {
            /// The value exactly as Bandwidth spells it.
            ///
            /// ```
            #[doc = concat!("let v = callfold::", stringify!($name), "::from(", stringify!($example), ");")]
            #[doc = concat!("assert_eq!(v.as_str(), ", stringify!($example), ");")]
            #[doc = concat!("let new = callfold::", stringify!($name), "::from(\"next-year\");")]
            #[doc = concat!("assert_eq!(new, callfold::", stringify!($name), "::Other(\"next-year\".into()));")]
            /// assert_eq!(new.as_str(), "next-year");
            /// ```
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Ordered by text, so that a choice among values does not depend on the variants' order.
        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Self::from(Cow::<'de, str>::deserialize(d)?.as_ref()))
            }
        }
    };
}

open_enum! {
    /// Why a call or leg ended: the documented list, which Bandwidth says may grow.
    ///
    /// ```
    /// use callfold::Cause;
    ///
    /// assert_eq!(Cause::from("busy"), Cause::Busy);
    /// assert!(Cause::Busy.never_answered());
    /// // Retired and future values survive verbatim.
    /// assert_eq!(Cause::from("completed").to_string(), "completed");
    /// ```
    Cause, example: "busy" {
        Hangup => "hangup",
        Busy => "busy",
        Timeout => "timeout",
        Cancel => "cancel",
        Rejected => "rejected",
        CallbackError => "callback-error",
        InvalidBxml => "invalid-bxml",
        ApplicationError => "application-error",
        AccountLimit => "account-limit",
        NodeCapacityExceeded => "node-capacity-exceeded",
        Error => "error",
        Unknown => "unknown",
    }
}

impl Cause {
    /// True for the causes that mean the leg was never answered: `busy`, `timeout`, `cancel`, `rejected`,
    /// `account-limit` and `node-capacity-exceeded`. An `answerTime` with one of them is the
    /// `answered-despite-cause` violation.
    ///
    /// ```
    /// use callfold::Cause;
    ///
    /// assert!(Cause::Timeout.never_answered());
    /// assert!(!Cause::Hangup.never_answered()); // losing legs and answered legs both end `hangup`
    /// ```
    pub fn never_answered(&self) -> bool {
        matches!(
            self,
            Cause::Busy
                | Cause::Timeout
                | Cause::Cancel
                | Cause::Rejected
                | Cause::AccountLimit
                | Cause::NodeCapacityExceeded
        )
    }
}

open_enum! {
    /// The direction of a call. Bandwidth documents two values; others are kept, and a B-leg callback that
    /// is not `outbound` is the `not-outbound` violation.
    ///
    /// ```
    /// use callfold::Direction;
    ///
    /// assert_eq!(Direction::from("outbound"), Direction::Outbound);
    /// assert_eq!(Direction::from("Outbound"), Direction::Other("Outbound".into()));
    /// ```
    Direction, example: "outbound" {
        Inbound => "inbound",
        Outbound => "outbound",
    }
}
