//! `/graphql` over HTTP (GET and POST, per the GraphQL-over-HTTP spec), with automatic persisted
//! queries and HTTP caching of GET answers.
use std::sync::Arc;
use std::time::Instant;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, Request};

use super::loaders::{
    cached, CreditsLoader, GenresLoader, MovieLoader, MyRatingLoader, StatsLoader,
};
use super::persisted::{PersistedQueries, Refused};
use super::MarqueeSchema;
use crate::app;
use crate::auth::{Principal, Role, Verified};
use crate::db::repo;
use crate::error::AppError;
use crate::http::access::AccessInfo;
use crate::http::client_addr::ClientIp;
use crate::state::AppState;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// The longest `Authorization` header read: real tokens are well under 2 KiB. (A request head
/// over 128 KiB never reaches the application: actix-http answers it with a bare 431.)
const MAX_AUTHORIZATION_BYTES: usize = 8192;

fn error_body(code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
}

/// The two encodings of a GraphQL answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    /// `application/graphql-response+json`: the status code tells a request error (4xx, no
    /// `data`) from an executed request (200).
    GraphqlResponse,
    /// `application/json`: 200 whenever there is a GraphQL answer.
    Json,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponse => GRAPHQL_RESPONSE_JSON,
            Media::Json => "application/json",
        }
    }
}

/// The answer's encoding from the `Accept` header, q-values honoured: the acceptable type with
/// the highest q, a type's own range counting before a wildcard's; `application/json` without
/// an `Accept` header or for `*/*` alone (as the GraphQL-over-HTTP spec's audit expects).
/// `None` when neither is acceptable.
fn negotiate(accept: Option<&HeaderValue>) -> Option<Media> {
    let Some(accept) = accept.and_then(|v| v.to_str().ok()) else {
        return Some(Media::Json);
    };
    if accept.trim().is_empty() {
        return Some(Media::Json);
    }
    // (q, specificity) for each type: 2 = named, 1 = `application/*`, 0 = `*/*`.
    let mut gql: Option<(f32, u8)> = None;
    let mut json: Option<(f32, u8)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let ty = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0)
            .clamp(0.0, 1.0);
        let offer = |slot: &mut Option<(f32, u8)>, specificity: u8| {
            if slot.is_none_or(|(_, s)| specificity > s) {
                *slot = Some((q, specificity));
            }
        };
        match ty.as_str() {
            GRAPHQL_RESPONSE_JSON => offer(&mut gql, 2),
            "application/json" => offer(&mut json, 2),
            "application/*" => {
                offer(&mut gql, 1);
                offer(&mut json, 1);
            }
            "*/*" => {
                offer(&mut gql, 0);
                offer(&mut json, 0);
            }
            _ => {}
        }
    }
    let q = |slot: Option<(f32, u8)>| slot.map_or(0.0, |(q, _)| q);
    let named = |slot: Option<(f32, u8)>| slot.is_some_and(|(_, s)| s == 2);
    let (qg, qj) = (q(gql), q(json));
    if qg <= 0.0 && qj <= 0.0 {
        return None;
    }
    // On equal q a type named outright wins, graphql-response+json if both are; through
    // wildcards alone, application/json.
    Some(if qg > qj || (qg == qj && named(gql)) {
        Media::GraphqlResponse
    } else {
        Media::Json
    })
}

/// An answer holding one error and no data, in the negotiated encoding.
fn error_with(status: StatusCode, media: Media, code: &str, message: &str) -> HttpResponse {
    let mut r = HttpResponse::build(status);
    if status == StatusCode::UNAUTHORIZED {
        r.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        r.insert_header(retry_after());
    }
    r.insert_header((header::CONTENT_TYPE, media.content_type()))
        .body(error_body(code, message).to_string())
}

/// `Retry-After` for a 503 (TIMEOUT, UNAVAILABLE), in whole seconds for HTTP tools; the
/// errors' `retryAfterMs` says the same to GraphQL clients.
fn retry_after() -> (header::HeaderName, String) {
    let seconds = crate::error::RETRY_AFTER_MS.div_ceil(1000).max(1);
    (header::RETRY_AFTER, seconds.to_string())
}

