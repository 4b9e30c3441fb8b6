//! The `ScheduledRun` timer's schedule (`0 0 0,6,12,18 * * *`, UTC).

use chrono::{DateTime, Duration, DurationRound, Timelike, Utc};

/// Hours of the day (UTC) at which `ScheduledRun` fires.
pub const RUN_HOURS: [u32; 4] = [0, 6, 12, 18];

/// The first scheduled start strictly after `now`.
pub fn next_scheduled_run(now: DateTime<Utc>) -> DateTime<Utc> {
    let hour_start = now
        .duration_trunc(Duration::hours(1))
        .expect("an hour fits any timestamp");
    (1..=24)
        .map(|h| hour_start + Duration::hours(h))
        .find(|t| RUN_HOURS.contains(&t.hour()))
        .expect("one of the next 24 hours is a run hour")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn next_run_is_the_next_six_hour_mark() {
        assert_eq!(
            next_scheduled_run(at("2026-11-23T05:59:59Z")),
            at("2026-11-23T06:00:00Z")
        );
        assert_eq!(
            next_scheduled_run(at("2026-11-23T06:00:00Z")),
            at("2026-11-23T12:00:00Z")
        );
        assert_eq!(
            next_scheduled_run(at("2026-11-23T19:30:00Z")),
            at("2026-11-24T00:00:00Z")
        );
    }
}
