//! The endpoints. Callbacks need HTTP Basic credentials, reads the bearer token; `/healthz` and
//! `/readyz` need nothing.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use callfold::Callback;
use chrono::Utc;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::Shared;
use super::metrics::Outcome;
use super::projection::{Change, change_json};

type Shared_ = State<Arc<Shared>>;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/callbacks", any(callback))
        .route("/callbacks/{*rest}", any(callback))
        .route("/legs", get(legs))
        .route("/legs/{call_id}", get(leg))
        .route("/calls/{call_id}", get(call))
        .route("/changes", get(changes))
        .route("/metrics", get(metrics))
        .route("/", get(super::live::page))
        .route("/live/panel", get(super::live::panel))
        .route("/live/calls/{call_id}", get(super::live::call))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "no such endpoint; see docs/serve.md",
                None,
            )
        })
        .with_state(shared)
}

/// A JSON error: `{"error": "...", "field": "..."}`.
pub(super) fn error(status: StatusCode, message: &str, field: Option<&str>) -> Response {
    let mut body = serde_json::json!({ "error": message });
    if let Some(field) = field {
        body["field"] = field.into();
    }
    json(status, body.to_string())
}

pub(super) fn json(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub(super) fn unauthorized(scheme: &'static str) -> Response {
    let mut response = error(
        StatusCode::UNAUTHORIZED,
        if scheme == "Basic" {
            "callbacks need HTTP Basic credentials (CALLFOLD_USERNAME/CALLFOLD_PASSWORD)"
        } else {
            "reads need `Authorization: Bearer <CALLFOLD_API_TOKEN>` (a browser: HTTP Basic with the \
             token as the password)"
        },
        None,
    );
    let headers = response.headers_mut();
    if scheme == "Basic" {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"callfold\", charset=\"UTF-8\""),
        );
    } else {
        // Both: programs send the bearer token, and a browser, which cannot, asks its user for the
        // token as a Basic password (any user name) and sends it on every read of the live page.
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"callfold\""),
        );
        headers.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"callfold reads\", charset=\"UTF-8\""),
        );
    }
    response
}

async fn callback(
    State(shared): Shared_,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !shared.auth.callback_allowed(&headers) {
        shared.metrics.callback("unknown", Outcome::Unauthorized);
        return unauthorized("Basic");
    }
    let bytes = if method == Method::GET {
        match query_body(&uri) {
            Ok(bytes) => bytes,
            Err(message) => return error(StatusCode::BAD_REQUEST, &message, None),
        }
    } else if method == Method::POST || method == Method::PUT {
        let limited = Limited::new(body, shared.max_body);
        match tokio::time::timeout(shared.body_timeout, limited.collect()).await {
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
                shared.metrics.callback("unknown", Outcome::TooLarge);
                return error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("the body is over --max-body ({} bytes)", shared.max_body),
                    None,
                );
            }
            Ok(Err(e)) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("reading the body failed: {e}"),
                    None,
                );
            }
            Err(_) => {
                return error(
                    StatusCode::REQUEST_TIMEOUT,
                    "the body did not arrive within --body-timeout",
                    None,
                );
            }
        }
    } else {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "callbacks are POST (or GET with query parameters)",
            None,
        );
    };
    if shared.bare {
        return StatusCode::NO_CONTENT.into_response();
    }
    let callback = match Callback::from_slice(&bytes) {
        Ok(callback) => callback,
        Err(decode) => return refuse(&shared, bytes, &uri, &decode).await,
    };
    let event_type = callback.event.name().to_owned();
    let call = callback
        .parent_call_id
        .as_ref()
        .unwrap_or(&callback.call_id)
        .as_str()
        .to_owned();
    let position = match shared.log.append(bytes.clone(), &call).await {
        Ok(position) => position,
        Err(failure) => {
            shared.metrics.callback(&event_type, Outcome::Unavailable);
            eprintln!("callfold serve: error: {failure}");
            return error(StatusCode::SERVICE_UNAVAILABLE, &failure, None);
        }
    };
    shared.metrics.callback(&event_type, Outcome::Stored);
    // A read after the 204 sees this callback; during the start-up replay it is folded after it.
    if shared.projection.is_ready() {
        shared
            .projection
            .applied(position, Duration::from_secs(5))
            .await;
    }
    match &shared.forward {
        Some(forward) => {
            let body = if method == Method::GET {
                Bytes::new()
            } else {
                bytes
            };
            forward.relay(method, &uri, &headers, body).await
        }
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

/// A body that is not a callback: kept in the rejects, answered 400 with the decoder's message.
async fn refuse(
    shared: &Arc<Shared>,
    bytes: Bytes,
    uri: &Uri,
    decode: &callfold::DecodeError,
) -> Response {
    let message = decode.to_string();
    let field = decode.field();
    let kept = shared
        .log
        .reject(
            bytes,
            vec![
                ("error", message.clone()),
                ("field", field.unwrap_or("").to_owned()),
                ("path", uri.path().to_owned()),
            ],
        )
        .await;
    shared.metrics.callback("unknown", Outcome::Invalid);
    match kept {
        Ok(()) => error(StatusCode::BAD_REQUEST, &message, field),
        Err(e) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "the body is not a callback ({message}), and keeping it in the rejects failed: {e}"
            ),
            field,
        ),
    }
}

