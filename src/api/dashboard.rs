//! The dashboard at `/`: one static page (HTML, CSS and JS in `dashboard.html`, embedded in the
//! binary, no CDN) that reads the API from the browser. It also answers the Functions host's readiness
//! probe (any 200 on `/`). It asks for the API key when the API answers 401 and keeps it in
//! `sessionStorage` (this tab only).

use axum::http::header;
use axum::response::IntoResponse;

/// The page (HTML, CSS and JS in one file).
pub const PAGE: &str = include_str!("dashboard.html");

pub async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:",
            ),
        ],
        PAGE,
    )
}
