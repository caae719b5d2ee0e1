//! The traffic model: whole calls fold into what was planned, every fault gets its report, shrinking gives
//! small counterexamples, and the generator is deterministic and realistic.

// Ratios of small counts, and newline counts of small logs: precision and speed do not matter here.
#![allow(clippy::cast_precision_loss, clippy::naive_bytecount)]

use std::collections::BTreeSet;

use callfold::strategy::{Fate, Fault, Report, call_plan, faulty_call, log};
use callfold::{
    CallOutcome, GenerateOptions, History, HistoryOptions, LogReader, Outcome, State, Stats,
    generate,
};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestError, TestRunner};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/generator.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_planned_call_folds_into_what_was_planned(plan in call_plan()) {
        let mut history = History::new();
        for callback in plan.callbacks() {
            history.apply(&callback);
        }
        let calls = history.calls(&HistoryOptions::default());
        prop_assert_eq!(calls.len(), 1);
        let call = &calls[0];
        prop_assert_eq!(call.call_id, Some(&plan.call_id));
        prop_assert!(call.conflicts.is_empty());
        // One attempt per <Transfer>, with the same legs and the same winner.
        prop_assert_eq!(call.attempts.len(), plan.transfers.len());
        for (attempt, transfer) in call.attempts.iter().zip(&plan.transfers) {
            let got: BTreeSet<_> = attempt.legs.iter().map(|p| p.leg.call_id().clone()).collect();
            let want: BTreeSet<_> = transfer.legs.iter().map(|leg| leg.call_id.clone()).collect();
            prop_assert_eq!(got, want);
            let winner = transfer.legs.iter().find(|leg| leg.fate.answered()).map(|leg| &leg.call_id);
            prop_assert_eq!(attempt.winner, winner);
        }
        for leg in call.legs() {
            prop_assert!(leg.violations().is_empty(), "{:?}", leg.violations());
            prop_assert!(leg.conflicts().is_empty());
            prop_assert_eq!(leg.state(), State::Ended);
            let planned = plan.transfers.iter().flat_map(|t| &t.legs).find(|l| &l.call_id == leg.call_id()).unwrap();
            let outcome = match &planned.fate {
                Fate::Won { .. } => Outcome::Answered,
                Fate::LostRace => Outcome::Cancelled,
                Fate::Failed { cause, .. } => Outcome::of_unanswered(Some(cause)),
            };
            prop_assert_eq!(leg.outcome(), Some(outcome));
        }
        let connected = plan.transfers.iter().any(callfold::strategy::TransferPlan::connected);
        prop_assert_eq!(call.outcome == CallOutcome::Connected, connected);
        prop_assert_eq!(call.transfer_completes.len() + usize::from(connected && plan.transfers.last().unwrap().caller_hangs_up), plan.transfers.len());
    }

    #[test]
    fn every_fault_gets_its_report(faulty in proptest::sample::select(Fault::ALL.to_vec()).prop_flat_map(faulty_call)) {
        let mut history = History::new();
        let mut rejected = Vec::new();
        for (i, line) in faulty.lines.iter().enumerate() {
            match line.parse() {
                Ok(callback) => history.apply(&callback),
                Err(_) => rejected.push(i),
            }
        }
        let leg = |id: &callfold::CallId| history.legs().find(|leg| leg.call_id() == id).cloned();
        match &faulty.report {
            Report::Violation { leg: id, code } => {
                let codes: Vec<_> = leg(id).unwrap().violations().iter().map(callfold::Violation::code).collect();
                prop_assert!(codes.contains(code), "{:?} lacks {}", codes, code);
            }
            Report::Conflict { leg: id, field } => {
                let fields: Vec<_> = leg(id).unwrap().conflicts().iter().map(callfold::Conflict::field).collect();
                prop_assert_eq!(fields, vec![*field]);
            }
            Report::RejectedLine { index } => prop_assert_eq!(&rejected, &vec![*index]),
            Report::UnknownCause { leg: id, cause, outcome } => {
                let leg = leg(id).unwrap();
                prop_assert_eq!(leg.cause().map(callfold::Cause::as_str), Some(cause.as_str()));
                prop_assert_eq!(leg.outcome(), Some(*outcome));
                prop_assert!(leg.violations().is_empty());
            }
            Report::Accepted { event_type } => {
                prop_assert!(rejected.is_empty());
                let needle = format!("\"eventType\":\"{event_type}\"");
                prop_assert!(faulty.lines.iter().any(|l| l.contains(&needle)));
                prop_assert!(history.legs().all(|leg| leg.violations().is_empty() && leg.conflicts().is_empty()));
            }
            Report::Stale { leg: id, after } => {
                let leg = leg(id).unwrap();
                prop_assert_eq!(leg.state(), State::Answered);
                let just_before = HistoryOptions { as_of: Some(*after), ..HistoryOptions::default() };
                let after = HistoryOptions { as_of: Some(*after + chrono::TimeDelta::seconds(1)), ..HistoryOptions::default() };
                prop_assert!(history.stale(&leg, &just_before).is_none());
                prop_assert!(history.stale(&leg, &after).is_some());
            }
        }
        // Whatever the fault, only the faulty line is ever rejected.
        prop_assert!(rejected.len() <= usize::from(faulty.fault == Fault::MalformedLine));
    }
}

