//! The admin console's static files, embedded in the binary and served at `/admin`.
use actix_web::{web, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$OUT_DIR/admin-ui/"]
struct Assets;

fn serve(path: &str) -> Option<HttpResponse> {
    let file = Assets::get(path)?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    Some(
        HttpResponse::Ok()
            .content_type(mime.as_ref())
            .insert_header((
                actix_web::http::header::CONTENT_SECURITY_POLICY,
                super::headers::CONSOLE_CSP,
            ))
            .body(file.data.into_owned()),
    )
}

/// `GET /admin/{path}`: a static file, or the single-page app's `index.html` for its routes.
pub async fn admin(path: Option<web::Path<String>>) -> HttpResponse {
    let p = path.map(|p| p.into_inner()).unwrap_or_default();
    let p = p.trim_start_matches('/');
    if !p.is_empty() {
        if let Some(r) = serve(p) {
            return r;
        }
    }
    serve("index.html").unwrap_or_else(|| HttpResponse::NotFound().finish())
}
