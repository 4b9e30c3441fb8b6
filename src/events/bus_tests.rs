use super::token::{jwt_expiry, reported_expiry};
use super::*;
use base64::Engine;

const KEY: &str = "c2VjcmV0LWtleS12YWx1ZS1uZXZlci1wcmludGVk";

fn sb(connection: Option<&str>, namespace: Option<&str>) -> ServiceBusSettings {
    ServiceBusSettings {
        connection_string: connection.map(Secret::new),
        namespace: namespace.map(str::to_string),
        topic: "agent-logs".into(),
        subscription: "orchestrator".into(),
        tail_subscription: "cli-tail".into(),
    }
}

fn names(e: &BusError) -> Vec<&'static str> {
    match e {
        BusError::Settings(s) => s.problems.iter().map(|p| p.name).collect(),
        other => panic!("expected a settings error, got {other}"),
    }
}

#[test]
fn connection_string_with_a_key_is_accepted() {
    let cs = format!(
        "Endpoint=sb://hm.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={KEY}"
    );
    let c = BusConfig::new(&sb(Some(&cs), None), None).unwrap();
    assert_eq!(c.namespace(), "hm.servicebus.windows.net");
    assert!(!c.plain_amqp());
    assert_eq!(c.topic(), "agent-logs");
    assert_eq!(c.tail_subscription(), "cli-tail");
    let debug = format!("{c:?}");
    assert!(!debug.contains(KEY), "{debug}");
    assert!(debug.contains("ConnectionString(***)"), "{debug}");
}

#[test]
fn the_emulator_flag_selects_plain_amqp() {
    let cs = format!("Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={KEY};UseDevelopmentEmulator=true;");
    let c = BusConfig::new(&sb(Some(&cs), None), None).unwrap();
    assert!(c.plain_amqp());
    assert_eq!(c.namespace(), "localhost");
}

#[test]
fn bad_connection_strings_name_the_setting_and_hide_the_key() {
    for cs in [
        format!("SharedAccessKeyName=send;SharedAccessKey={KEY}"),
        "Endpoint=sb://hm.servicebus.windows.net/".to_string(),
        format!("Endpoint=sb://hm.servicebus.windows.net/;SharedAccessKey={KEY}"),
        format!("Endpoint=sb://hm/;{KEY}"),
        format!("Endpoint=not a url;SharedAccessKeyName=a;SharedAccessKey={KEY}"),
        format!("Endpoint=sb://hm/;SharedAccessKeyName=a;SharedAccessKey={KEY};EntityPath=other"),
    ] {
        let e = BusConfig::new(&sb(Some(&cs), None), None).unwrap_err();
        assert_eq!(names(&e), vec![SERVICE_BUS_CONNECTION], "{cs}");
        let text = format!("{e} {e:?}");
        assert!(!text.contains(KEY), "{text}");
    }
}

#[test]
fn missing_and_bad_namespaces_name_the_setting() {
    let e = BusConfig::new(&sb(None, None), None).unwrap_err();
    assert_eq!(names(&e), vec![SERVICE_BUS_NAMESPACE]);
    assert!(e.to_string().contains(SERVICE_BUS_CONNECTION));
    let e = BusConfig::new(&sb(None, Some("https://bad host/")), None).unwrap_err();
    assert_eq!(names(&e), vec![SERVICE_BUS_NAMESPACE]);
    assert!(matches!(
        BusConfig::new(&sb(None, Some("hm.servicebus.windows.net")), None),
        Err(BusError::Identity(_))
    ));
}

#[test]
fn namespaces_are_normalised() {
    assert_eq!(
        parse_namespace("sb://HM.servicebus.windows.net/").unwrap(),
        "hm.servicebus.windows.net"
    );
    assert_eq!(
        parse_namespace("hm.servicebus.windows.net").unwrap(),
        "hm.servicebus.windows.net"
    );
}

#[test]
fn entity_names_are_checked() {
    let mut s = sb(
        Some("Endpoint=sb://x/;SharedAccessSignature=sr=a&sig=b"),
        None,
    );
    s.tail_subscription = "a/b".into();
    let e = BusConfig::new(&s, None).unwrap_err();
    assert_eq!(names(&e), vec![HAYMAKER_EVENTS_TAIL_SUBSCRIPTION]);
    s.tail_subscription = "cli-tail".into();
    s.topic = " ".into();
    assert_eq!(
        names(&BusConfig::new(&s, None).unwrap_err()),
        vec![HAYMAKER_EVENTS_TOPIC]
    );
}

#[test]
fn scrubbing_masks_keys_and_signatures() {
    let text = format!("put-token failed: SharedAccessSignature sr=x&sig=abcDEF%3d&se=1&skn=a; key {KEY}; SharedAccessKey=zzz;");
    let out = scrub_text(text, &[Secret::new(KEY)]);
    assert!(
        !out.contains(KEY) && !out.contains("abcDEF") && !out.contains("zzz"),
        "{out}"
    );
    assert!(
        out.contains("sig=***") && out.contains("SharedAccessKey=***"),
        "{out}"
    );
}

#[test]
fn jwt_expiry_is_read_and_reported_early() {
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"exp":1900000000}"#);
    assert_eq!(jwt_expiry(&format!("h.{claims}.s")), Some(1_900_000_000));
    assert_eq!(jwt_expiry("opaque"), None);
    let now = 1_800_000_000;
    assert_eq!(reported_expiry(Some(now + 3600), now), now + 3000);
    assert_eq!(reported_expiry(Some(now + 120), now), now + 60);
    assert_eq!(reported_expiry(None, now), now + 60);
    assert_eq!(
        reported_expiry(Some(now + 10 * 365 * 86400), now),
        now + 12 * 3600
    );
}