fn error_response(status: StatusCode, media: Media, e: &AppError) -> HttpResponse {
    error_with(status, media, e.code().0, &e.public_message())
}

/// Establishes who is calling from the `Authorization: Bearer` header. No header: anonymous.
/// A first valid end-user token for an unknown external id creates that user.
async fn principal(state: &AppState, req: &HttpRequest) -> Result<Principal, AppError> {
    let Some(h) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(Principal::Anonymous);
    };
    let raw = h.to_str().map_err(|_| AppError::Unauthenticated)?.trim();
    let token = match raw.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
        _ => return Err(AppError::Unauthenticated),
    };
    match state.jwt.verify(token)? {
        Verified::User {
            external_id,
            issued_at,
        } => {
            let u = app::users::find_or_create(state, &external_id, issued_at).await?;
            Ok(Principal::User {
                id: u.id,
                external_id,
                row: u,
            })
        }
        Verified::Staff { id, version, .. } => {
            // The account's current role and state decide, so a disabled or demoted account
            // loses its rights at once; a token from before a password reset, role change or
            // disabling carries an older version and is refused.
            let s = repo::staff::get(&state.db, id)
                .await?
                .ok_or(AppError::Unauthenticated)?;
            if s.disabled || s.token_version != version {
                return Err(AppError::Unauthenticated);
            }
            let role = Role::parse(&s.role).ok_or(AppError::Unauthenticated)?;
            Ok(Principal::Staff { id, role })
        }
    }
}

/// Errors raised by the GraphQL engine itself (parse errors, unknown fields, argument
/// validators, depth and complexity limits) carry no code; they are all the client's fault.
fn add_missing_codes(r: &mut async_graphql::Response) {
    for e in &mut r.errors {
        let code = if e.message.starts_with("Query is too complex")
            || e.message.starts_with("Query is nested too deep")
        {
            QUERY_TOO_COMPLEX
        } else {
            "BAD_USER_INPUT"
        };
        let ext = e.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", code);
        }
    }
}

/// The code of a request refused for its size or cost.
const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";

/// A response holding one error and no data.
fn refusal(code: &str, message: impl Into<String>, retryable: bool) -> async_graphql::Response {
    let mut e = async_graphql::ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", code);
    if retryable {
        ext.set("retryable", true);
        ext.set("retryAfterMs", crate::error::RETRY_AFTER_MS);
    }
    e.extensions = Some(ext);
    async_graphql::Response::from_errors(vec![e])
}

/// Measures a request with every fragment expanded and refuses it (QUERY_TOO_COMPLEX, with
/// why), before the engine validates it, when it is larger than the limits allow. Returns how
/// many once-per-request fields (`login`) it holds. A document that does not parse passes: the
/// engine reports it.
fn check_shape(r: &mut Request, limits: &crate::config::GraphqlSettings) -> Result<u64, String> {
    let operation = r.operation_name.clone();
    let Ok(doc) = r.parsed_query() else {
        return Ok(0);
    };
    let shape = super::limits::measure(doc, operation.as_deref()).map_err(|e| e.to_string())?;
    if shape.fields > limits.max_fields {
        return Err(format!(
            "the operation selects {} fields once its fragments are expanded; at most {} are allowed",
            shape.fields, limits.max_fields
        ));
    }
    if shape.aliases > limits.max_aliases {
        return Err(format!(
            "the operation uses {} aliases; at most {} are allowed",
            shape.aliases, limits.max_aliases
        ));
    }
    Ok(shape.once_per_request)
}

/// Why a request's execution ended without an answer.
#[derive(Debug, PartialEq, Eq)]
enum Stopped {
    TimedOut,
    Panicked,
}

/// Runs `fut` within `budget`; a panic inside it ends this request only.
async fn guarded<T>(
    budget: std::time::Duration,
    fut: impl std::future::Future<Output = T>,
) -> Result<T, Stopped> {
    use futures_util::FutureExt;
    match tokio::time::timeout(budget, std::panic::AssertUnwindSafe(fut).catch_unwind()).await {
        Err(_) => Err(Stopped::TimedOut),
        Ok(Err(_)) => Err(Stopped::Panicked),
        Ok(Ok(v)) => Ok(v),
    }
}

