//! Fault injection (`haymaker sim --faults rate=0.1,kinds=500|429|reset,latency=20ms..200ms,seed=7`):
//! a seeded, so repeatable, share of ARM, Graph and Key Vault requests — never the token endpoint or
//! discovery — is answered `500 InternalServerError`, `429` with `Retry-After`, or has its response
//! aborted so the client sees a broken connection; every such request may also be delayed by a
//! latency drawn from the range. The same seed and the same sequence of requests give the same
//! faults. Each injected fault is counted ([`Injector::tally`]) and logged.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;

use super::speed::set_retry_after;
use super::{arm_error, Failure, Req, Sim};

/// The accepted syntax, shown with every parse error and in `--help`.
pub const FAULTS_SYNTAX: &str = "rate=<0..1>,kinds=<500|429|reset, any of them joined by '|'>,latency=<min>..<max> or <fixed> (ms or s, e.g. 20ms..200ms),seed=<integer>; every part optional, e.g. rate=0.1,kinds=500|429|reset,latency=20ms..200ms,seed=7";

/// What an injected fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// `500 InternalServerError`.
    InternalError,
    /// `429` with `Retry-After`.
    Throttle,
    /// The response is aborted: a broken connection.
    Reset,
}

/// A parsed `--faults` value.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    /// Share of requests that fail, 0 to 1 [default 0].
    pub rate: f64,
    /// What a failure is, chosen evenly [default all three].
    pub kinds: Vec<FaultKind>,
    /// Added to every request subject to faults [default none].
    pub latency: Option<(Duration, Duration)>,
    /// [default 1].
    pub seed: u64,
}

/// A `--faults` value that does not parse: which part, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--faults: {problem} in '{part}'; expected {FAULTS_SYNTAX}")]
pub struct FaultSpecError {
    pub part: String,
    pub problem: String,
}

fn duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else {
        return None;
    };
    let value: f64 = number.trim().parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| Duration::from_secs_f64(value * scale))
}

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut spec = FaultSpec {
            rate: 0.0,
            kinds: vec![
                FaultKind::InternalError,
                FaultKind::Throttle,
                FaultKind::Reset,
            ],
            latency: None,
            seed: 1,
        };
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = |problem: &str| FaultSpecError {
                part: part.to_string(),
                problem: problem.to_string(),
            };
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| bad("no '=' between name and value"))?;
            let value = value.trim();
            match key.trim().to_ascii_lowercase().as_str() {
                "rate" => {
                    spec.rate = value
                        .parse::<f64>()
                        .ok()
                        .filter(|r| (0.0..=1.0).contains(r))
                        .ok_or_else(|| bad("the rate must be a number from 0 to 1"))?;
                }
                "kinds" => {
                    spec.kinds = value
                        .split('|')
                        .map(|k| match k.trim().to_ascii_lowercase().as_str() {
                            "500" => Ok(FaultKind::InternalError),
                            "429" => Ok(FaultKind::Throttle),
                            "reset" => Ok(FaultKind::Reset),
                            other => Err(bad(&format!(
                                "unknown kind '{other}' (the kinds are 500, 429 and reset)"
                            ))),
                        })
                        .collect::<Result<_, _>>()?;
                }
                "latency" => {
                    let (min, max) = match value.split_once("..") {
                        Some((a, b)) => (duration(a), duration(b)),
                        None => (duration(value), duration(value)),
                    };
                    let (Some(min), Some(max)) = (min, max) else {
                        return Err(bad(
                            "a latency is a duration with a unit (ms or s), or a range min..max",
                        ));
                    };
                    if min > max {
                        return Err(bad("the latency range's minimum is above its maximum"));
                    }
                    spec.latency = Some((min, max));
                }
                "seed" => {
                    spec.seed = value
                        .parse()
                        .map_err(|_| bad("the seed must be a whole number"))?;
                }
                other => {
                    return Err(bad(&format!(
                        "unknown setting '{other}' (the settings are rate, kinds, latency, seed)"
                    )))
                }
            }
        }
        Ok(spec)
    }
}

