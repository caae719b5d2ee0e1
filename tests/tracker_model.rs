//! A model-based test of the live tracker: a small reference model of what an app should see (legs
//! by state, redeliveries, calls' A-leg facts, retention, stale legs by evidence, the bound on legs)
//! drives the real [`Tracker`] through random runs of feeds, redeliveries, lost disconnects, removals,
//! sweeps and the clock moving on, and every update and every leg held must be the model's.

use std::collections::{BTreeMap, BTreeSet};

use callfold::{HistoryOptions, State, Tracker, Update};
use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

/// Ended legs, and calls no leg names, are kept this long (by the app's clock).
const RETENTION_S: i64 = 300;
/// The most legs held.
const MAX_LEGS: usize = 3;
/// Legs are `c-0` to `c-5`, of two calls, `c-a0` and `c-a1` (leg `n` of call `n % 2`).
const LEGS: u8 = 6;
/// How long a `transferDisconnect` may lag.
const STALE_S: i64 = 330;
/// The longest call assumed.
const MAX_CALL_S: i64 = 1_800;
/// The times the callbacks carry, in seconds after the clock's start: every leg starts at 0 and
/// answers at 5; a call's `transferComplete` is at 90, its A-leg's end at 120.
const ANSWER_S: i64 = 5;
const COMPLETE_S: i64 = 90;
const CALL_END_S: i64 = 120;

/// A callback body of one leg, by what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Body {
    /// An event type no list names: the leg rings, no more.
    Ringing,
    Answer,
    Redirect,
    Disconnect {
        busy: bool,
    },
}

fn time(seconds: i64) -> String {
    callfold::format_timestamp(&(start() + TimeDelta::seconds(seconds)))
}

fn start() -> DateTime<Utc> {
    callfold::parse_timestamp("2026-01-01T00:00:00Z").unwrap()
}

impl Body {
    fn json(self, leg: u8) -> String {
        let common = format!(
            r#""callId":"c-{leg}","parentCallId":"c-a{}","startTime":"{}""#,
            leg % 2,
            time(0)
        );
        match self {
            Body::Ringing => format!(r#"{{"eventType":"transferRinging",{common}}}"#),
            Body::Answer => format!(
                r#"{{"eventType":"transferAnswer",{common},"answerTime":"{}"}}"#,
                time(ANSWER_S)
            ),
            Body::Redirect => format!(r#"{{"eventType":"redirect",{common}}}"#),
            Body::Disconnect { busy } => format!(
                r#"{{"eventType":"transferDisconnect",{common},"endTime":"{}","cause":"{}"}}"#,
                time(60),
                if busy { "busy" } else { "hangup" }
            ),
        }
    }
}

/// A callback of a call's A-leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallBody {
    Complete,
    Disconnect,
}

impl CallBody {
    fn json(self, call: u8) -> String {
        match self {
            CallBody::Complete => format!(
                r#"{{"eventType":"transferComplete","callId":"c-a{call}","eventTime":"{}","cause":"hangup"}}"#,
                time(COMPLETE_S)
            ),
            CallBody::Disconnect => format!(
                r#"{{"eventType":"disconnect","callId":"c-a{call}","endTime":"{}","cause":"hangup"}}"#,
                time(CALL_END_S)
            ),
        }
    }
}

#[derive(Debug, Clone)]
enum Transition {
    /// The clock moves on by `after` seconds, then a leg's callback arrives (perhaps again).
    Feed { leg: u8, body: Body, after: i64 },
    /// The clock moves on, then a call's A-leg callback arrives.
    FeedCall {
        call: u8,
        body: CallBody,
        after: i64,
    },
    /// The app removes a leg.
    Remove { leg: u8 },
    /// The clock moves on, and the app evicts what retention says.
    Evict { after: i64 },
    /// The clock moves on, and the app sweeps the stale legs.
    Sweep { after: i64 },
}

/// What the model knows of one leg.
#[derive(Debug, Clone, Default)]
struct ModelLeg {
    bodies: BTreeSet<Body>,
    /// When it ended (by the clock), and in which order among the ends.
    ended: Option<(i64, u64)>,
}

impl ModelLeg {
    fn state(&self) -> State {
        if self
            .bodies
            .iter()
            .any(|b| matches!(b, Body::Disconnect { .. }))
        {
            State::Ended
        } else if self.bodies.contains(&Body::Answer) || self.bodies.contains(&Body::Redirect) {
            State::Answered
        } else {
            State::Ringing
        }
    }
}

/// What the model knows of one call's A-leg.
#[derive(Debug, Clone, Default)]
struct ModelCall {
    complete: bool,
    disconnect: bool,
    /// When it was last heard of, or judged again for eviction.
    heard: i64,
}

/// The reference: legs and calls as the app should see them, a clock, and what the last transition
/// should have answered.
#[derive(Debug, Clone, Default)]
struct Model {
    now: i64,
    legs: BTreeMap<u8, ModelLeg>,
    calls: BTreeMap<u8, ModelCall>,
    ends: u64,
    expected: Option<Expected>,
}

/// A leg dropped as stale, and the rule's code.
type SweptLeg = (u8, &'static str);

/// What the tracker must answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expected {
    Leg {
        leg: u8,
        previous: Option<State>,
        state: State,
        duplicate: bool,
        swept: Vec<SweptLeg>,
    },
    Refused {
        leg: u8,
    },
    Call,
    Removed(bool),
    Evicted(usize),
    Swept(Vec<SweptLeg>),
}

impl Model {
    /// Evicts the legs that ended at least the retention ago, and the calls heard of that long ago that
    /// no leg names (one that a leg names is judged again a retention later); says how many legs.
    fn evict(&mut self) -> usize {
        let now = self.now;
        let before = self.legs.len();
        self.legs
            .retain(|_, leg| leg.ended.is_none_or(|(at, _)| at + RETENTION_S > now));
        let named: BTreeSet<u8> = self.legs.keys().map(|leg| leg % 2).collect();
        self.calls.retain(|id, call| {
            if call.heard + RETENTION_S > now {
                true
            } else if named.contains(id) {
                call.heard = now;
                true
            } else {
                false
            }
        });
        before - self.legs.len()
    }