/// Gives one request its state, principal and fresh DataLoaders.
fn attach_request_data(
    r: Request,
    st: &Arc<AppState>,
    principal: &Principal,
    client: super::admin::ClientAddr,
) -> Request {
    let mut r = r
        .data(client)
        .data(cached(MovieLoader(st.clone())))
        .data(cached(GenresLoader(st.clone())))
        .data(cached(CreditsLoader(st.clone())))
        .data(cached(StatsLoader(st.clone())));
    if let Principal::User { id, .. } = principal {
        r = r.data(cached(MyRatingLoader {
            st: st.clone(),
            user_id: *id,
        }));
    }
    r.data(principal.clone()).data(st.clone())
}

/// A metrics label for a request: its operation name (given, or the document's single named
/// operation), or "anonymous".
fn operation_label(r: &mut Request) -> String {
    let name = match r.operation_name.clone() {
        Some(n) => Some(n),
        None => r.parsed_query().ok().and_then(|doc| {
            let mut names = doc.operations.iter().map(|(n, _)| n.map(|n| n.to_string()));
            match (names.next(), names.next()) {
                (Some(only), None) => only,
                _ => None,
            }
        }),
    };
    match name {
        Some(n) if n.len() <= 64 && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => n,
        Some(_) => "invalid".into(),
        None => "anonymous".into(),
    }
}

fn is_mutation(r: &mut Request) -> bool {
    let name = r.operation_name.clone();
    let Ok(doc) = r.parsed_query() else {
        return false;
    };
    doc.operations.iter().any(|(n, op)| {
        (name.is_none() || n.map(|n| n.as_str()) == name.as_deref())
            && op.node.ty == OperationType::Mutation
    })
}

/// Whether a response is a request error: nothing was executed (the document did not parse or
/// validate, variables did not coerce, the request was refused for its size or a persisted
/// query was unknown). Such errors carry no path; a resolver's always does.
fn is_request_error(r: &async_graphql::Response) -> bool {
    matches!(r.data, async_graphql::Value::Null)
        && !r.errors.is_empty()
        && r.errors.iter().all(|e| e.path.is_empty())
}

/// One answer as sent: a request error has no `data` entry at all (GraphQL spec, "Response").
#[derive(serde::Serialize)]
struct Answer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [async_graphql::ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
}

impl<'a> From<&'a async_graphql::Response> for Answer<'a> {
    fn from(r: &'a async_graphql::Response) -> Self {
        Self {
            data: (!is_request_error(r)).then_some(&r.data),
            errors: &r.errors,
            extensions: &r.extensions,
        }
    }
}

/// The code of an error, if it has one.
fn error_code(e: &async_graphql::ServerError) -> Option<&str> {
    e.extensions
        .as_ref()
        .and_then(|x| x.get("code"))
        .and_then(|v| match v {
            async_graphql::Value::String(s) => Some(s.as_str()),
            _ => None,
        })
}

