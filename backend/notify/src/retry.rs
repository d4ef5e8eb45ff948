//! Retries with capped exponential backoff and jitter.

use std::time::Duration;

use rand::Rng;

/// How hard the notifier tries before it records a delivery as failed.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles for each further attempt.
    pub base_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured. A receiver that asks for a longer pause gets no
    /// further attempt in this run (the delivery is recorded as failed), so one slow receiver
    /// cannot hold up the worker.
    pub max_retry_after: Duration,
    /// The limit on one attempt (connecting, sending and reading the answer).
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1-based): `base · 2^(attempt-1)`, capped at
    /// `max_delay`, then "equal jitter" (a random point in its upper half), so that many
    /// notifiers failing together do not retry in lock-step yet each still backs off.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let full = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let half = full / 2;
        half + rand::thread_rng().gen_range(Duration::ZERO..=half)
    }
}

/// How one attempt ended.
#[derive(Debug)]
pub(crate) enum Attempt {
    Delivered {
        status: Option<i32>,
    },
    /// Worth another attempt: a connection error, a timeout, a 5xx or a 429.
    Transient {
        status: Option<i32>,
        error: String,
        retry_after: Option<Duration>,
    },
    /// Another attempt would fail the same way: a 4xx other than 429, an unusable address.
    Permanent {
        status: Option<i32>,
        error: String,
    },
}

/// The end of all attempts.
#[derive(Debug, Clone)]
pub(crate) struct Finished {
    pub delivered: bool,
    pub attempts: u32,
    pub status: Option<i32>,
    pub error: Option<String>,
}

/// Runs `attempt` until it delivers, fails permanently or the policy gives up.
pub(crate) async fn with_retries<F, Fut>(policy: &RetryPolicy, mut attempt: F) -> Finished
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Attempt>,
{
    let max = policy.max_attempts.max(1);
    let mut number = 0;
    loop {
        number += 1;
        match attempt().await {
            Attempt::Delivered { status } => {
                return Finished {
                    delivered: true,
                    attempts: number,
                    status,
                    error: None,
                }
            }
            Attempt::Permanent { status, error } => {
                return Finished {
                    delivered: false,
                    attempts: number,
                    status,
                    error: Some(error),
                }
            }
            Attempt::Transient {
                status,
                error,
                retry_after,
            } => {
                let give_up = |error: String| Finished {
                    delivered: false,
                    attempts: number,
                    status,
                    error: Some(error),
                };
                if number >= max {
                    return give_up(error);
                }
                let wait = match retry_after {
                    Some(asked) if asked > policy.max_retry_after => {
                        return give_up(format!(
                            "{error}; Retry-After of {} s exceeds the {} s the notifier waits",
                            asked.as_secs(),
                            policy.max_retry_after.as_secs()
                        ))
                    }
                    Some(asked) => asked,
                    None => policy.backoff(number),
                };
                log::debug!("notification attempt {number} failed ({error}); retrying in {wait:?}");
                tokio::time::sleep(wait).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!((50..=100).contains(&first.as_millis()), "{first:?}");
            let third = policy.backoff(3);
            assert!((200..=400).contains(&third.as_millis()), "{third:?}");
            let tenth = policy.backoff(10);
            assert!((500..=1000).contains(&tenth.as_millis()), "{tenth:?}");
        }
    }
}