/// Every call of a history as JSON, without the redelivery counts.
fn calls_without_duplicates(history: &History) -> Vec<serde_json::Value> {
    history
        .calls(&HistoryOptions::default())
        .iter()
        .map(|call| {
            let mut value = serde_json::to_value(call).unwrap();
            for leg in value["legs"].as_array_mut().unwrap() {
                leg["duplicates"] = 0.into();
            }
            value
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..config() })]

    #[test]
    fn a_delivered_log_folds_like_its_calls_in_order(log in log(1..30)) {
        let mut delivered = History::new();
        for line in &log.lines {
            delivered.apply(&line.parse().unwrap());
        }
        let mut planned = History::new();
        for plan in &log.plans {
            for callback in plan.callbacks() {
                planned.apply(&callback);
            }
        }
        prop_assert_eq!(calls_without_duplicates(&delivered), calls_without_duplicates(&planned));
    }
}

#[test]
fn shrinking_gives_a_small_readable_counterexample() {
    // A property that is false for calls with a second <Transfer>: the counterexample must be the
    // smallest such call, two one-leg transfers.
    let mut runner = TestRunner::new(ProptestConfig {
        failure_persistence: None,
        max_shrink_iters: 100_000,
        ..ProptestConfig::default()
    });
    let result = runner.run(&call_plan(), |plan| {
        prop_assert!(plan.transfers.len() < 2);
        Ok(())
    });
    let Err(TestError::Fail(_, minimal)) = result else {
        panic!("the property should fail: {result:?}")
    };
    assert_eq!(minimal.transfers.len(), 2);
    assert!(
        minimal.transfers.iter().all(|t| t.legs.len() == 1),
        "{minimal:#?}"
    );
    assert!(
        minimal
            .transfers
            .iter()
            .flat_map(|t| &t.legs)
            .all(|leg| leg.queued_ms.is_none()),
        "{minimal:#?}"
    );
    // Small enough to read: a few dozen lines when printed.
    assert!(format!("{minimal:#?}").lines().count() < 80, "{minimal:#?}");
}

fn generated(options: &GenerateOptions) -> Vec<u8> {
    let mut out = Vec::new();
    generate(options, &mut out).unwrap();
    out
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let options = GenerateOptions {
        calls: 300,
        seed: 9,
        faults: 0.2,
        ..GenerateOptions::default()
    };
    assert_eq!(generated(&options), generated(&options));
    assert_ne!(
        generated(&options),
        generated(&GenerateOptions {
            seed: 10,
            ..options
        })
    );
}

/// The distinct callbacks of a log, as callfold reads them.
fn distinct_callbacks(log: &[u8]) -> BTreeSet<String> {
    LogReader::new(log)
        .map(|item| item.unwrap().1.to_json())
        .collect()
}