    /// The rule's code, if the leg is stale now.
    fn stale(&self, id: u8, leg: &ModelLeg) -> Option<&'static str> {
        let since = |t: i64| self.now - t;
        match leg.state() {
            State::Ended | State::Enqueued => None,
            State::Ringing => (since(0) > STALE_S).then_some("unanswered"),
            State::Answered => {
                let answered_at = if leg.bodies.contains(&Body::Answer) {
                    ANSWER_S
                } else {
                    0
                };
                let call = self.calls.get(&(id % 2));
                let ended = [
                    call.filter(|c| c.complete).map(|_| COMPLETE_S),
                    call.filter(|c| c.disconnect).map(|_| CALL_END_S),
                ]
                .into_iter()
                .flatten()
                .min();
                if ended.is_some_and(|t| since(t) > STALE_S) {
                    Some("call-ended")
                } else if since(answered_at) > MAX_CALL_S {
                    Some("too-long")
                } else {
                    None
                }
            }
        }
    }

    fn sweep(&mut self) -> Vec<SweptLeg> {
        let swept: Vec<SweptLeg> = self
            .legs
            .iter()
            .filter_map(|(id, leg)| self.stale(*id, leg).map(|code| (*id, code)))
            .collect();
        for (id, _) in &swept {
            self.legs.remove(id);
        }
        swept
    }

    /// Makes room for a new leg: the leg that ended first goes, or else the stale legs. `None` when
    /// neither makes room.
    fn make_room(&mut self) -> Option<Vec<SweptLeg>> {
        let first = self
            .legs
            .iter()
            .filter_map(|(id, leg)| leg.ended.map(|(_, order)| (order, *id)))
            .min();
        if let Some((_, id)) = first {
            self.legs.remove(&id);
            return Some(Vec::new());
        }
        let swept = self.sweep();
        (!swept.is_empty()).then_some(swept)
    }

