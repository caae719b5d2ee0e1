//! `--forward URL`: each callback, once logged, is relayed to the app with the same method, path, query,
//! headers and body, and the app's response (status, content type, body: the BXML `transferAnswer` and
//! `transferComplete` wait for) goes back to Bandwidth.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

pub struct Forward {
    /// Scheme and authority of the app, and a path prefix (empty or without a trailing slash).
    base: Uri,
    prefix: String,
    client: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

/// Headers that belong to one connection and are not relayed.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
];

impl Forward {
    pub fn new(url: &str, timeout: Duration) -> Result<Forward, String> {
        let base: Uri = url
            .parse()
            .map_err(|e| format!("--forward {url:?} is not a URL: {e}"))?;
        if base.scheme_str() != Some("http") || base.authority().is_none() {
            return Err(format!(
                "--forward {url:?}: give an http:// URL with a host (the app is usually on \
                 loopback beside callfold; TLS ends in front of callfold)"
            ));
        }
        let prefix = base.path().trim_end_matches('/').to_owned();
        Ok(Forward {
            base,
            prefix,
            client: Client::builder(TokioExecutor::new()).build_http(),
            timeout,
        })
    }

    /// Relays a request and returns the app's response, or 502 when the app cannot be reached or
    /// does not answer in time.
    pub async fn relay(
        &self,
        method: Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Response {
        let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
        let target = format!(
            "http://{}{}{}",
            self.base.authority().map_or("", |a| a.as_str()),
            self.prefix,
            path_and_query
        );
        let mut request = Request::builder().method(method).uri(target);
        for (name, value) in headers {
            if !HOP_BY_HOP.contains(&name.as_str()) {
                request = request.header(name, value);
            }
        }
        let request = match request.body(Full::new(body)) {
            Ok(request) => request,
            Err(error) => return bad_gateway(&format!("cannot build the request: {error}")),
        };
        let answer = tokio::time::timeout(self.timeout, async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| e.to_string())?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
            Ok::<_, String>((parts, body))
        })
        .await;
        match answer {
            Ok(Ok((parts, body))) => {
                let mut response = (parts.status, body).into_response();
                if let Some(kind) = parts.headers.get(header::CONTENT_TYPE) {
                    response
                        .headers_mut()
                        .insert(header::CONTENT_TYPE, kind.clone());
                }
                response
            }
            Ok(Err(error)) => bad_gateway(&format!(
                "the app at {} cannot be reached: {error}",
                self.base
            )),
            Err(_) => bad_gateway(&format!(
                "the app at {} did not answer within {:?}",
                self.base, self.timeout
            )),
        }
    }
}

fn bad_gateway(message: &str) -> Response {
    let mut response = (
        StatusCode::BAD_GATEWAY,
        serde_json::json!({ "error": message, "logged": true }).to_string(),
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