#[test]
fn perturbed_deliveries_carry_the_same_callbacks() {
    let options = GenerateOptions {
        calls: 400,
        seed: 3,
        ..GenerateOptions::default()
    };
    let perturbed = generated(&options);
    let clean = generated(&GenerateOptions {
        perturb: false,
        ..options
    });
    assert_eq!(distinct_callbacks(&perturbed), distinct_callbacks(&clean));
    let (p, c) = (
        perturbed.iter().filter(|b| **b == b'\n').count(),
        clean.iter().filter(|b| **b == b'\n').count(),
    );
    assert!(
        p > c,
        "some callbacks are redelivered: {p} lines against {c}"
    );
    // Clean deliveries come in time order; perturbed ones do not.
    let times = |log: &[u8]| -> Vec<_> {
        LogReader::new(log)
            .map(|i| i.unwrap().1.event_time)
            .collect()
    };
    assert!(times(&clean).windows(2).all(|w| w[0] <= w[1]));
    assert!(!times(&perturbed).windows(2).all(|w| w[0] <= w[1]));
    // null, "" and other timestamp shapes are in there.
    let text = String::from_utf8(perturbed).unwrap();
    assert!(
        text.contains(":null")
            && text.contains(":\"\"")
            && text.contains("+00:00")
            && text.contains("-05:00")
    );
}

#[test]
fn default_traffic_looks_like_real_traffic() {
    let log = generated(&GenerateOptions {
        calls: 3_000,
        seed: 1,
        ..GenerateOptions::default()
    });
    let mut history = History::new();
    for item in LogReader::new(log.as_slice()) {
        history.apply(&item.unwrap().1);
    }
    let options = HistoryOptions::default();
    let calls = history.calls(&options);
    let attempts: Vec<_> = calls.iter().flat_map(|c| &c.attempts).collect();
    let connected =
        attempts.iter().filter(|a| a.winner.is_some()).count() as f64 / attempts.len() as f64;
    assert!(
        (0.65..0.75).contains(&connected),
        "{connected} of attempts connect"
    );
    let several = calls.iter().filter(|c| c.attempts.len() > 1).count() as f64 / calls.len() as f64;
    assert!(
        (0.1..0.25).contains(&several),
        "{several} of calls make several attempts"
    );

    let stats = Stats::of(&history, &options);
    let share = |o: Outcome| stats.outcomes.get(&o).copied().unwrap_or(0) as f64;
    let failed_legs = share(Outcome::Busy) + share(Outcome::NoAnswer) + share(Outcome::Rejected);
    let unanswered = stats.ended as f64 - share(Outcome::Answered) - share(Outcome::Cancelled);
    assert!(
        failed_legs / unanswered > 0.85,
        "busy, no answer and rejected cover most failures"
    );
    assert!(share(Outcome::Failed) > 0.0, "rare errors happen");
    assert!(stats.queue.count > 0, "some legs are queued");
    let ring_p50 = stats.ring.p50_ms.unwrap();
    assert!((2_000..25_000).contains(&ring_p50), "ring p50 {ring_p50}");
    // Long-tailed talk: the mean well above the median, the p95 far above it.
    let (mean, p50, p95) = (
        stats.talk.mean_ms.unwrap(),
        stats.talk.p50_ms.unwrap(),
        stats.talk.p95_ms.unwrap(),
    );
    assert!(
        mean > 2.0 * p50 as f64 && p95 > 10 * p50,
        "talk mean {mean} p50 {p50} p95 {p95}"
    );
    assert_eq!(stats.with_violations + stats.with_conflicts, 0);
}

