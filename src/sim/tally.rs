//! How many answers the simulator gave and how many of them were `429` (ARM's token buckets or
//! injected throttles), for benchmarks and the log line at stop. Counters only: no request detail.

use std::sync::atomic::{AtomicU64, Ordering};

/// Answers given, by kind.
#[derive(Debug, Default)]
pub struct AnswerTally {
    answers: AtomicU64,
    throttled: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnswerCounts {
    /// Every answer, whatever its status.
    pub answers: u64,
    /// Answers with status 429.
    pub throttled: u64,
}

impl AnswerCounts {
    /// What was answered since `earlier`.
    pub fn since(self, earlier: AnswerCounts) -> AnswerCounts {
        AnswerCounts {
            answers: self.answers - earlier.answers,
            throttled: self.throttled - earlier.throttled,
        }
    }

    /// The share of answers that were 429, in percent (0 when nothing was answered).
    pub fn throttled_percent(self) -> f64 {
        if self.answers == 0 {
            0.0
        } else {
            100.0 * self.throttled as f64 / self.answers as f64
        }
    }
}

impl AnswerTally {
    pub fn record(&self, status: u16) {
        self.answers.fetch_add(1, Ordering::Relaxed);
        if status == 429 {
            self.throttled.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn counts(&self) -> AnswerCounts {
        AnswerCounts {
            answers: self.answers.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_answer_and_429s_apart() {
        let t = AnswerTally::default();
        let before = t.counts();
        for status in [200, 429, 202, 429, 404] {
            t.record(status);
        }
        let c = t.counts().since(before);
        assert_eq!(
            c,
            AnswerCounts {
                answers: 5,
                throttled: 2
            }
        );
        assert!((c.throttled_percent() - 40.0).abs() < 1e-9);
        assert_eq!(AnswerCounts::default().throttled_percent(), 0.0);
    }
}