    fn heard(&mut self, call: u8) -> &mut ModelCall {
        let now = self.now;
        let call = self.calls.entry(call).or_default();
        call.heard = now;
        call
    }
}

struct TrackerModel;

impl ReferenceStateMachine for TrackerModel {
    type State = Model;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::default()).boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Transition> {
        let body = prop_oneof![
            Just(Body::Ringing),
            Just(Body::Answer),
            Just(Body::Redirect),
            any::<bool>().prop_map(|busy| Body::Disconnect { busy }),
        ];
        let call_body = prop_oneof![Just(CallBody::Complete), Just(CallBody::Disconnect)];
        let after = prop_oneof![3 => 0..30i64, 2 => 0..400i64, 1 => 0..2_000i64];
        // Redeliveries are likely: a leg that is held gets one of its own bodies again.
        let held: Vec<(u8, Body)> = state
            .legs
            .iter()
            .flat_map(|(id, leg)| leg.bodies.iter().map(move |b| (*id, *b)))
            .collect();
        let again = if held.is_empty() {
            Just(Transition::Evict { after: 0 }).boxed()
        } else {
            (proptest::sample::select(held), after.clone())
                .prop_map(|((leg, body), after)| Transition::Feed { leg, body, after })
                .boxed()
        };
        prop_oneof![
            6 => (0..LEGS, body, after.clone()).prop_map(|(leg, body, after)| Transition::Feed { leg, body, after }),
            3 => again,
            2 => (0..2u8, call_body, after.clone()).prop_map(|(call, body, after)| Transition::FeedCall { call, body, after }),
            1 => (0..LEGS).prop_map(|leg| Transition::Remove { leg }),
            1 => after.clone().prop_map(|after| Transition::Evict { after }),
            1 => after.prop_map(|after| Transition::Sweep { after }),
        ]
        .boxed()
    }

    fn apply(mut state: Model, transition: &Transition) -> Model {
        state.expected = Some(match *transition {
            Transition::Feed { leg, body, after } => {
                state.now += after;
                state.evict();
                let swept = if !state.legs.contains_key(&leg) && state.legs.len() >= MAX_LEGS {
                    let Some(swept) = state.make_room() else {
                        state.expected = Some(Expected::Refused { leg });
                        return state;
                    };
                    swept
                } else {
                    Vec::new()
                };
                state.heard(leg % 2);
                let previous = state.legs.get(&leg).map(ModelLeg::state);
                let now = state.now;
                let ends = &mut state.ends;
                let held = state.legs.entry(leg).or_default();
                let duplicate = !held.bodies.insert(body);
                let state_now = held.state();
                if state_now == State::Ended && held.ended.is_none() {
                    *ends += 1;
                    held.ended = Some((now, *ends));
                }
                Expected::Leg {
                    leg,
                    previous,
                    state: state_now,
                    duplicate,
                    swept,
                }
            }
            Transition::FeedCall { call, body, after } => {
                state.now += after;
                state.evict();
                let call = state.heard(call);
                match body {
                    CallBody::Complete => call.complete = true,
                    CallBody::Disconnect => call.disconnect = true,
                }
                Expected::Call
            }
            Transition::Remove { leg } => Expected::Removed(state.legs.remove(&leg).is_some()),
            Transition::Evict { after } => {
                state.now += after;
                Expected::Evicted(state.evict())
            }
            Transition::Sweep { after } => {
                state.now += after;
                Expected::Swept(state.sweep())
            }
        });
        state
    }
}

struct TrackerTest;

/// The tracker under test.
struct Sut {
    tracker: Tracker,
}

fn swept_legs(swept: &[callfold::Swept]) -> Vec<SweptLeg> {
    swept
        .iter()
        .map(|s| {
            let id = s.leg.call_id().as_str()[2..].parse().unwrap();
            (id, s.stale.reason.code())
        })
        .collect()
}

impl StateMachineTest for TrackerTest {
    type SystemUnderTest = Sut;
    type Reference = TrackerModel;

