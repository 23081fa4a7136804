//! Response headers every answer carries (security), and CORS for browser apps on other origins.
use actix_cors::Cors;
use actix_web::http::header;
use actix_web::middleware::{Condition, DefaultHeaders};

/// The console's policy: its own scripts only (no inline script, so an injected one cannot
/// run and read the token it keeps in sessionStorage), never framed.
pub const CONSOLE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Everything else is data, not a page: nothing may load from it or frame it.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Headers added to every response that does not set its own.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::CONTENT_SECURITY_POLICY, API_CSP))
}

/// CORS for `/graphql`: off (same origin only) when `origins` is empty; `*` allows any origin
/// (safe for bearer tokens, which browsers never attach on their own).
pub fn cors(origins: &[String]) -> Condition<Cors> {
    let mut c = Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_NONE_MATCH,
            crate::http::access::REQUEST_ID,
            // W3C trace context, sent by frontends' OpenTelemetry instrumentation.
            header::HeaderName::from_static("traceparent"),
            header::HeaderName::from_static("tracestate"),
        ])
        // Browser apps may read the request id (to quote it) and the validator of GET answers.
        .expose_headers([header::ETAG, crate::http::access::REQUEST_ID])
        .max_age(3600);
    for o in origins {
        c = if o == "*" {
            c.allow_any_origin()
        } else {
            c.allowed_origin(o)
        };
    }
    Condition::new(!origins.is_empty(), c)
}