#[test]
fn every_fault_in_a_generated_log_is_reported_with_its_code() {
    let mut log = Vec::new();
    let summary = generate(
        &GenerateOptions {
            calls: 500,
            seed: 2,
            faults: 0.5,
            ..GenerateOptions::default()
        },
        &mut log,
    )
    .unwrap();
    let mut reader = LogReader::new(log.as_slice());
    let mut history = History::new();
    let mut odd_events = 0;
    for (_, callback) in reader.by_ref().flatten() {
        odd_events += u64::from(callback.event.name() == "transferRinging");
        history.apply(&callback);
    }
    let count =
        |is: &dyn Fn(&callfold::Leg) -> bool| history.legs().filter(|leg| is(leg)).count() as u64;
    let has_code = |leg: &callfold::Leg, codes: &[&str]| {
        leg.violations().iter().any(|v| codes.contains(&v.code()))
    };
    let with = |fault| summary.calls_with(fault);
    assert!(
        Fault::ALL.iter().all(|fault| with(*fault) > 0),
        "{summary:?}"
    );
    assert_eq!(summary.faults.iter().sum::<u64>(), summary.faulty_calls);
    assert_eq!(reader.counts().rejected, with(Fault::MalformedLine));
    assert_eq!(odd_events, with(Fault::UnknownEventType));
    assert_eq!(
        count(&|leg| leg.cause().is_some_and(|c| c.as_str() == "carrier-glitch")),
        with(Fault::UnknownCause)
    );
    assert_eq!(
        count(&|leg| leg.conflicts().iter().any(|c| c.field() == "endTime")),
        with(Fault::ConflictingRedelivery)
    );
    assert_eq!(
        count(&|leg| !leg.conflicts().is_empty()),
        with(Fault::ConflictingRedelivery)
    );
    assert_eq!(
        count(&|leg| has_code(leg, &["answered-despite-cause"])),
        with(Fault::AnsweredDespiteCause)
    );
    assert_eq!(
        count(&|leg| has_code(leg, &["answered-before-start", "ended-before-start"])),
        with(Fault::TimeOrder)
    );
    assert_eq!(
        count(&|leg| !leg.violations().is_empty()),
        with(Fault::AnsweredDespiteCause) + with(Fault::TimeOrder)
    );
    // A day after the log, every leg whose transferDisconnect was dropped is stale; so is a leg whose
    // transferDisconnect was the line a malformed-line fault cut.
    let options = HistoryOptions {
        as_of: history
            .latest_time()
            .map(|t| t + chrono::TimeDelta::days(1)),
        ..HistoryOptions::default()
    };
    let stale = count(&|leg| history.stale(leg, &options).is_some());
    assert!(
        (with(Fault::DroppedDisconnect)
            ..=with(Fault::DroppedDisconnect) + with(Fault::MalformedLine))
            .contains(&stale),
        "{stale} stale legs for {summary:?}"
    );
}

/// A log cut off mid-day (a file still being written, or rotated) holds answered legs still talking,
/// whose transferDisconnect comes later: none of them may be reported stale. Judged by a single
/// timeout, as callfold did, each that talked longer than 330 s was.
#[test]
fn a_log_cut_off_mid_day_has_no_stale_leg_that_is_still_talking() {
    let mut log = Vec::new();
    generate(
        &GenerateOptions {
            calls: 3_000,
            seed: 4,
            cps: 1.0,
            ..GenerateOptions::default()
        },
        &mut log,
    )
    .unwrap();
    let lines: Vec<&[u8]> = log.split(|&b| b == b'\n').collect();
    let cut = &lines[..lines.len() / 2];
    let mut history = History::new();
    for (n, line) in (1..).zip(cut) {
        history.feed_line(n, line).unwrap();
    }
    let options = HistoryOptions::default();
    let as_of = history.latest_time().unwrap();
    let talking: Vec<&callfold::Leg> = history
        .legs()
        .filter(|leg| leg.state() == State::Answered)
        .collect();
    let talked_long = talking
        .iter()
        .filter(|leg| as_of - leg.answer_time().unwrap() > options.stale_after)
        .count();
    assert!(
        talked_long > 50,
        "{talked_long} legs talking for over 330 s at the cut"
    );
    let stale: Vec<_> = history
        .legs()
        .filter_map(|leg| history.stale(leg, &options))
        .collect();
    assert!(stale.is_empty(), "{stale:?}");
}
