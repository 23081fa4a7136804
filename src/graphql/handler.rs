//! `/graphql` over HTTP (GET and POST, per the GraphQL-over-HTTP spec) and `/graphiql`.
use std::sync::Arc;
use std::time::Instant;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Request};

use super::loaders::{
    cached, CreditsLoader, GenresLoader, MovieLoader, MyRatingLoader, StatsLoader,
};
use super::MarqueeSchema;
use crate::app;
use crate::auth::{Principal, Role, Verified};
use crate::db::repo;
use crate::error::AppError;
use crate::state::AppState;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// The longest `Authorization` header read: real tokens are well under 2 KiB. (A request head
/// over 128 KiB never reaches the application: actix-http answers it with a bare 431.)
const MAX_AUTHORIZATION_BYTES: usize = 8192;

fn error_body(code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
}

fn error_response(status: StatusCode, e: &AppError) -> HttpResponse {
    let mut r = HttpResponse::build(status);
    if status == StatusCode::UNAUTHORIZED {
        r.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
    }
    r.json(error_body(e.code().0, &e.public_message()))
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

fn wants_graphql_response_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.contains(GRAPHQL_RESPONSE_JSON))
        .unwrap_or(false)
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

async fn execute(
    state: web::Data<Arc<AppState>>,
    schema: web::Data<MarqueeSchema>,
    req: HttpRequest,
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
        return HttpResponse::build(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE).json(error_body(
            "BAD_USER_INPUT",
            &format!("the Authorization header is longer than {MAX_AUTHORIZATION_BYTES} bytes"),
        ));
    }
    let principal = match principal(&st, &req).await {
        Ok(p) => p,
        Err(e) => {
            st.metrics.record_error(e.code().0);
            return error_response(e.code().1, &e);
        }
    };
    let limits = &st.settings.graphql;
    let client = super::admin::ClientAddr(req.peer_addr().map(|a| a.ip()));
    let (requests, single) = match batch {
        BatchRequest::Single(r) => (vec![r], true),
        BatchRequest::Batch(rs) => (rs, false),
    };
    if requests.len() > limits.max_batch {
        st.metrics.record_error(QUERY_TOO_COMPLEX);
        return HttpResponse::BadRequest().json(error_body(
            QUERY_TOO_COMPLEX,
            &format!(
                "a batch holds {} operations; at most {} are allowed",
                requests.len(),
                limits.max_batch
            ),
        ));
    }
    let mut labels: Vec<String> = vec![];
    let mut logins = 0u64;
    let mut prepared: Vec<Result<Request, async_graphql::Response>> = vec![];
    for mut r in requests {
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
    let resp = if single {
        BatchResponse::Single(
            answers
                .pop()
                .unwrap_or_else(|| refusal("INTERNAL", "internal error", false)),
        )
    } else {
        BatchResponse::Batch(answers)
    };

    let elapsed = started.elapsed().as_secs_f64();
    let responses: Vec<&async_graphql::Response> = match &resp {
        BatchResponse::Single(r) => vec![r],
        BatchResponse::Batch(rs) => rs.iter().collect(),
    };
    let mut no_data = false;
    for (i, r) in responses.iter().enumerate() {
        let label = labels.get(i).map(String::as_str).unwrap_or("anonymous");
        st.metrics.record_request(label, elapsed);
        for e in &r.errors {
            let code = e
                .extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .and_then(|v| match v {
                    async_graphql::Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| "BAD_USER_INPUT".into());
            st.metrics.record_error(&code);
        }
        if matches!(r.data, async_graphql::Value::Null) && r.is_err() {
            no_data = true;
        }
    }

    let (content_type, status) = if wants_graphql_response_json(&req) {
        (
            GRAPHQL_RESPONSE_JSON,
            if no_data {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            },
        )
    } else {
        ("application/json", StatusCode::OK)
    };
    match serde_json::to_vec(&resp) {
        Ok(body) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
            .body(body),
        Err(e) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &AppError::Unexpected(anyhow::anyhow!(e).context("serialising a GraphQL response")),
        ),
    }
}

fn bad_request(message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(error_body("BAD_USER_INPUT", message))
}

/// `POST /graphql` with a JSON body (a request or a batch).
pub async fn graphql_post(
    state: web::Data<Arc<AppState>>,
    schema: web::Data<MarqueeSchema>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_ascii_lowercase();
    if !ct.starts_with("application/json") && !ct.starts_with(GRAPHQL_RESPONSE_JSON) {
        return HttpResponse::UnsupportedMediaType().json(error_body(
            "BAD_USER_INPUT",
            "send GraphQL requests as application/json",
        ));
    }
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return bad_request(&format!("malformed GraphQL request: {e}")),
    };
    execute(state, schema, req, batch).await
}

/// `GET /graphql?query=…&variables=…&operationName=…` for queries (never mutations).
pub async fn graphql_get(
    state: web::Data<Arc<AppState>>,
    schema: web::Data<MarqueeSchema>,
    req: HttpRequest,
) -> HttpResponse {
    let mut request = match async_graphql::http::parse_query_string(req.query_string()) {
        Ok(r) => r,
        Err(e) => return bad_request(&format!("malformed GraphQL request: {e}")),
    };
    if is_mutation(&mut request) {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "POST"))
            .json(error_body(
                "BAD_USER_INPUT",
                "mutations must be sent with POST",
            ));
    }
    execute(state, schema, req, BatchRequest::Single(request)).await
}

/// `GET /graphiql`: the GraphiQL IDE.
pub async fn graphiql() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        // GraphiQL loads its scripts from a CDN and runs inline ones: only framing is refused.
        .insert_header((header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"))
        .body(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .title("Marquee GraphiQL")
                .finish(),
        )
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