/// A callback sent as GET (`...Method="GET"`): its query parameters as the equivalent JSON body.
fn query_body(uri: &Uri) -> Result<Bytes, String> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map_err(|e| format!("the query is not form-encoded: {e}"))?;
    if pairs.is_empty() {
        return Err("a GET callback carries its fields as query parameters; there are none".into());
    }
    let object: serde_json::Map<String, serde_json::Value> = pairs
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    serde_json::to_vec(&object)
        .map(Bytes::from)
        .map_err(|e| e.to_string())
}

#[derive(serde::Deserialize)]
struct LegQuery {
    parent: Option<String>,
    state: Option<String>,
    limit: Option<usize>,
}

async fn legs(
    State(shared): Shared_,
    headers: HeaderMap,
    query: Result<Query<LegQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if !shared.auth.read_allowed(&headers) {
        return unauthorized("Bearer");
    }
    let query = match query {
        Ok(Query(query)) => query,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("the query takes parent, state and limit: {e}"),
                None,
            );
        }
    };
    let state = match query.state.as_deref() {
        None => None,
        Some(name) => match ["enqueued", "ringing", "answered", "ended"]
            .iter()
            .position(|s| *s == name)
        {
            Some(i) => Some(i),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("state {name:?} is not one of enqueued, ringing, answered, ended"),
                    Some("state"),
                );
            }
        },
    };
    let limit = query.limit.unwrap_or(10_000);
    let tracker = shared.projection.read();
    let mut chosen: Vec<&callfold::Leg> = match &query.parent {
        Some(parent) => tracker.legs_of(parent),
        None => tracker.legs().collect(),
    };
    if let Some(state) = state {
        chosen.retain(|leg| {
            state_name(leg.state()) == ["enqueued", "ringing", "answered", "ended"][state]
        });
    }
    chosen.sort_by(|a, b| a.call_id().cmp(b.call_id()));
    let mut out = Vec::from(&b"["[..]);
    for (i, leg) in chosen.iter().take(limit).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        leg.write_json(&mut out);
    }
    out.push(b']');
    json(StatusCode::OK, String::from_utf8_lossy(&out).into_owned())
}

fn state_name(state: callfold::State) -> &'static str {
    match state {
        callfold::State::Enqueued => "enqueued",
        callfold::State::Ringing => "ringing",
        callfold::State::Answered => "answered",
        callfold::State::Ended => "ended",
    }
}

async fn leg(State(shared): Shared_, headers: HeaderMap, Path(call_id): Path<String>) -> Response {
    if !shared.auth.read_allowed(&headers) {
        return unauthorized("Bearer");
    }
    let tracker = shared.projection.read();
    match tracker.leg(&call_id) {
        Some(leg) => {
            let mut out = Vec::new();
            leg.write_json(&mut out);
            json(StatusCode::OK, String::from_utf8_lossy(&out).into_owned())
        }
        None => error(
            StatusCode::NOT_FOUND,
            &format!("no leg with callId {call_id:?}"),
            None,
        ),
    }
}

async fn call(State(shared): Shared_, headers: HeaderMap, Path(call_id): Path<String>) -> Response {
    if !shared.auth.read_allowed(&headers) {
        return unauthorized("Bearer");
    }
    let tracker = shared.projection.read();
    match tracker.call(&call_id, Utc::now()) {
        Some(call) => {
            let mut out = Vec::new();
            call.write_json(&mut out);
            json(StatusCode::OK, String::from_utf8_lossy(&out).into_owned())
        }
        None => error(
            StatusCode::NOT_FOUND,
            &format!("no call with callId {call_id:?}"),
            None,
        ),
    }
}

