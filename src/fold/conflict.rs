//! Disagreements between the callbacks of one leg (or of one A-leg).

use std::fmt;

/// Two or more callbacks of one leg disagree on a fact. The leg keeps the smallest value (the earliest
/// time, the first text in byte order), so the choice does not depend on the order of arrival.
///
/// ```
/// use callfold::Leg;
///
/// let mut leg = Leg::new("c-b".parse()?);
/// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","endTime":"2019-12-27T19:19:28Z"}"#.parse()?)?;
/// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","endTime":"2019-12-27T19:19:27.987Z"}"#.parse()?)?;
/// let conflicts = leg.conflicts();
/// assert_eq!(conflicts[0].field(), "endTime");
/// assert_eq!(conflicts[0].kept(), "2019-12-27T19:19:27.987Z");
/// assert_eq!(
///     conflicts[0].to_string(),
///     r#"endTime: "2019-12-27T19:19:27.987Z" vs "2019-12-27T19:19:28Z" (kept "2019-12-27T19:19:27.987Z")"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Conflict {
    field: &'static str,
    values: Vec<String>,
}

impl Conflict {
    pub(crate) fn new(field: &'static str, values: Vec<String>) -> Conflict {
        Conflict { field, values }
    }

    /// The field, as Bandwidth spells it.
    ///
    /// ```
    /// # let mut leg = callfold::Leg::new("c".parse()?);
    /// # leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c","cause":"busy"}"#.parse()?)?;
    /// # leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c","cause":"hangup"}"#.parse()?)?;
    /// assert_eq!(leg.conflicts()[0].field(), "cause");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// Every distinct value seen, smallest first, as callfold prints them.
    ///
    /// ```
    /// # let mut leg = callfold::Leg::new("c".parse()?);
    /// # leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c","cause":"busy"}"#.parse()?)?;
    /// # leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c","cause":"hangup"}"#.parse()?)?;
    /// assert_eq!(leg.conflicts()[0].values(), ["busy", "hangup"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// The value the leg kept: the smallest.
    ///
    /// ```
    /// # let mut leg = callfold::Leg::new("c".parse()?);
    /// # leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c","cause":"busy"}"#.parse()?)?;
    /// # leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c","cause":"hangup"}"#.parse()?)?;
    /// assert_eq!(leg.conflicts()[0].kept(), "busy");
    /// assert_eq!(leg.cause().map(|c| c.as_str()), Some("busy"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kept(&self) -> &str {
        self.values.first().map_or("", String::as_str)
    }
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.field)?;
        for (i, value) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(" vs ")?;
            }
            write!(f, "{value:?}")?;
        }
        write!(f, " (kept {:?})", self.kept())
    }
}