/// What happened to one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub latency: Duration,
    pub fault: Option<FaultKind>,
}

/// How many faults were injected, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultTally {
    pub internal_errors: u64,
    pub throttles: u64,
    pub resets: u64,
    /// Requests delayed by a latency above zero.
    pub delayed: u64,
}

/// Decides, request by request, from the seeded sequence.
#[derive(Debug)]
pub struct Injector {
    spec: Option<FaultSpec>,
    state: Mutex<u64>,
    counts: [AtomicU64; 4],
}

impl Injector {
    pub fn new(spec: Option<FaultSpec>) -> Self {
        let seed = spec.as_ref().map_or(0, |s| s.seed);
        Self {
            spec,
            state: Mutex::new(seed),
            counts: Default::default(),
        }
    }

    /// Three draws from splitmix64 in [0, 1).
    fn draws(&self) -> [f64; 3] {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        std::array::from_fn(|_| {
            *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 53) as f64
        })
    }

    /// The next request's fate (and counts it); `None` when no faults are configured.
    pub fn decide(&self) -> Option<Decision> {
        let spec = self.spec.as_ref()?;
        let [roll, pick, delay] = self.draws();
        let fault = (roll < spec.rate && !spec.kinds.is_empty()).then(|| {
            let i = ((pick * spec.kinds.len() as f64) as usize).min(spec.kinds.len() - 1);
            spec.kinds[i]
        });
        let latency = spec.latency.map_or(Duration::ZERO, |(min, max)| {
            min + (max - min).mul_f64(delay)
        });
        let slot = match fault {
            Some(FaultKind::InternalError) => Some(0),
            Some(FaultKind::Throttle) => Some(1),
            Some(FaultKind::Reset) => Some(2),
            None => None,
        };
        if let Some(i) = slot {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        if !latency.is_zero() {
            self.counts[3].fetch_add(1, Ordering::Relaxed);
        }
        Some(Decision { latency, fault })
    }

    pub fn tally(&self) -> FaultTally {
        let n = |i: usize| self.counts[i].load(Ordering::Relaxed);
        FaultTally {
            internal_errors: n(0),
            throttles: n(1),
            resets: n(2),
            delayed: n(3),
        }
    }
}

/// Whether faults may hit this request: everything but the token endpoint and discovery.
pub fn subject(req: &Req) -> bool {
    let lower: Vec<&str> = req.lower.iter().map(String::as_str).collect();
    !matches!(
        lower.as_slice(),
        [_, "oauth2", "v2.0", "token"]
            | [_, "v2.0", ".well-known", "openid-configuration"]
            | [_, "discovery", "v2.0", "keys"]
            | ["metadata", "endpoints"]
    )
}

/// Applies the next decision to `req`: waits out its latency, and returns the failure to answer
/// with, if it has one.
pub async fn apply(sim: &Sim, req: &Req) -> Option<Response> {
    if !subject(req) {
        return None;
    }
    let decision = sim.faults.decide()?;
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let kind = decision.fault?;
    let (method, path) = (req.method.as_str(), req.path());
    tracing::warn!(?kind, %method, %path, "sim: injected fault");
    Some(match kind {
        FaultKind::InternalError => arm_error(&Failure::new(
            500,
            "InternalServerError",
            "Encountered internal server error (injected by haymaker sim --faults).",
        )),
        FaultKind::Throttle => {
            let (wait, speed) = {
                let world = sim.world();
                (
                    world.config.scaled(Duration::from_secs(1)),
                    world.config.speed,
                )
            };
            let mut response = arm_error(&Failure::new(
                429,
                "TooManyRequests",
                "The request is being throttled (injected by haymaker sim --faults).",
            ));
            set_retry_after(response.headers_mut(), wait, speed);
            response
        }
        FaultKind::Reset => {
            let broken = futures::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection reset (injected by haymaker sim --faults)",
                ))
            });
            Response::new(Body::from_stream(broken))
        }
    })
}

#[cfg(test)]
#[path = "faults_tests.rs"]
mod tests;
