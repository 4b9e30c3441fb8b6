use super::*;

fn parse(s: &str) -> Result<FaultSpec, FaultSpecError> {
    s.parse()
}

#[test]
fn the_documented_example_parses() {
    let spec = parse("rate=0.1,kinds=500|429|reset,latency=20ms..200ms,seed=7").unwrap();
    assert_eq!(spec.rate, 0.1);
    assert_eq!(
        spec.kinds,
        [
            FaultKind::InternalError,
            FaultKind::Throttle,
            FaultKind::Reset
        ]
    );
    assert_eq!(
        spec.latency,
        Some((Duration::from_millis(20), Duration::from_millis(200)))
    );
    assert_eq!(spec.seed, 7);
    let fixed = parse(" latency = 1.5s , kinds=RESET ").unwrap();
    assert_eq!(
        fixed.latency,
        Some((Duration::from_millis(1500), Duration::from_millis(1500)))
    );
    assert_eq!(fixed.kinds, [FaultKind::Reset]);
    assert_eq!(fixed.rate, 0.0);
}

#[test]
fn errors_name_the_bad_part_and_show_the_syntax() {
    for (input, part, says) in [
        ("rate=2", "rate=2", "from 0 to 1"),
        (
            "rate=0.1,kinds=500|404",
            "kinds=500|404",
            "unknown kind '404'",
        ),
        ("latency=20..200ms", "latency=20..200ms", "unit"),
        (
            "latency=200ms..20ms",
            "latency=200ms..20ms",
            "minimum is above",
        ),
        ("seed=x", "seed=x", "whole number"),
        ("rate", "rate", "no '='"),
        ("rat=0.1", "rat=0.1", "unknown setting 'rat'"),
    ] {
        let e = parse(input).unwrap_err();
        assert_eq!(e.part, part, "{input}");
        let text = e.to_string();
        assert!(text.contains(says), "{input}: {text}");
        assert!(text.contains(&format!("'{part}'")), "{text}");
        assert!(text.contains(FAULTS_SYNTAX), "{text}");
    }
}

fn decisions(spec: &str, n: usize) -> Vec<Decision> {
    let injector = Injector::new(Some(parse(spec).unwrap()));
    (0..n).map(|_| injector.decide().unwrap()).collect()
}

#[test]
fn the_same_seed_gives_the_same_faults_and_the_rate_holds() {
    let spec = "rate=0.25,latency=10ms..20ms,seed=7";
    let a = decisions(spec, 2000);
    assert_eq!(a, decisions(spec, 2000));
    assert_ne!(a, decisions("rate=0.25,latency=10ms..20ms,seed=8", 2000));
    let failed = a.iter().filter(|d| d.fault.is_some()).count();
    assert!((400..600).contains(&failed), "{failed} of 2000 at 0.25");
    for kind in [
        FaultKind::InternalError,
        FaultKind::Throttle,
        FaultKind::Reset,
    ] {
        assert!(a.iter().any(|d| d.fault == Some(kind)), "{kind:?} drawn");
    }
    assert!(a
        .iter()
        .all(|d| (Duration::from_millis(10)..=Duration::from_millis(20)).contains(&d.latency)));
}

#[test]
fn rate_one_always_fails_rate_zero_never_and_faults_are_counted() {
    let injector = Injector::new(Some(parse("rate=1,kinds=500").unwrap()));
    for _ in 0..10 {
        assert_eq!(
            injector.decide().unwrap().fault,
            Some(FaultKind::InternalError)
        );
    }
    assert_eq!(
        injector.tally(),
        FaultTally {
            internal_errors: 10,
            ..FaultTally::default()
        }
    );
    assert!(decisions("rate=0", 100).iter().all(|d| d.fault.is_none()));
    assert_eq!(Injector::new(None).decide(), None);
}
