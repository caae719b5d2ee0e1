//! The live page, `GET /`: legs by state, the last changes, ASR per attempt and ring time over the
//! last hour, stale legs, and a call's timeline on click; in the report's visual language (the same
//! chart and timeline code), kept current from `/changes` without a reload. Like every read of call
//! data, it needs the read token: a browser gives it as the password of HTTP Basic.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use callfold::{Leg, State as LegState};
use chrono::{DateTime, TimeDelta, Utc};

use super::Shared;
use super::routes::{error, json, unauthorized};
use crate::pictures::timeline;
use crate::report::{Figures, over_time_charts, placed_at};

/// The page: its script and style inline, and a policy that lets it reach nothing but this server.
const PAGE: &str = include_str!("live.html");

/// What the page asks for and how often the panel is drawn: at most so many changes listed, stale
/// legs listed, and changes sent with the panel when the page opens.
const STALE_LISTED: usize = 50;
const RECENT_SENT: usize = 50;

pub async fn page(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !shared.auth.read_allowed(&headers) {
        return unauthorized("Bearer");
    }
    let page = PAGE.replace("/*STYLE*/", crate::pictures::STYLE);
    let mut response = page.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
             connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
             frame-ancestors 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The panel the page draws: legs by state, the charts of the last hour, stale legs and the
/// recent changes, as JSON with the charts as SVG.
pub async fn panel(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !shared.auth.read_allowed(&headers) {
        return unauthorized("Bearer");
    }
    let shared_ = Arc::clone(&shared);
    // Walking every leg held is work for a blocking thread, not for the runtime's.
    let built = tokio::task::spawn_blocking(move || build_panel(&shared_, Utc::now())).await;
    match built {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("the panel could not be built: {e}"),
            None,
        ),
    }
}

fn state_index(state: LegState) -> usize {
    match state {
        LegState::Enqueued => 0,
        LegState::Ringing => 1,
        LegState::Answered => 2,
        LegState::Ended => 3,
    }
}

fn build_panel(shared: &Shared, now: DateTime<Utc>) -> String {
    let hour_ago = now - TimeDelta::hours(1);
    let tracker = shared.projection.read();
    let mut states = [0u64; 4];
    let mut parents: HashSet<&str> = HashSet::new();
    for leg in tracker.legs() {
        states[state_index(leg.state())] += 1;
        if placed_at(leg).is_some_and(|t| t >= hour_ago && t <= now)
            && let Some(parent) = leg.parent_call_id()
        {
            parents.insert(parent.as_str());
        }
    }
    let mut figures = Figures::new(TimeDelta::minutes(5)).without_calls();
    figures.cover(hour_ago, now);
    let mut parents: Vec<&str> = parents.into_iter().collect();
    parents.sort_unstable();
    for parent in parents {
        if let Some(call) = tracker.call(parent, now) {
            figures.add(&call, false);
        }
    }
    let stale = tracker.stale(now);
    let stale_listed: Vec<serde_json::Value> = stale
        .iter()
        .take(STALE_LISTED)
        .map(|(leg, why)| {
            serde_json::json!({
                "callId": leg.call_id().as_str(),
                "parentCallId": leg.parent_call_id().map(callfold::CallId::as_str),
                "state": state_name(leg),
                "reason": why.reason.code(),
            })
        })
        .collect();
    let (legs, stale_count) = (tracker.len(), stale.len());
    drop(stale);
    drop(tracker);
    let report = figures.finish();
    let [_, asr, ring] = over_time_charts(&report, "live");
    let recent: Vec<serde_json::Value> = shared
        .projection
        .recent(RECENT_SENT)
        .iter()
        .map(|c| {
            serde_json::json!({
                "position": c.position,
                "change": serde_json::from_str::<serde_json::Value>(&c.json).unwrap_or_default(),
            })
        })
        .collect();
    serde_json::json!({
        "now": now.to_rfc3339(),
        "legs": legs,
        "states": {
            "enqueued": states[0], "ringing": states[1], "answered": states[2], "ended": states[3],
        },
        "lastHour": {
            "attempts": report.totals.attempts,
            "asr": report.totals.asr,
            "ringP50Ms": report.totals.ring.p50_ms,
            "ringP95Ms": report.totals.ring.p95_ms,
        },
        "charts": { "asr": asr, "ring": ring },
        "staleCount": stale_count,
        "stale": stale_listed,
        "recent": recent,
    })
    .to_string()
}

fn state_name(leg: &Leg) -> &'static str {
    ["enqueued", "ringing", "answered", "ended"][state_index(leg.state())]
}

/// A call's timeline, as HTML: by the A-leg's id, or by the id of one of its legs.
pub async fn call(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !shared.auth.read_allowed(&headers) {
        return unauthorized("Bearer");
    }
    let now = Utc::now();
    let tracker = shared.projection.read();
    let parent = tracker
        .leg(&id)
        .and_then(|leg| leg.parent_call_id().map(|p| p.as_str().to_owned()))
        .unwrap_or_else(|| id.clone());
    let Some(call) = tracker.call(&parent, now) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("no call with callId {id:?}, and no leg of one"),
            None,
        );
    };
    let html = timeline::figure(&call);
    drop(call);
    drop(tracker);
    let mut response = html.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}