/// The status of an answer under `application/graphql-response+json`: 200 once execution
/// started; for a request error 400, or 500 / 503 when the server, not the request, failed.
fn graphql_response_status(r: &async_graphql::Response) -> StatusCode {
    if !is_request_error(r) {
        return StatusCode::OK;
    }
    match r.errors.first().and_then(error_code) {
        Some("INTERNAL") => StatusCode::INTERNAL_SERVER_ERROR,
        Some("TIMEOUT" | "UNAVAILABLE") => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Who called, for the access log.
fn caller_kind(p: &Principal) -> &'static str {
    match p {
        Principal::Anonymous => "anonymous",
        Principal::User { .. } => "user",
        Principal::Staff { role, .. } => match role {
            Role::Admin => "staff:admin",
            Role::Editor => "staff:editor",
            Role::Compliance => "staff:compliance",
        },
    }
}

async fn execute(
    state: web::Data<Arc<AppState>>,
    schema: web::Data<MarqueeSchema>,
    persisted: &PersistedQueries,
    req: HttpRequest,
    media: Media,
    batch: BatchRequest,
) -> HttpResponse {
    let started = Instant::now();
    let st = state.get_ref().clone();
    if req
        .headers()
        .get(header::AUTHORIZATION)
        .is_some_and(|h| h.len() > MAX_AUTHORIZATION_BYTES)
    {
        st.metrics.record_error("BAD_USER_INPUT");
        return error_with(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            media,
            "BAD_USER_INPUT",
            &format!("the Authorization header is longer than {MAX_AUTHORIZATION_BYTES} bytes"),
        );
    }
    let principal = match principal(&st, &req).await {
        Ok(p) => p,
        Err(e) => {
            st.metrics.record_error(e.code().0);
            return error_response(e.code().1, media, &e);
        }
    };
    let limits = &st.settings.graphql;
    // The address the access middleware resolved (through trusted proxies), else the peer.
    let client = super::admin::ClientAddr(
        actix_web::HttpMessage::extensions(&req)
            .get::<ClientIp>()
            .map_or_else(|| req.peer_addr().map(|a| a.ip()), |c| c.0),
    );
    let (requests, single) = match batch {
        BatchRequest::Single(r) => (vec![r], true),
        BatchRequest::Batch(rs) => (rs, false),
    };
    if requests.len() > limits.max_batch {
        st.metrics.record_error(QUERY_TOO_COMPLEX);
        return error_with(
            StatusCode::BAD_REQUEST,
            media,
            QUERY_TOO_COMPLEX,
            &format!(
                "a batch holds {} operations; at most {} are allowed",
                requests.len(),
                limits.max_batch
            ),
        );
    }
    let mut labels: Vec<String> = vec![];
    let mut logins = 0u64;
    let mut prepared: Vec<Result<Request, async_graphql::Response>> = vec![];
    for mut r in requests {
        if let Err(Refused(code, why)) = persisted.resolve(&mut r) {
            labels.push(operation_label(&mut r));
            prepared.push(Err(refusal(code, why, false)));
            continue;
        }
        labels.push(operation_label(&mut r));
        prepared.push(match check_shape(&mut r, limits) {
            Ok(n) => {
                logins += n;
                Ok(attach_request_data(r, &st, &principal, client))
            }
            Err(why) => Err(refusal(QUERY_TOO_COMPLEX, why, false)),
        });
    }
    if logins > 1 {
        // Each login verifies a password: one per HTTP request keeps the throttle honest.
        for p in &mut prepared {
            *p = Err(refusal(
                "BAD_USER_INPUT",
                "login may be asked once per request",
                false,
            ));
        }
    }
    let n = prepared.len();
    let schema = schema.get_ref();
    let run = async move {
        let mut out = Vec::with_capacity(n);
        for p in prepared {
            out.push(match p {
                Ok(r) => schema.execute(r).await,
                Err(refused) => refused,
            });
        }
        out
    };
    let budget = std::time::Duration::from_millis(limits.request_timeout_ms);
    let mut answers = match guarded(budget, run).await {
        Ok(answers) => answers,
        Err(Stopped::TimedOut) => {
            tracing::warn!(
                budget_ms = limits.request_timeout_ms,
                "request stopped at its time budget"
            );
            (0..n)
                .map(|_| {
                    refusal(
                        "TIMEOUT",
                        format!(
                            "the request ran longer than {} ms and was stopped; a write that had not committed was rolled back",
                            limits.request_timeout_ms
                        ),
                        true,
                    )
                })
                .collect()
        }
        Err(Stopped::Panicked) => {
            tracing::error!("a request panicked; answered INTERNAL");
            (0..n)
                .map(|_| refusal("INTERNAL", "internal error", false))
                .collect()
        }
    };
    answers.iter_mut().for_each(add_missing_codes);

    let elapsed = started.elapsed().as_secs_f64();
    let mut failed = false;
    for (i, r) in answers.iter().enumerate() {
        let label = labels.get(i).map(String::as_str).unwrap_or("anonymous");
        st.metrics.record_request(label, elapsed);
        for e in &r.errors {
            st.metrics
                .record_error(error_code(e).unwrap_or("BAD_USER_INPUT"));
        }
        failed |= r.is_err();
    }

    let status = match (media, single) {
        (Media::GraphqlResponse, true) => answers
            .first()
            .map_or(StatusCode::OK, graphql_response_status),
        // A batch's answers each carry their own errors: the batch itself was served.
        _ => StatusCode::OK,
    };
    let body = if single {
        match answers.first() {
            Some(r) => serde_json::to_vec(&Answer::from(r)),
            None => serde_json::to_vec(&error_body("INTERNAL", "internal error")),
        }
    } else {
        serde_json::to_vec(&answers.iter().map(Answer::from).collect::<Vec<_>>())
    };
    let mut body = match body {
        Ok(b) => b,
        Err(e) => {
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                media,
                &AppError::Unexpected(anyhow::anyhow!(e).context("serialising a GraphQL response")),
            )
        }
    };
    let mut resp = HttpResponse::build(status);
    resp.insert_header((header::CONTENT_TYPE, media.content_type()))
        .insert_header((header::VARY, "Accept, Authorization"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        resp.insert_header(retry_after());
    }
    if req.method() == actix_web::http::Method::GET && !failed {
        // A query's answer may be cached: by anyone when it was asked without a token, else
        // by the caller's own client, revalidated by its ETag.
        let tag = crate::http::cache::etag_of(&body);
        let cache = match principal {
            Principal::Anonymous if limits.get_max_age_seconds > 0 => {
                format!("public, max-age={}", limits.get_max_age_seconds)
            }
            Principal::Anonymous => "no-cache".to_owned(),
            _ => "private, no-cache".to_owned(),
        };
        if crate::http::cache::matches(req.headers().get(header::IF_NONE_MATCH), &tag) {
            resp.status(StatusCode::NOT_MODIFIED);
            body.clear();
        }
        resp.insert_header((header::CACHE_CONTROL, cache))
            .insert_header((header::ETAG, tag));
    } else {
        resp.insert_header((header::CACHE_CONTROL, "no-store"));
    }
    let mut r = resp.body(body);
    r.extensions_mut().insert(access_info(&labels, &principal));
    r
}

fn access_info(labels: &[String], principal: &Principal) -> AccessInfo {
    AccessInfo {
        operation: labels.join(","),
        caller: caller_kind(principal),
    }
}

/// `POST /graphql` with a JSON body (a request or a batch).
pub async fn graphql_post(
    state: web::Data<Arc<AppState>>,
    schema: web::Data<MarqueeSchema>,
    persisted: web::Data<PersistedQueries>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let Some(media) = negotiate(req.headers().get(header::ACCEPT)) else {
        return not_acceptable();
    };
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    let Some(ct) = ct else {
        return error_with(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "BAD_USER_INPUT",
            "say Content-Type: application/json",
        );
    };
    let essence = ct.split(';').next().unwrap_or("").trim();
    if essence != "application/json" && essence != GRAPHQL_RESPONSE_JSON {
        return error_with(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "BAD_USER_INPUT",
            "send GraphQL requests as application/json",
        );
    }
    if let Some(charset) = ct
        .split(';')
        .skip(1)
        .filter_map(|p| p.trim().strip_prefix("charset="))
        .next()
    {
        if !charset.trim_matches('"').eq_ignore_ascii_case("utf-8") {
            return error_with(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                media,
                "BAD_USER_INPUT",
                "GraphQL requests are read as UTF-8",
            );
        }
    }
    let limit = state.settings.server.body_limit_bytes;
    let body = match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => {
            return bad_request(media, &format!("the request body could not be read: {e}"))
        }
        Err(_) => {
            return error_with(
                StatusCode::PAYLOAD_TOO_LARGE,
                media,
                "BAD_USER_INPUT",
                &format!("the request body is larger than {limit} bytes (server.body_limit_bytes)"),
            )
        }
    };
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return bad_request(media, &format!("malformed GraphQL request: {e}")),
    };
    let no_query = match &batch {
        BatchRequest::Single(r) => has_no_query(r),
        BatchRequest::Batch(rs) => rs.iter().any(has_no_query),
    };
    if no_query {
        return bad_request(media, "the request has no query");
    }
    execute(state, schema, &persisted, req, media, batch).await
}

