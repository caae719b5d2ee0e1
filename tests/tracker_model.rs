//! A model-based test of the live tracker: a small reference model of what an app should see (legs
//! by state, redeliveries, retention, the bound on legs) drives the real [`Tracker`] through random runs
//! of feeds, redeliveries, removals and the clock moving on, and every update and every leg held must
//! be the model's.

use std::collections::{BTreeMap, BTreeSet};

use callfold::{State, Tracker, Update};
use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

/// Ended legs are kept this long (by the app's clock).
const RETENTION_S: i64 = 300;
/// The most legs held.
const MAX_LEGS: usize = 3;
/// Legs are `c-0` to `c-5`, of two calls.
const LEGS: u8 = 6;

/// A callback body of one leg, by what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Body {
    Answer,
    Redirect,
    Disconnect { busy: bool },
}

impl Body {
    fn json(self, leg: u8) -> String {
        let common = format!(
            r#""callId":"c-{leg}","parentCallId":"c-a{}","startTime":"2026-01-01T00:00:00Z""#,
            leg % 2
        );
        match self {
            Body::Answer => format!(
                r#"{{"eventType":"transferAnswer",{common},"answerTime":"2026-01-01T00:00:05Z"}}"#
            ),
            Body::Redirect => format!(r#"{{"eventType":"redirect",{common}}}"#),
            Body::Disconnect { busy } => format!(
                r#"{{"eventType":"transferDisconnect",{common},"endTime":"2026-01-01T00:01:00Z","cause":"{}"}}"#,
                if busy { "busy" } else { "hangup" }
            ),
        }
    }
}

#[derive(Debug, Clone)]
enum Transition {
    /// The clock moves on by `after` seconds, then a leg's callback arrives (perhaps again).
    Feed { leg: u8, body: Body, after: i64 },
    /// The clock moves on, then an A-leg's `transferComplete` arrives: not a leg's.
    FeedComplete { after: i64 },
    /// The app removes a leg.
    Remove { leg: u8 },
    /// The clock moves on, and the app evicts what retention says.
    Evict { after: i64 },
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
        } else if !self.bodies.is_empty() {
            State::Answered
        } else {
            State::Ringing
        }
    }
}

/// The reference: legs as the app should see them, a clock, and what the last transition should have
/// answered.
#[derive(Debug, Clone, Default)]
struct Model {
    now: i64,
    legs: BTreeMap<u8, ModelLeg>,
    ends: u64,
    expected: Option<Expected>,
}

/// What the tracker must answer to a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expected {
    Leg {
        leg: u8,
        previous: Option<State>,
        state: State,
        duplicate: bool,
    },
    Refused {
        leg: u8,
    },
    NotALeg,
    Removed(bool),
    Evicted(usize),
}

impl Model {
    /// Evicts what ended at least the retention ago; says how many.
    fn evict(&mut self) -> usize {
        let now = self.now;
        let before = self.legs.len();
        self.legs
            .retain(|_, leg| leg.ended.is_none_or(|(at, _)| at + RETENTION_S > now));
        before - self.legs.len()
    }

    /// Makes room for a new leg: the leg that ended first goes. False when none has ended.
    fn make_room(&mut self) -> bool {
        let first = self
            .legs
            .iter()
            .filter_map(|(id, leg)| leg.ended.map(|(_, order)| (order, *id)))
            .min();
        match first {
            Some((_, id)) => {
                self.legs.remove(&id);
                true
            }
            None => false,
        }
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
            Just(Body::Answer),
            Just(Body::Redirect),
            any::<bool>().prop_map(|busy| Body::Disconnect { busy }),
        ];
        let after = prop_oneof![3 => 0..30i64, 1 => 0..400i64];
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
            1 => after.clone().prop_map(|after| Transition::FeedComplete { after }),
            1 => (0..LEGS).prop_map(|leg| Transition::Remove { leg }),
            1 => after.prop_map(|after| Transition::Evict { after }),
        ]
        .boxed()
    }

    fn apply(mut state: Model, transition: &Transition) -> Model {
        state.expected = Some(match *transition {
            Transition::Feed { leg, body, after } => {
                state.now += after;
                state.evict();
                if !state.legs.contains_key(&leg)
                    && state.legs.len() >= MAX_LEGS
                    && !state.make_room()
                {
                    state.expected = Some(Expected::Refused { leg });
                    return state;
                }
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
                }
            }
            Transition::FeedComplete { after } => {
                state.now += after;
                state.evict();
                Expected::NotALeg
            }
            Transition::Remove { leg } => Expected::Removed(state.legs.remove(&leg).is_some()),
            Transition::Evict { after } => {
                state.now += after;
                Expected::Evicted(state.evict())
            }
        });
        state
    }
}

struct TrackerTest;

/// The tracker and the instant its clock starts at.
struct Sut {
    tracker: Tracker,
    start: DateTime<Utc>,
}

impl Sut {
    fn now(&self, model: &Model) -> DateTime<Utc> {
        self.start + TimeDelta::seconds(model.now)
    }
}

impl StateMachineTest for TrackerTest {
    type SystemUnderTest = Sut;
    type Reference = TrackerModel;

    fn init_test(_: &Model) -> Sut {
        Sut {
            tracker: Tracker::new()
                .with_retention(TimeDelta::seconds(RETENTION_S))
                .with_max_legs(MAX_LEGS),
            start: callfold::parse_timestamp("2026-01-01T00:00:00Z").unwrap(),
        }
    }

    fn apply(mut sut: Sut, model: &Model, transition: Transition) -> Sut {
        let now = sut.now(model);
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
            Transition::FeedComplete { .. } => {
                let body = br#"{"eventType":"transferComplete","callId":"c-a0","cause":"hangup"}"#;
                match sut.tracker.feed_at(body, now).unwrap() {
                    Update::NotALeg { .. } => Expected::NotALeg,
                    other => panic!("{other:?}"),
                }
            }
            Transition::Remove { leg } => {
                Expected::Removed(sut.tracker.remove(&format!("c-{leg}")).is_some())
            }
            Transition::Evict { .. } => Expected::Evicted(sut.tracker.evict(now)),
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
