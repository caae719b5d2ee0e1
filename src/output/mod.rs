//! Output: every record callfold writes, each defined once ([`record`]) and written either by the fast
//! JSON writer ([`json`]) or through `Serialize`, to the same bytes.

mod call;
mod csv;
mod findings;
mod json;
mod leg;
mod record;
