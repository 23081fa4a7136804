//! The admin console's static files, embedded in the binary and served at `/admin`.
//!
//! Vite names the files under `assets/` by their content's hash, so they are cached for a year
//! (`immutable`); everything else (`index.html`) is revalidated on every use by its `ETag`.
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$OUT_DIR/admin-ui/"]
struct Assets;

/// Hashed assets: cached for a year and never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The strong validator of an embedded file: its SHA-256, shortened.
fn etag(hash: &[u8; 32]) -> String {
    let mut s = String::with_capacity(34);
    s.push('"');
    for b in &hash[..16] {
        s.push_str(&format!("{b:02x}"));
    }
    s.push('"');
    s
}

/// Whether an `If-None-Match` header names `tag` (or is `*`).
pub fn matches(if_none_match: Option<&HeaderValue>, tag: &str) -> bool {
    let Some(v) = if_none_match.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    v.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == tag || t.strip_prefix("W/").is_some_and(|weak| weak == tag))
}

fn serve(req: &HttpRequest, path: &str) -> Option<HttpResponse> {
    let file = Assets::get(path)?;
    let tag = etag(&file.metadata.sha256_hash());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_takes_lists_weak_tags_and_star() {
        let tag = "\"ab\"";
        let h = |s: &'static str| HeaderValue::from_static(s);
        assert!(matches(Some(&h("\"ab\"")), tag));
        assert!(matches(Some(&h("\"x\", W/\"ab\"")), tag));
        assert!(matches(Some(&h("*")), tag));
        assert!(!matches(Some(&h("\"abc\"")), tag));
        assert!(!matches(None, tag));
    }
}