/// Neither a query nor a persisted query's hash.
fn has_no_query(r: &Request) -> bool {
    r.query.is_empty() && !r.extensions.contains_key("persistedQuery")
}

fn bad_request(media: Media, message: &str) -> HttpResponse {
    error_with(StatusCode::BAD_REQUEST, media, "BAD_USER_INPUT", message)
}

fn not_acceptable() -> HttpResponse {
    HttpResponse::NotAcceptable().json(error_body(
        "BAD_USER_INPUT",
        "accept application/graphql-response+json or application/json",
    ))
}

/// `GET /graphql?query=…&variables=…&operationName=…&extensions=…` for queries (never
/// mutations), persisted ones included.
pub async fn graphql_get(
    state: web::Data<Arc<AppState>>,
    schema: web::Data<MarqueeSchema>,
    persisted: web::Data<PersistedQueries>,
    req: HttpRequest,
) -> HttpResponse {
    let Some(media) = negotiate(req.headers().get(header::ACCEPT)) else {
        return not_acceptable();
    };
    let mut request = match async_graphql::http::parse_query_string(req.query_string()) {
        Ok(r) => r,
        Err(e) => return bad_request(media, &format!("malformed GraphQL request: {e}")),
    };
    if has_no_query(&request) {
        return bad_request(media, "the request has no query");
    }
    // A persisted query is looked up first, so a stored mutation cannot run through GET.
    if let Err(Refused(code, why)) = persisted.resolve(&mut request) {
        let status = if media == Media::GraphqlResponse {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        state.metrics.record_error(code);
        return error_with(status, media, code, &why);
    }
    if is_mutation(&mut request) {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "POST"))
            .insert_header((header::CONTENT_TYPE, media.content_type()))
            .body(error_body("BAD_USER_INPUT", "mutations must be sent with POST").to_string());
    }
    execute(
        state,
        schema,
        &persisted,
        req,
        media,
        BatchRequest::Single(request),
    )
    .await
}

