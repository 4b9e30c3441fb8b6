//! Bad input on every edge of the router, as one table: malformed ids, path traversal in run ids,
//! scenario names and function names, bad paging and filter parameters, oversized bodies and wrong
//! content types, on the API and on the envelope endpoints. Each is a 4xx in the JSON error shape
//! whose message names the bad input — never a 5xx, never a panic — and the router keeps serving.
//! (Malformed envelope bodies are in `tests/app/handler_envelopes.rs`.)

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use haymaker::handler::MAX_BODY_BYTES;

const RUN: &str = "0b6f6d2e-9a34-4f5e-8d1c-2a3b4c5d6e7f";

struct Case {
    method: &'static str,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: StatusCode,
    /// Must appear in the error message or details.
    names: &'static str,
}

fn get_case(path: impl Into<String>, status: StatusCode, names: &'static str) -> Case {
    Case {
        method: "GET",
        path: path.into(),
        content_type: None,
        body: vec![],
        status,
        names,
    }
}

fn post_case(
    path: impl Into<String>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: StatusCode,
    names: &'static str,
) -> Case {
    Case {
        method: "POST",
        path: path.into(),
        content_type,
        body,
        status,
        names,
    }
}

fn cases() -> Vec<Case> {
    use StatusCode as S;
    let json = Some("application/json");
    let huge = vec![b' '; MAX_BODY_BYTES + 1];
    let mut c = vec![
        // Run ids: not UUIDs, traversal, encoded traversal, absurd length.
        get_case("/api/v1/runs/not-a-uuid", S::BAD_REQUEST, "not-a-uuid"),
        get_case(
            "/api/v1/runs/..%2F..%2Fetc%2Fpasswd",
            S::BAD_REQUEST,
            "../../etc/passwd",
        ),
        get_case("/api/v1/runs/%2e%2e", S::BAD_REQUEST, ".."),
        get_case(
            format!("/api/v1/runs/{}", "a".repeat(5000)),
            S::BAD_REQUEST,
            "aaaa",
        ),
        get_case("/api/v1/runs/..%2F../resources", S::BAD_REQUEST, "../.."),
        get_case(format!("/api/v1/runs/{RUN}x/logs"), S::BAD_REQUEST, "x"),
        // Scenario names with traversal: no such scenario (the name is only compared, never a path).
        get_case(
            format!("/api/v1/runs/{RUN}/scenarios/..%2F..%2Fcurrent_status.json"),
            S::NOT_FOUND,
            RUN,
        ),
        // Paging.
        get_case("/api/v1/runs?page_size=100000", S::BAD_REQUEST, "page_size"),
        get_case("/api/v1/runs?page_size=-1", S::BAD_REQUEST, "page_size"),
        get_case("/api/v1/runs?page_size=0", S::BAD_REQUEST, "page_size"),
        get_case("/api/v1/runs?page_size=abc", S::BAD_REQUEST, "page_size"),
        get_case("/api/v1/runs?page=0", S::BAD_REQUEST, "page"),
        get_case("/api/v1/runs?page=-3", S::BAD_REQUEST, "page"),
        get_case(
            "/api/v1/runs?page=99999999999999999999",
            S::BAD_REQUEST,
            "page",
        ),
        get_case("/api/v1/runs?page=1e3", S::BAD_REQUEST, "page"),
        get_case("/api/v1/runs?status=bogus", S::BAD_REQUEST, "status"),
        get_case(
            "/api/v1/runs?start_date=yesterday",
            S::BAD_REQUEST,
            "start_date",
        ),
        get_case("/api/v1/runs?page=%FF", S::BAD_REQUEST, "page"),
        get_case(
            format!("/api/v1/runs/{RUN}/logs?severity=loud"),
            S::BAD_REQUEST,
            "severity",
        ),
        get_case(
            format!("/api/v1/runs/{RUN}/logs?start_time=noon"),
            S::BAD_REQUEST,
            "start_time",
        ),
        get_case(
            format!("/api/v1/runs/{RUN}/logs?page_size=501"),
            S::BAD_REQUEST,
            "page_size",
        ),
        get_case(
            format!("/api/v1/runs/{RUN}/logs?event_type=%00"),
            S::BAD_REQUEST,
            "event_type",
        ),
        get_case(
            format!("/api/v1/runs/{RUN}/logs/stream?since=later"),
            S::BAD_REQUEST,
            "since",
        ),
        get_case(
            format!("/api/v1/runs/{RUN}/resources?page_size=-9"),
            S::BAD_REQUEST,
            "page_size",
        ),
        // Unknown paths under the API and outside it.
        get_case(
            "/api/v1/..%2F..%2Fetc%2Fpasswd",
            S::NOT_FOUND,
            "no such path",
        ),
        get_case(
            "/api/v1/runs/../../etc/passwd",
            S::NOT_FOUND,
            "/api/v1/runs/../../etc/passwd",
        ),
        // Function names: traversal, unknown, absurd.
        post_case("/..%2FTick", json, b"{}".to_vec(), S::NOT_FOUND, "../Tick"),
        post_case("/Nope", json, b"{}".to_vec(), S::NOT_FOUND, "Nope"),
        // Bodies too big: the envelope endpoint and the admin start.
        post_case("/Tick", json, huge.clone(), S::PAYLOAD_TOO_LARGE, "bytes"),
        post_case("/api/v1/runs", json, huge, S::PAYLOAD_TOO_LARGE, "bytes"),
        // Wrong content types.
        post_case(
            "/api/v1/runs",
            Some("text/plain"),
            b"{}".to_vec(),
            S::UNSUPPORTED_MEDIA_TYPE,
            "text/plain",
        ),
        post_case(
            "/Tick",
            Some("application/x-www-form-urlencoded"),
            b"a=b".to_vec(),
            S::UNSUPPORTED_MEDIA_TYPE,
            "application/x-www-form-urlencoded",
        ),
        // Admin with bad ids and parameters.
        post_case(
            "/api/v1/runs/not-a-uuid/cancel",
            None,
            vec![],
            S::BAD_REQUEST,
            "not-a-uuid",
        ),
        post_case(
            format!("/api/v1/runs/{RUN}/cleanup?dry_run=maybe"),
            None,
            vec![],
            S::BAD_REQUEST,
            "dry_run",
        ),
        post_case(
            "/api/v1/runs",
            json,
            b"{\"size\":\"../../x\"}".to_vec(),
            S::BAD_REQUEST,
            "../../x",
        ),
        post_case(
            "/api/v1/runs",
            json,
            b"{\"duration_hours\":-1}".to_vec(),
            S::BAD_REQUEST,
            "-1",
        ),
        post_case(
            "/api/v1/runs",
            json,
            b"{\"duration_hours\":1e400}".to_vec(),
            S::BAD_REQUEST,
            "duration_hours",
        ),
        post_case(
            "/api/v1/runs",
            json,
            vec![0xff, 0xfe, 0x00],
            S::BAD_REQUEST,
            "JSON",
        ),
    ];
    c.push(post_case(
        "/Tick",
        json,
        b"[]".to_vec(),
        S::BAD_REQUEST,
        "JSON object",
    ));
    c
}

