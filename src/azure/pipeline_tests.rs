use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::*;
use crate::azure::transport::scripted::ScriptedTransport;

const SUB: &str = "11111111-2222-3333-4444-555555555555";

fn pipeline(script: &Arc<ScriptedTransport>) -> Pipeline {
    let tokens = Arc::new(StaticTokens {
        principal: "orchestrator".into(),
        token: Secret::new("tok-very-secret-123"),
    });
    Pipeline::new(script.clone(), tokens, PipelineOptions::default())
}

fn arm_url(path: &str) -> url::Url {
    url::Url::parse(&format!("https://management.azure.com{path}")).unwrap()
}

fn rg_get() -> ApiRequest {
    ApiRequest::get(
        Service::Arm,
        arm_url(&format!(
            "/subscriptions/{SUB}/resourcegroups/rg?api-version=2025-04-01"
        )),
    )
}

#[tokio::test(start_paused = true)]
async fn adds_the_bearer_token_and_returns_success() {
    let script = Arc::new(ScriptedTransport::new());
    script.answer(200, &[], r#"{"name":"rg"}"#);
    let p = pipeline(&script);
    let resp = p.send(&rg_get()).await.unwrap();
    assert_eq!(resp.json::<serde_json::Value>().unwrap()["name"], "rg");
    let sent = &script.requests()[0];
    assert_eq!(sent.headers["authorization"], "Bearer tok-very-secret-123");
    assert_eq!(rg_get().subscription.as_deref(), Some(SUB));
}

#[tokio::test(start_paused = true)]
async fn retries_5xx_and_honours_retry_after() {
    let script = Arc::new(ScriptedTransport::new());
    script
        .answer(
            503,
            &[("retry-after", "7")],
            r#"{"error":{"code":"ServiceUnavailable","message":"busy"}}"#,
        )
        .answer(429, &[("retry-after-ms", "1500")], "{}")
        .answer(200, &[], "{}");
    let p = pipeline(&script);
    let start = Instant::now();
    p.send(&rg_get()).await.unwrap();
    assert_eq!(
        Instant::now() - start,
        Duration::from_millis(8500),
        "7 s then 1.5 s, exactly as asked"
    );
    assert_eq!(p.stats().retries.load(Ordering::Relaxed), 2);
    assert_eq!(p.stats().throttled.load(Ordering::Relaxed), 1);
}

#[tokio::test(start_paused = true)]
async fn gives_up_after_max_retries_with_a_typed_error() {
    let script = Arc::new(ScriptedTransport::new());
    for _ in 0..7 {
        script.answer(
            500,
            &[("x-ms-request-id", "req-42")],
            r#"{"error":{"code":"InternalServerError","message":"boom"}}"#,
        );
    }
    let p = pipeline(&script);
    let err = p.send(&rg_get()).await.unwrap_err();
    match &err {
        AzureError::Http {
            status,
            code,
            message,
            request_id,
            path,
            ..
        } => {
            assert_eq!(*status, 500);
            assert_eq!(code, "InternalServerError");
            assert_eq!(message, "boom");
            assert_eq!(request_id, "req-42");
            assert!(!path.contains("api-version"), "no query in errors");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(script.requests().len(), 7, "1 try + 6 retries");
}

#[tokio::test(start_paused = true)]
async fn client_errors_are_not_retried() {
    let script = Arc::new(ScriptedTransport::new());
    script.answer(
        404,
        &[],
        r#"{"error":{"code":"ResourceGroupNotFound","message":"gone"}}"#,
    );
    let err = pipeline(&script).send(&rg_get()).await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.code(), Some("ResourceGroupNotFound"));
    assert_eq!(script.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_creating_post_is_not_repeated_when_it_may_have_taken_effect() {
    let graph = url::Url::parse("https://graph.microsoft.com/v1.0/applications").unwrap();
    let post = ApiRequest::post(
        Service::Graph,
        graph,
        serde_json::json!({"displayName": "x"}),
    );

    let script = Arc::new(ScriptedTransport::new());
    script.answer(500, &[], "{}").answer(201, &[], "{}");
    assert_eq!(
        pipeline(&script).send(&post).await.unwrap_err().status(),
        Some(500)
    );
    assert_eq!(
        script.requests().len(),
        1,
        "a 500 may have created it: no blind retry"
    );

    let script = Arc::new(ScriptedTransport::new());
    script
        .fail(TransportError::Interrupted("reset".into()))
        .answer(201, &[], "{}");
    assert!(
        pipeline(&script).send(&post).await.is_err(),
        "a reset after sending: no blind retry"
    );

    let script = Arc::new(ScriptedTransport::new());
    script
        .answer(429, &[("retry-after", "1")], "{}")
        .fail(TransportError::Connect("refused".into()))
        .answer(201, &[], "{}");
    assert_eq!(
        pipeline(&script).send(&post).await.unwrap().status,
        201,
        "throttled or never sent: retried"
    );
    assert_eq!(script.requests().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn connection_errors_on_idempotent_calls_are_retried_with_backoff() {
    let script = Arc::new(ScriptedTransport::new());
    script
        .fail(TransportError::Interrupted("reset".into()))
        .fail(TransportError::Connect("refused".into()))
        .answer(200, &[], "{}");
    let start = Instant::now();
    pipeline(&script).send(&rg_get()).await.unwrap();
    let waited = Instant::now() - start;
    // Backoff 400–800 ms, then 800–1600 ms.
    assert!(
        waited >= Duration::from_millis(1200) && waited <= Duration::from_millis(2400),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn arm_remaining_header_paces_later_calls() {
    let script = Arc::new(ScriptedTransport::new());
    script.answer(
        200,
        &[("x-ms-ratelimit-remaining-subscription-reads", "0")],
        "{}",
    );
    script.answer(200, &[], "{}");
    let p = pipeline(&script);
    p.send(&rg_get()).await.unwrap();
    let start = Instant::now();
    p.send(&rg_get()).await.unwrap();
    // ARM said none left: the next read waits for one token at 25/s.
    assert_eq!(Instant::now() - start, Duration::from_millis(40));
}

#[tokio::test(start_paused = true)]
async fn the_breaker_opens_after_repeated_failures_and_fails_fast() {
    let script = Arc::new(ScriptedTransport::new());
    let tokens = Arc::new(StaticTokens {
        principal: "p".into(),
        token: Secret::new("t"),
    });
    let options = PipelineOptions {
        retry: RetryOptions {
            max_retries: 0,
            ..Default::default()
        },
        breaker: BreakerOptions {
            failure_threshold: 2,
            cool_down: Duration::from_secs(30),
        },
        ..Default::default()
    };
    let p = Pipeline::new(script.clone(), tokens, options);
    script.answer(502, &[], "{}").answer(502, &[], "{}");
    assert!(p.send(&rg_get()).await.is_err());
    assert!(p.send(&rg_get()).await.is_err());
    let err = p.send(&rg_get()).await.unwrap_err();
    assert!(matches!(err, AzureError::CircuitOpen { .. }), "{err:?}");
    assert_eq!(script.requests().len(), 2, "the open circuit sent nothing");
    tokio::time::advance(Duration::from_secs(30)).await;
    script.answer(200, &[], "{}");
    assert!(
        p.send(&rg_get()).await.is_ok(),
        "the probe succeeds and closes it"
    );
}

#[test]
fn nothing_secret_in_debug_output() {
    let tokens = StaticTokens {
        principal: "p".into(),
        token: Secret::new("tok-very-secret-123"),
    };
    assert!(!format!("{:?}", tokens.token).contains("very-secret"));
    let err = AzureError::Auth {
        scope: "s".into(),
        message: "m".into(),
    };
    assert!(!format!("{err:?}").contains("very-secret"));
}

#[tokio::test(start_paused = true)]
async fn retries_are_counted_per_invocation_scope() {
    let script = Arc::new(ScriptedTransport::new());
    script
        .answer(500, &[], "{}")
        .answer(429, &[("retry-after", "1")], "{}")
        .answer(200, &[], "{}")
        .answer(503, &[], "{}")
        .answer(200, &[], "{}");
    let p = pipeline(&script);
    let (first, counted) = crate::azure::retry::counting(async {
        p.send(&rg_get()).await.unwrap();
        crate::azure::retry::retries_so_far()
    })
    .await;
    assert_eq!((first, counted), (2, 2), "seen inside and returned");
    // Outside a scope the pipeline still retries and counts in its stats, not in any scope.
    p.send(&rg_get()).await.unwrap();
    assert_eq!(crate::azure::retry::retries_so_far(), 0);
    assert_eq!(p.stats().retries.load(Ordering::Relaxed), 3);
}
