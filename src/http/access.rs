//! One middleware around every request: its request id (taken from `X-Request-Id` when the
//! client or a proxy sent a usable one, else a new one), a tracing span carrying it, the
//! access-log event and the HTTP metrics.
//!
//! The access log is the `marquee::access` target at `info` (probes and `/metrics` at `debug`):
//! method, path (never the query string, which may hold variables), route, GraphQL operation,
//! status, duration, the kind of caller and the client's address (`http::client_addr`) —
//! never a token. `log.level` filters it like any
//! other target (`info,marquee::access=warn` turns it off).
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use tracing::Instrument;

use super::client_addr::{ClientIp, TrustedProxies};
use crate::state::AppState;

/// The header that carries a request's id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a client.
const MAX_REQUEST_ID: usize = 128;

/// A request's id, in its extensions (handlers may read it).
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// What the GraphQL handler tells the access log about a request, in the response's
/// extensions.
#[derive(Clone, Debug)]
pub struct AccessInfo {
    /// The operation name (or `anonymous`; several for a batch, joined by `,`).
    pub operation: String,
    /// `anonymous`, `user` or `staff:<role>`.
    pub caller: &'static str,
}

/// A client's id if it is short and plain (letters, digits, `-`, `_`, `.`, `:`), so that it can
/// be logged and echoed safely.
fn usable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| usable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string())
}

/// Paths polled by machines: logged at `debug` so probes do not drown the log.
fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// The middleware (`middleware::from_fn(access::log)`).
pub async fn log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let state = req.app_data::<web::Data<Arc<AppState>>>().cloned();
    let peer = req.peer_addr().map(|a| a.ip());
    let client = match req.app_data::<web::Data<TrustedProxies>>() {
        Some(p) => p.client(peer, req.headers()),
        None => peer,
    };
    let client = ClientIp(client);
    req.extensions_mut().insert(client);
    let path = req.path().to_owned();
    // Fields after OpenTelemetry's HTTP conventions, for trace export; the name becomes
    // "POST /graphql" once the route is known.
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        otel.name = tracing::field::Empty,
        http.request.method = %method,
        http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        graphql.operation.name = tracing::field::Empty,
    );
    #[cfg(feature = "otel")]
    crate::telemetry::otel::continue_trace(&span, req.headers());
    let result = next.call(req).instrument(span.clone()).await;
    let seconds = started.elapsed().as_secs_f64();
    let (status, route, info) = match &result {
        Ok(res) => (
            res.status().as_u16(),
            res.request().match_pattern(),
            res.response().extensions().get::<AccessInfo>().cloned(),
        ),
        Err(e) => (e.as_response_error().status_code().as_u16(), None, None),
    };
    let route = route.unwrap_or_else(|| "unmatched".into());
    if let Some(st) = &state {
        st.metrics
            .record_http(method.as_str(), &route, status, seconds);
    }
    let (operation, caller) = info
        .as_ref()
        .map_or(("", ""), |i| (i.operation.as_str(), i.caller));
    let duration_ms = (seconds * 1e4).round() / 10.0;
    #[cfg(feature = "otel")]
    span.record("otel.name", format!("{method} {route}"));
    span.record("http.route", route.as_str());
    span.record("http.response.status_code", status);
    if !operation.is_empty() {
        span.record("graphql.operation.name", operation);
    }
    let _entered = span.enter();
    if is_probe(&path) {
        tracing::debug!(target: "marquee::access", %method, %path, status, duration_ms, "request");
    } else {
        tracing::info!(
            target: "marquee::access",
            %method,
            %path,
            %route,
            operation,
            caller,
            %client,
            status,
            duration_ms,
            "request"
        );
    }
    drop(_entered);
    let mut res = result?;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_short_request_ids_are_taken_from_clients() {
        assert!(usable("9f1c-22:ab.c_d"));
        assert!(!usable(""));
        assert!(!usable("has space"));
        assert!(!usable("new\nline"));
        assert!(!usable(&"a".repeat(MAX_REQUEST_ID + 1)));
    }
}