#[tokio::test]
async fn every_bad_input_is_a_json_4xx_naming_it_and_the_router_keeps_serving() {
    let app = test_app();
    let mut wrong = vec![];
    for case in cases() {
        let mut request = Request::builder().method(case.method).uri(&case.path);
        if let Some(ct) = case.content_type {
            request = request.header("content-type", ct);
        }
        let answer = send(&app.router, request.body(Body::from(case.body)).unwrap()).await;
        let label = format!("{} {}", case.method, &case.path[..case.path.len().min(80)]);
        if answer.status != case.status {
            wrong.push(format!(
                "{label}: {} (wanted {}): {}",
                answer.status,
                case.status,
                &answer.text[..answer.text.len().min(300)]
            ));
            continue;
        }
        let error = &answer.body["error"];
        let said = format!(
            "{} {}",
            error["message"].as_str().unwrap_or(""),
            error["details"]
        );
        if error["code"].as_str().is_none_or(str::is_empty)
            || answer
                .headers
                .get("content-type")
                .is_none_or(|v| v != "application/json")
        {
            wrong.push(format!(
                "{label}: not the JSON error shape: {}",
                &answer.text[..answer.text.len().min(300)]
            ));
        } else if !said.contains(case.names) {
            wrong.push(format!(
                "{label}: the message does not name `{}`: {said}",
                case.names
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(
        get(&app.router, "/api/v1/status").await.status,
        StatusCode::OK
    );
}
