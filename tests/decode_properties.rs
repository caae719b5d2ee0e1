//! The decoder is loose exactly where Bandwidth is: the same callback written any of the ways Bandwidth
//! writes it decodes to the same value.

use callfold::Callback;
use callfold::strategy::leg_history;
use chrono::{DateTime, FixedOffset, Timelike, Utc};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Map, Value};

const OPTIONAL: [&str; 18] = [
    "eventTime",
    "accountId",
    "applicationId",
    "from",
    "to",
    "direction",
    "parentCallId",
    "callUrl",
    "tag",
    "transferCallerId",
    "transferTo",
    "enqueuedTime",
    "startTime",
    "answerTime",
    "endTime",
    "cause",
    "errorMessage",
    "errorId",
];
const TIMES: [&str; 5] = [
    "eventTime",
    "enqueuedTime",
    "startTime",
    "answerTime",
    "endTime",
];

/// How to write one body: per optional field, what to put when it is absent (0 leave out, 1 null, 2 "");
/// per timestamp, an offset in minutes and extra fraction digits; and unknown fields to add.
#[derive(Debug, Clone)]
struct Style {
    absent: Vec<u8>,
    offsets: Vec<i32>,
    extra_digits: Vec<u32>,
    unknown: Vec<(String, Value)>,
}

fn style() -> impl Strategy<Value = Style> {
    let unknown_value = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        "[ -~]{0,10}".prop_map(Value::from),
        Just(serde_json::json!({"value": "human", "duration": "PT5.045329368S"})),
        Just(serde_json::json!({})),
    ];
    (
        proptest::collection::vec(0..3u8, OPTIONAL.len()),
        proptest::collection::vec(prop_oneof![Just(0), -720..=840i32], TIMES.len()),
        proptest::collection::vec(0..=9u32, TIMES.len()),
        proptest::collection::vec(("x[a-zA-Z]{1,12}", unknown_value), 0..4),
    )
        .prop_map(|(absent, offsets, extra_digits, unknown)| Style {
            absent,
            offsets,
            extra_digits,
            unknown,
        })
}

/// The instant written with the given offset and at least as many fraction digits as it needs.
fn write_time(t: DateTime<Utc>, offset_minutes: i32, extra_digits: u32) -> String {
    let offset = FixedOffset::east_opt(offset_minutes * 60).unwrap();
    let local = t.with_timezone(&offset);
    let nanos = t.nanosecond();
    let needed = (0..=9)
        .find(|d| nanos.is_multiple_of(10u32.pow(9 - d)))
        .unwrap();
    let digits = (needed + extra_digits).min(9);
    let mut text = local.format("%Y-%m-%dT%H:%M:%S").to_string();
    if digits > 0 {
        let fraction = nanos / 10u32.pow(9 - digits);
        text = format!("{text}.{fraction:0width$}", width = digits as usize);
    }
    if offset_minutes == 0 && extra_digits.is_multiple_of(2) {
        text.push('Z');
    } else {
        text.push_str(&local.format("%:z").to_string());
    }
    text
}

fn rewrite(callback: &Callback, style: &Style) -> String {
    let Value::Object(fields) = serde_json::to_value(callback).unwrap() else {
        unreachable!()
    };
    let mut body = Map::new();
    for (i, field) in OPTIONAL.iter().enumerate() {
        match (fields.get(*field), style.absent[i]) {
            (Some(value), _) => {
                let value = match TIMES.iter().position(|t| t == field) {
                    Some(k) => {
                        let t: DateTime<Utc> = value.as_str().unwrap().parse().unwrap();
                        Value::from(write_time(t, style.offsets[k], style.extra_digits[k]))
                    }
                    None => value.clone(),
                };
                body.insert((*field).to_owned(), value);
            }
            (None, 1) => {
                body.insert((*field).to_owned(), Value::Null);
            }
            (None, 2) => {
                body.insert((*field).to_owned(), Value::from(""));
            }
            (None, _) => {}
        }
    }
    for (key, value) in &style.unknown {
        body.insert(key.clone(), value.clone());
    }
    body.insert("callId".into(), fields["callId"].clone());
    body.insert("eventType".into(), fields["eventType"].clone());
    Value::Object(body).to_string()
}

