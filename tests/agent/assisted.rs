//! Assisted mode against a local fake of the Messages API (axum): the request carries the key and
//! version headers and no secret; a suggestion that passes the guard runs, one that does not is
//! refused and recorded.