/// Routes `/graphql` for any other method to 405.
pub async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "GET, POST"))
        .json(error_body("BAD_USER_INPUT", "GraphQL accepts GET and POST"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn accept(v: &'static str) -> Option<Media> {
        negotiate(Some(&HeaderValue::from_static(v)))
    }

    #[test]
    fn the_answer_type_follows_accept_and_its_q_values() {
        assert_eq!(negotiate(None), Some(Media::Json));
        assert_eq!(accept("*/*"), Some(Media::Json));
        assert_eq!(accept("application/json"), Some(Media::Json));
        assert_eq!(
            accept("application/graphql-response+json"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            accept("application/graphql-response+json;q=0.5, application/json"),
            Some(Media::Json)
        );
        assert_eq!(
            accept("application/graphql-response+json, */*;q=0.1"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            accept("application/json;q=0, */*"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            accept("application/json, application/graphql-response+json"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(accept("text/html"), None);
        assert_eq!(accept("application/json;q=0"), None);
        assert_eq!(
            accept("text/html,application/xhtml+xml,*/*;q=0.8"),
            Some(Media::Json)
        );
    }

    #[tokio::test]
    async fn a_panic_inside_a_request_ends_that_request_only() {
        let boom = std::hint::black_box(true);
        let r = guarded(Duration::from_secs(1), async move {
            if boom {
                panic!("a bug in a resolver");
            }
            1
        })
        .await;
        assert_eq!(r, Err(Stopped::Panicked));
        // The task that ran it goes on.
        assert_eq!(guarded(Duration::from_secs(1), async { 7 }).await, Ok(7));
    }

    #[tokio::test]
    async fn a_request_past_its_budget_is_stopped() {
        let r = guarded(
            Duration::from_millis(20),
            tokio::time::sleep(Duration::from_secs(30)),
        )
        .await;
        assert_eq!(r, Err(Stopped::TimedOut));
    }
}
