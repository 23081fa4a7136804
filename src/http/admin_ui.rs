//! The admin console's static files, embedded in the binary and served at `/admin`.
//!
//! Vite names the files under `assets/` by their content's hash, so they are cached for a year
//! (`immutable`); everything else (`index.html`) is revalidated on every use by its `ETag`.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

use super::cache::{etag_from_digest, matches};

#[derive(RustEmbed)]
#[folder = "$OUT_DIR/admin-ui/"]
struct Assets;

/// Hashed assets: cached for a year and never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn serve(req: &HttpRequest, path: &str) -> Option<HttpResponse> {
    let file = Assets::get(path)?;
    let tag = etag_from_digest(&file.metadata.sha256_hash());
    let cache = if path.starts_with("assets/") {
        IMMUTABLE
    } else {
        "no-cache"
    };
    let unchanged = matches(req.headers().get(header::IF_NONE_MATCH), &tag);
    let mut r = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    r.insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::CONTENT_SECURITY_POLICY, super::headers::CONSOLE_CSP));
    if unchanged {
        return Some(r.finish());
    }
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    Some(r.content_type(mime.as_ref()).body(file.data.into_owned()))
}

/// `GET /admin/{path}`: a static file, or the single-page app's `index.html` for its routes.
pub async fn admin(req: HttpRequest, path: Option<web::Path<String>>) -> HttpResponse {
    let p = path.map(|p| p.into_inner()).unwrap_or_default();
    let p = p.trim_start_matches('/');
    if !p.is_empty() {
        if let Some(r) = serve(&req, p) {
            return r;
        }
        if p.starts_with("assets/") {
            // A missing hashed file is an old page asking for a previous build's asset: the
            // app's HTML in its place would be cached for a year as that script.
            return HttpResponse::NotFound().finish();
        }
    }
    serve(&req, "index.html").unwrap_or_else(|| HttpResponse::NotFound().finish())
}

/// `GET /graphiql`: GraphiQL, bundled with the console (offline, under the console's policy).
/// A binary built without the console serves GraphiQL from a CDN instead.
pub async fn graphiql(req: HttpRequest) -> HttpResponse {
    if let Some(r) = serve(&req, "graphiql.html") {
        return r;
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        // That page loads its scripts from a CDN and runs inline ones: only framing is refused.
        .insert_header((header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"))
        .body(
            async_graphql::http::GraphiQLSource::build()
                .endpoint("/graphql")
                .title("Marquee GraphiQL")
                .finish(),
        )
}

/// `GET /`: the console.
pub async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/admin"))
        .finish()
}