/// A one-level object like the bodies Bandwidth sends: mostly with an `eventType` and a `callId`, then
/// known and unknown keys (repeated ones among them), values of every JSON type (strings with escapes
/// and control characters among them), white space around the colons, and often one byte put in
/// anywhere.
fn flat_body() -> impl Strategy<Value = Vec<u8>> {
    let text = prop_oneof![
        6 => "\\PC{0,16}".prop_map(|text| serde_json::to_string(&text).unwrap()),
        1 => "[\\x00-\\x7f]{0,6}".prop_map(|raw| format!("\"{raw}\"")),
        1 => proptest::sample::select(&["null", "\"\"", "1", "-2.5e3", "true", "{}", "[1,{\"a\":null}]"][..])
            .prop_map(str::to_owned),
    ];
    let time = proptest::sample::select(
        &[
            "\"2026-01-01T00:00:00Z\"",
            "\"2026-01-01T01:00:00.5+01:00\"",
            "\"2019-13-01T00:00:00Z\"",
            "null",
        ][..],
    )
    .prop_map(str::to_owned);
    let pair = prop_oneof![
        4 => (proptest::sample::select(&["tag", "cause", "transferTo", "from", "parentCallId", "direction"][..]), text.clone())
            .prop_map(|(key, value)| (key.to_owned(), value)),
        1 => (proptest::sample::select(&TIMES[..]), time).prop_map(|(key, value)| (key.to_owned(), value)),
        1 => ("[a-zA-Z]{1,8}", text),
    ];
    let head = proptest::option::weighted(
        0.8,
        (
            proptest::sample::select(&["transferAnswer", "transferDisconnect", "redirect"][..]),
            0..100u8,
        ),
    );
    (
        head,
        proptest::collection::vec(pair, 0..8),
        proptest::sample::select(&["", " ", "\t", "\r\n"][..]),
        proptest::option::weighted(0.3, (any::<prop::sample::Index>(), any::<u8>())),
    )
        .prop_map(|(head, pairs, space, damage)| {
            let mut pairs: Vec<String> = pairs
                .iter()
                .map(|(key, value)| format!("\"{key}\"{space}:{space}{value}"))
                .collect();
            if let Some((event_type, id)) = head {
                pairs.insert(
                    0,
                    format!(r#""eventType":"{event_type}","callId":"c-{id}""#),
                );
            }
            let mut body = format!("{{{}}}", pairs.join(",")).into_bytes();
            if let Some((at, byte)) = damage {
                body.insert(at.index(body.len() + 1), byte);
            }
            body
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/decode_properties.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_way_of_writing_a_callback_decodes_to_it(history in leg_history(), style in style()) {
        for callback in &history.callbacks {
            let body = rewrite(callback, &style);
            let decoded: Callback = body.parse().map_err(|e| TestCaseError::fail(format!("{e}: {body}")))?;
            prop_assert_eq!(&decoded, callback, "{}", body);
        }
    }

    /// The fast decoder (the flat scanner, then serde_json for what it hands over) gives what serde_json
    /// alone gives, errors included, on any bytes: random ones, and flat bodies like Bandwidth's with
    /// every kind of value, broken at one byte or not.
    #[test]
    fn the_fast_decoder_agrees_with_serde_on_any_bytes(
        bytes in prop_oneof![proptest::collection::vec(any::<u8>(), 0..256), flat_body()],
    ) {
        let fast = Callback::from_slice(&bytes);
        prop_assert_eq!(&fast, &Callback::from_slice_with_serde(&bytes), "{}", String::from_utf8_lossy(&bytes));
        prop_assert_eq!(Callback::validate(&bytes).is_ok(), fast.is_ok());
    }

    #[test]
    fn arbitrary_strings_in_every_field_never_panic(history in leg_history(), field in 0..OPTIONAL.len(), text in "\\PC{0,40}") {
        let Value::Object(mut fields) = serde_json::to_value(&history.callbacks[0]).unwrap() else { unreachable!() };
        fields.insert(OPTIONAL[field].to_owned(), Value::from(text));
        match Value::Object(fields).to_string().parse::<Callback>() {
            Ok(callback) => prop_assert_eq!(&callback.call_id, &history.call_id),
            Err(error) => prop_assert_eq!(error.field(), Some(OPTIONAL[field])),
        }
    }
}