    fn init_test(_: &Model) -> Sut {
        let options = HistoryOptions {
            stale_after: TimeDelta::seconds(STALE_S),
            max_call: TimeDelta::seconds(MAX_CALL_S),
            ..HistoryOptions::default()
        };
        Sut {
            tracker: Tracker::new()
                .with_retention(TimeDelta::seconds(RETENTION_S))
                .with_max_legs(MAX_LEGS)
                .with_options(options),
        }
    }

    fn apply(mut sut: Sut, model: &Model, transition: Transition) -> Sut {
        let now = start() + TimeDelta::seconds(model.now);
        let got = match transition {
            Transition::Feed { leg, body, .. } => {
                match sut.tracker.feed_at(body.json(leg).as_bytes(), now).unwrap() {
                    Update::Leg(change) => {
                        assert_eq!(change.call_id.as_str(), format!("c-{leg}"));
                        Expected::Leg {
                            leg,
                            previous: change.previous,
                            state: change.state,
                            duplicate: change.duplicate,
                            swept: swept_legs(&change.swept),
                        }
                    }
                    Update::Refused { call_id, max_legs } => {
                        assert_eq!(
                            (call_id.as_str(), max_legs),
                            (format!("c-{leg}").as_str(), MAX_LEGS)
                        );
                        Expected::Refused { leg }
                    }
                    other => panic!("{other:?}"),
                }
            }
            Transition::FeedCall { call, body, .. } => {
                match sut
                    .tracker
                    .feed_at(body.json(call).as_bytes(), now)
                    .unwrap()
                {
                    Update::Call { call_id, .. } => {
                        assert_eq!(call_id.as_str(), format!("c-a{call}"));
                        Expected::Call
                    }
                    other => panic!("{other:?}"),
                }
            }
            Transition::Remove { leg } => {
                Expected::Removed(sut.tracker.remove(&format!("c-{leg}")).is_some())
            }
            Transition::Evict { .. } => Expected::Evicted(sut.tracker.evict(now)),
            Transition::Sweep { .. } => Expected::Swept(swept_legs(&sut.tracker.sweep(now))),
        };
        assert_eq!(Some(got), model.expected);
        sut
    }

    fn check_invariants(sut: &Sut, model: &Model) {
        let held: BTreeMap<String, State> = sut
            .tracker
            .legs()
            .map(|leg| (leg.call_id().to_string(), leg.state()))
            .collect();
        let expected: BTreeMap<String, State> = model
            .legs
            .iter()
            .map(|(id, leg)| (format!("c-{id}"), leg.state()))
            .collect();
        assert_eq!(held, expected);
        assert_eq!(sut.tracker.len(), model.legs.len());
        assert_eq!(sut.tracker.calls(), model.calls.len());
        for parent in ["c-a0", "c-a1"] {
            let ids: Vec<String> = sut
                .tracker
                .legs_of(parent)
                .iter()
                .map(|leg| leg.call_id().to_string())
                .collect();
            let expected: Vec<String> = expected
                .keys()
                .filter(|id| {
                    id[2..]
                        .parse::<u8>()
                        .is_ok_and(|n| format!("c-a{}", n % 2) == parent)
                })
                .cloned()
                .collect();
            assert_eq!(ids, expected, "legs of {parent}");
        }
        // The tracker never holds a stale leg it could not name, and names the model's.
        let now = start() + TimeDelta::seconds(model.now);
        let stale: Vec<SweptLeg> = sut
            .tracker
            .stale(now)
            .iter()
            .map(|(leg, s)| {
                (
                    leg.call_id().as_str()[2..].parse().unwrap(),
                    s.reason.code(),
                )
            })
            .collect();
        let expected: Vec<SweptLeg> = model
            .legs
            .iter()
            .filter_map(|(id, leg)| model.stale(*id, leg).map(|code| (*id, code)))
            .collect();
        assert_eq!(stale, expected);
    }
}

prop_state_machine! {
    #![proptest_config(Config {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/tracker_model.txt"))),
        ..Config::default()
    })]

    #[test]
    fn the_tracker_does_what_the_model_says(sequential 1..60 => TrackerTest);
}