async fn metrics(State(shared): Shared_, headers: HeaderMap) -> Response {
    if !shared.auth.read_allowed(&headers) {
        return unauthorized("Bearer");
    }
    let mut response = shared.metrics.render(&shared).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

async fn readyz(State(shared): Shared_) -> Response {
    let replayed = shared.projection.is_ready();
    let connected = shared.log.connected();
    let ready = replayed && connected;
    let body = serde_json::json!({
        "ready": ready,
        "replayed": replayed,
        "logConnected": connected,
        "nextPosition": shared.projection.next_position(),
    })
    .to_string();
    json(
        if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        body,
    )
}

/// `/changes`: one event per applied callback, `id` = its position. With `Last-Event-ID: N`, every
/// change after position N first (from the recent ones kept, or folded again from the log), then the
/// new ones, each once.
async fn changes(State(shared): Shared_, headers: HeaderMap) -> Response {
    if !shared.auth.read_allowed(&headers) {
        return unauthorized("Bearer");
    }
    let after = match headers
        .get("last-event-id")
        .map(|v| v.to_str().map(str::parse::<u64>))
    {
        None => None,
        Some(Ok(Ok(after))) => Some(after),
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "Last-Event-ID is not a log position",
                None,
            );
        }
    };
    if let Some(after) = after {
        // An id from another instance on the same stream may be a little ahead of this one.
        if after >= shared.projection.next_position() {
            shared
                .projection
                .applied(after, Duration::from_secs(5))
                .await;
        }
        let next = shared.projection.next_position();
        if after >= next {
            return error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "Last-Event-ID {after} is past the end of the log (the last position is {})",
                    next.checked_sub(1)
                        .map_or("none: the log is empty".to_owned(), |p| p.to_string())
                ),
                None,
            );
        }
    }
    if !shared.projection.is_ready() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the log is still being replayed; see /readyz",
            None,
        );
    }
    let (sender, receiver) = mpsc::channel::<Result<Event, Infallible>>(1024);
    tokio::spawn(stream_changes(shared, after, sender));
    Sse::new(ReceiverStream::new(receiver))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn event(change: &Change) -> Event {
    Event::default()
        .id(change.position.to_string())
        .data(&*change.json)
}

async fn stream_changes(
    shared: Arc<Shared>,
    after: Option<u64>,
    sender: mpsc::Sender<Result<Event, Infallible>>,
) {
    let (mut receiver, missed, oldest) = shared.projection.subscribe(after);
    let mut last = after;
    if let Some(after) = after
        && after.saturating_add(1) < oldest
    {
        // Older than the recent changes kept: fold the log again up to them, sending those after N,
        // one such fold at a time.
        let Ok(_permit) = shared.refolds.acquire().await else {
            return;
        };
        let log_shared = Arc::clone(&shared);
        let refold_sender = sender.clone();
        let bodies = shared.log.bodies(0, oldest);
        let refolded =
            tokio::task::spawn_blocking(move || refold(&log_shared, bodies, after, &refold_sender))
                .await;
        match refolded {
            Ok(Some(through)) => last = Some(through),
            _ => return,
        }
    }
    for change in missed {
        if last.is_none_or(|last| change.position > last) {
            if sender.send(Ok(event(&change))).await.is_err() {
                return;
            }
            last = Some(change.position);
        }
    }
    let mut stopping = shared.stopping.subscribe();
    loop {
        let next = tokio::select! {
            next = receiver.recv() => next,
            _ = stopping.wait_for(|stopping| *stopping) => return,
        };
        match next {
            Ok(change) => {
                if last.is_none_or(|last| change.position > last) {
                    if sender.send(Ok(event(&change))).await.is_err() {
                        return;
                    }
                    last = Some(change.position);
                }
            }
            // Too slow a reader: end the stream; it resumes exactly with Last-Event-ID.
            Err(_) => return,
        }
    }
}

/// Folds the log from its start into a tracker of its own (with the server's limits) and sends the
/// changes after `after` and before `until`. Returns the last position sent (or `after`), or `None`
/// when the client went away or the log could not be read to the end.
fn refold(
    shared: &Shared,
    mut bodies: tokio::sync::mpsc::Receiver<Option<(u64, Vec<u8>)>>,
    after: u64,
    sender: &mpsc::Sender<Result<Event, Infallible>>,
) -> Option<u64> {
    let mut tracker = shared.new_tracker();
    let mut last = after;
    // Cut short (the log could not be read): end the stream rather than leave a gap; the client
    // resumes from the last id it got.
    while let Some((position, body)) = bodies.blocking_recv()? {
        let json = change_json(&tracker.feed_at(&body, Utc::now()));
        if position > after {
            let change = Change {
                position,
                json: json.into(),
            };
            sender.blocking_send(Ok(event(&change))).ok()?;
            last = position;
        }
    }
    Some(last)
}
