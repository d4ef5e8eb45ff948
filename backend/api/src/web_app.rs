//! The web app: the built single-page app (`frontend/dist`) served at `/` by the API itself, so
//! one origin serves pages and API and the strict content policy (`script-src 'self'`) holds.
//!
//! - A file of the build is served as it is (with `ETag` and `Last-Modified` from actix-files).
//! - Vite names everything under `/assets/` by its content hash, so those files never change:
//!   `Cache-Control: public, max-age=31536000, immutable`. A missing asset is a 404 (an old tab
//!   asking for a chunk of an earlier build must not get HTML in its place).
//! - Any other GET that matches no file is a route of the app (`/t/1/overview`, a bookmark, a
//!   reload): it gets `index.html`, whose router shows the screen. `index.html` and the other
//!   files are `no-cache` (revalidated), so a new build is picked up at once.
//! - The server's own paths (`/api/…`, `/health`, `/ready`, `/metrics`, `/swagger-ui/…`,
//!   `/api-docs/…`) never fall back to the app: what matches no route there stays a 404 problem,
//!   as does every method other than GET and HEAD.

use std::path::Path;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{fn_service, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpResponse};

/// Hashed build output, cached for a year.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else the app serves: cached, but revalidated on each use.
pub const REVALIDATE: &str = "no-cache";

/// The first path segments the server keeps for itself.
const SERVER_PATHS: [&str; 6] = [
    "api",
    "health",
    "ready",
    "metrics",
    "swagger-ui",
    "api-docs",
];

/// Whether `path` belongs to the server rather than to the web app.
pub fn is_server_path(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    SERVER_PATHS.contains(&first)
}

fn is_asset(path: &str) -> bool {
    path.starts_with("/assets/")
}

/// Registers the web app in `dir` (which holds `index.html`) at `/`. Register it after every
/// other service: it answers whatever they do not.
pub fn configure(dir: &Path) -> impl FnOnce(&mut web::ServiceConfig) {
    let dir = dir.to_path_buf();
    move |cfg| {
        let index = Arc::new(dir.join("index.html"));
        let files = actix_files::Files::new("/", &dir)
            .index_file("index.html")
            .default_handler(fn_service(move |req: ServiceRequest| {
                let index = Arc::clone(&index);
                async move { fallback(req, &index).await }
            }));
        cfg.service(web::scope("").wrap(from_fn(policy)).service(files));
    }
}

/// A path that is no file: `index.html` for a route of the app, a bare 404 (made a problem by
/// the error handler) for a missing asset.
async fn fallback(req: ServiceRequest, index: &Path) -> actix_web::Result<ServiceResponse> {
    let (req, _) = req.into_parts();
    if is_asset(req.path()) {
        return Ok(ServiceResponse::new(req, HttpResponse::NotFound().finish()));
    }
    let file = actix_files::NamedFile::open_async(index).await?;
    let response = file.into_response(&req);
    Ok(ServiceResponse::new(req, response))
}

/// Keeps the server's paths and other methods out of the app, and sets the cache policy of
/// what the app serves.
async fn policy(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let path = req.match_info().as_str().to_owned();
    if !matches!(*req.method(), Method::GET | Method::HEAD) || is_server_path(&path) {
        let response = HttpResponse::NotFound().finish();
        return Ok(req.into_response(response).map_into_right_body());
    }
    let mut response = next.call(req).await?;
    let status = response.status();
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        let policy = if is_asset(&path) {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static(policy),
        );
    }
    Ok(response.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::is_server_path;

    #[test]
    fn the_servers_own_paths_never_fall_back_to_the_app() {
        for path in [
            "/api",
            "/api/v1/nope",
            "/health",
            "/ready",
            "/metrics",
            "/swagger-ui/",
            "/api-docs/openapi.json",
        ] {
            assert!(is_server_path(path), "{path}");
        }
        for path in [
            "/",
            "/t/1/overview",
            "/apis",
            "/healthy",
            "/auth/microsoft/done",
        ] {
            assert!(!is_server_path(path), "{path}");
        }
    }
}
