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
        Verified::User(external_id) => {
            let u = app::users::find_or_create(state, &external_id).await?;
            Ok(Principal::User {
                id: u.id,
                external_id,
                row: u,
            })
        }
        Verified::Staff { id, .. } => {
            // The account's current role and state decide, so a disabled or demoted account
            // loses its rights at once.
            let s = repo::staff::get(&state.db, id)
                .await?
                .ok_or(AppError::Unauthenticated)?;
            if s.disabled {
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
        let ext = e.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "BAD_USER_INPUT");
        }
    }
}

/// Gives one request its state, principal and fresh DataLoaders.
fn attach_request_data(r: Request, st: &Arc<AppState>, principal: &Principal) -> Request {
    let mut r = r
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
    let principal = match principal(&st, &req).await {
        Ok(p) => p,
        Err(e) => {
            st.metrics.record_error(e.code().0);
            return error_response(e.code().1, &e);
        }
    };
    let mut labels: Vec<String> = vec![];
    let mut attach = |mut r: Request| {
        labels.push(operation_label(&mut r));
        attach_request_data(r, &st, &principal)
    };
    let batch = match batch {
        BatchRequest::Single(r) => BatchRequest::Single(attach(r)),
        BatchRequest::Batch(rs) => BatchRequest::Batch(rs.into_iter().map(&mut attach).collect()),
    };
    let mut resp: BatchResponse = schema.execute_batch(batch).await;
    match &mut resp {
        BatchResponse::Single(r) => add_missing_codes(r),
        BatchResponse::Batch(rs) => rs.iter_mut().for_each(add_missing_codes),
    }

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
