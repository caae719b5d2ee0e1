//! Records: each of callfold's output objects lists its keys and values once ([`Record::fields`]), and
//! both writers are made from that list: the fast JSON writer ([`write_json`]) and `Serialize`
//! ([`serialize`]), so the two cannot drift apart.

use std::convert::Infallible;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::json::{Object, Value, array};

/// One output object: its keys and values, in order.
pub(crate) trait Record {
    fn fields<W: Writer>(&self, out: &mut W) -> Result<(), W::Error>;
}

impl<R: Record + ?Sized> Record for &R {
    fn fields<W: Writer>(&self, out: &mut W) -> Result<(), W::Error> {
        (**self).fields(out)
    }
}

/// What a record's fields are written to: the fast JSON writer, or a serde map.
pub(crate) trait Writer {
    type Error;
    fn field<V: Value + ?Sized>(&mut self, key: &'static str, value: &V)
    -> Result<(), Self::Error>;
}

/// Appends a record's JSON object to `out`.
#[inline]
pub(crate) fn write_json(record: &impl Record, out: &mut Vec<u8>) {
    let mut object = Object::new(out);
    let Ok(()) = record.fields(&mut Fast(&mut object));
    object.end();
}

/// Serializes a record as a map, as [`write_json`] writes it.
pub(crate) fn serialize<S: Serializer>(record: &impl Record, s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(None)?;
    record.fields(&mut Serde(&mut map))?;
    map.end()
}

/// The fast writer's fields.
struct Fast<'o, 'a>(&'o mut Object<'a>);

impl Writer for Fast<'_, '_> {
    type Error = Infallible;
    #[inline]
    fn field<V: Value + ?Sized>(&mut self, key: &'static str, value: &V) -> Result<(), Infallible> {
        self.0.field(key, value);
        Ok(())
    }
}

/// `Serialize`'s fields.
struct Serde<'m, M>(&'m mut M);

impl<M: SerializeMap> Writer for Serde<'_, M> {
    type Error = M::Error;
    #[inline]
    fn field<V: Value + ?Sized>(&mut self, key: &'static str, value: &V) -> Result<(), M::Error> {
        self.0.serialize_entry(key, value)
    }
}

/// A record as the value of a field: a nested object.
pub(crate) struct Nested<R>(pub(crate) R);

impl<R: Record> Serialize for Nested<R> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize(&self.0, s)
    }
}

impl<R: Record> Value for Nested<R> {
    fn write(&self, out: &mut Vec<u8>) {
        write_json(&self.0, out);
    }
}

/// The records a function lists, as the value of a field: an array of objects, made without collecting
/// them first.
pub(crate) struct Each<F>(pub(crate) F);

impl<F, I> Serialize for Each<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Record,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)().map(Nested))
    }
}

impl<F, I> Value for Each<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Record,
{
    fn write(&self, out: &mut Vec<u8>) {
        array(out, (self.0)(), |out, record| write_json(&record, out));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Inner(u32);

    impl Record for Inner {
        fn fields<W: Writer>(&self, out: &mut W) -> Result<(), W::Error> {
            out.field("n", &self.0)?;
            out.field("text", "a \"quoted\" é")
        }
    }

    struct Outer(Vec<u32>);

    impl Record for Outer {
        fn fields<W: Writer>(&self, out: &mut W) -> Result<(), W::Error> {
            out.field("first", &Nested(Inner(1)))?;
            out.field("all", &Each(|| self.0.iter().map(|&n| Inner(n))))?;
            out.field("none", &None::<&str>)
        }
    }

    #[test]
    fn both_writers_write_the_same_bytes() {
        for outer in [Outer(vec![]), Outer(vec![2, 3])] {
            let mut fast = Vec::new();
            write_json(&outer, &mut fast);
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                serde_json::to_string(&Nested(&outer)).unwrap()
            );
        }
    }
}
