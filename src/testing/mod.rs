//! Testing: proptest strategies of realistic transfer traffic ([`strategy`]), and the generator of whole
//! logs ([`generate()`]) built on them (feature `proptest`).

mod courier;
mod generate;
pub mod strategy;

pub use generate::{GenerateOptions, GenerateSummary, generate};
