use super::*;
use serde_json::json;

fn env(v: Value) -> Envelope {
    Envelope::from_slice(v.to_string().as_bytes()).expect("valid envelope")
}

#[test]
fn rejects_what_is_not_an_envelope() {
    assert!(matches!(
        Envelope::from_slice(b"not json"),
        Err(EnvelopeError::NotJson(_))
    ));
    assert_eq!(
        Envelope::from_slice(b"[1,2]").unwrap_err(),
        EnvelopeError::Shape("is not a JSON object")
    );
    assert_eq!(
        Envelope::from_slice(b"{\"Metadata\":{}}").unwrap_err(),
        EnvelopeError::Shape("has no \"Data\" object")
    );
    assert_eq!(
        Envelope::from_slice(b"{\"Data\":\"x\"}").unwrap_err(),
        EnvelopeError::Shape("has a \"Data\" that is not an object")
    );
    // Metadata may be missing: the decoder is defensive.
    assert!(Envelope::from_slice(b"{\"Data\":{}}").is_ok());
}

#[test]
fn missing_binding_names_what_is_there() {
    let e = env(json!({"Data": {"other": 1}, "Metadata": {}}));
    let err = e.binding("timer").unwrap_err();
    assert_eq!(
        err.to_string(),
        "binding `timer` is missing from Data (present: other)"
    );
}

#[test]
fn double_encoded_primitives_are_undone() {
    let e = env(json!({"Data": {}, "Metadata": {
        "DeliveryCount": "3", "MessageId": "\"abc\"", "Plain": "not-json", "Num": 7,
        "Sequence": "42", "Null": null
    }}));
    assert_eq!(e.meta_u32("DeliveryCount").unwrap(), Some(3));
    assert_eq!(e.meta_str("MessageId").unwrap().as_deref(), Some("abc"));
    assert_eq!(e.meta_str("Plain").unwrap().as_deref(), Some("not-json"));
    assert_eq!(e.meta_u32("Num").unwrap(), Some(7));
    assert_eq!(e.meta_str("Sequence").unwrap().as_deref(), Some("42"));
    assert_eq!(e.meta_str("Null").unwrap(), None);
    assert_eq!(e.meta_str("Absent").unwrap(), None);
    let err = e.meta_u32("MessageId").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Metadata `MessageId`: `abc` is not a count"
    );
}

#[test]
fn message_bodies_in_every_form() {
    let e = env(json!({"Data": {
        "json_text": "{\"a\":1}",
        "double_text": "\"hello\"",
        "plain_text": "hello world",
        "json_value": {"a": 2},
        "b64_json": base64::engine::general_purpose::STANDARD.encode(b"{\"a\":3}"),
        "b64_bytes": base64::engine::general_purpose::STANDARD.encode([0xff, 0xfe, 0x00, 0x01]),
        "null": null
    }}));
    assert_eq!(
        e.message_body("json_text").unwrap(),
        MessageBody::Json(json!({"a":1}))
    );
    assert_eq!(
        e.message_body("double_text").unwrap(),
        MessageBody::Text("hello".into())
    );
    assert_eq!(
        e.message_body("plain_text").unwrap(),
        MessageBody::Text("hello world".into())
    );
    assert_eq!(
        e.message_body("json_value").unwrap(),
        MessageBody::Json(json!({"a":2}))
    );
    assert_eq!(
        e.message_body("b64_json").unwrap(),
        MessageBody::Json(json!({"a":3}))
    );
    assert_eq!(
        e.message_body("b64_bytes").unwrap(),
        MessageBody::Bytes(vec![0xff, 0xfe, 0x00, 0x01])
    );
    assert!(e.message_body("null").is_err());

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct A {
        a: u32,
    }
    for binding in ["json_text", "json_value", "b64_json"] {
        let body = e.message_body(binding).unwrap();
        assert!(body.parse::<A>().unwrap().a > 0, "{binding}");
    }
    assert!(e.message_body("plain_text").unwrap().parse::<A>().is_err());
}

#[test]
fn timestamps_with_and_without_offset_and_any_precision() {
    let cases = [
        ("2026-11-23T18:05:00", "2026-11-23T18:05:00+00:00"),
        ("2026-11-23T18:05:00Z", "2026-11-23T18:05:00+00:00"),
        ("2026-11-23T18:05:00+00:00", "2026-11-23T18:05:00+00:00"),
        ("2026-11-23T20:05:00+02:00", "2026-11-23T18:05:00+00:00"),
        ("2026-11-23T18:05:00.1", "2026-11-23T18:05:00.100+00:00"),
        ("2026-11-23T18:05:00.12Z", "2026-11-23T18:05:00.120+00:00"),
        (
            "2026-11-23T18:05:00.0012345+00:00",
            "2026-11-23T18:05:00.001234500+00:00",
        ),
        (
            "2026-11-23T18:05:00.2113408Z",
            "2026-11-23T18:05:00.211340800+00:00",
        ),
        (
            "2026-11-23T18:05:00.2113408",
            "2026-11-23T18:05:00.211340800+00:00",
        ),
    ];
    for (input, expected) in cases {
        let got = parse_timestamp(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        let want = DateTime::parse_from_rfc3339(expected)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(got, want, "{input}");
    }
    let err = parse_timestamp("yesterday").unwrap_err();
    assert!(err.contains("`yesterday` is not a timestamp"), "{err}");
}

#[test]
fn sys_metadata_is_read_and_tolerates_absence() {
    let e = env(json!({"Data": {}, "Metadata": {"sys": {
        "MethodName": "Tick", "UtcNow": "2026-11-23T18:01:00.52Z", "RandGuid": "x"
    }}}));
    let sys = e.sys();
    assert_eq!(sys.method_name.as_deref(), Some("Tick"));
    assert!(sys.utc_now.is_some());
    assert_eq!(env(json!({"Data": {}})).sys(), SysMetadata::default());
}
