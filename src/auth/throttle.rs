//! Login throttling: each sign-in attempt spends one token from its account's bucket and one
//! from its client address's bucket (GCRA, `governor`); an empty bucket answers RATE_LIMITED
//! with the wait, before any password is checked.
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Keys kept before idle ones are dropped (a key whose bucket has refilled holds no state
/// worth keeping), so a spray of invented emails cannot grow memory without bound.
const TIDY_ABOVE: usize = 10_000;

/// The sign-in throttle.
pub struct LoginThrottle {
    per_account: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

/// A refused attempt: how long until the next one may be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled(pub Duration);

fn quota(per_minute: u32) -> Quota {
    let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(n)
}

impl LoginThrottle {
    /// A throttle allowing `per_account` attempts a minute for one email (in a burst, then one
    /// every 60/n seconds) and `per_address` for one client address.
    pub fn new(per_account: u32, per_address: u32) -> Self {
        Self {
            per_account: RateLimiter::keyed(quota(per_account)),
            per_address: RateLimiter::keyed(quota(per_address)),
            clock: DefaultClock::default(),
        }
    }

    /// Spends one attempt for `email` from `address`. The address is checked first, so an
    /// address that is already refused cannot use up an account's attempts.
    pub fn attempt(&self, email: &str, address: Option<IpAddr>) -> Result<(), Throttled> {
        let now = self.clock.now();
        if let Some(a) = address {
            if self.per_address.len() > TIDY_ABOVE {
                self.per_address.retain_recent();
            }
            self.per_address
                .check_key(&a)
                .map_err(|w| Throttled(w.wait_time_from(now)))?;
        }
        if self.per_account.len() > TIDY_ABOVE {
            self.per_account.retain_recent();
        }
        self.per_account
            .check_key(&email.trim().to_lowercase())
            .map_err(|w| Throttled(w.wait_time_from(now)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    #[test]
    fn an_account_gets_its_burst_then_waits() {
        let t = LoginThrottle::new(3, 100);
        for _ in 0..3 {
            assert!(t.attempt("a@example.test", HOME).is_ok());
        }
        let Err(Throttled(wait)) = t.attempt("A@example.test ", HOME) else {
            panic!("a fourth attempt within the minute must be refused (emails match case-insensitively)");
        };
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(20));
        // Another account is not held up.
        assert!(t.attempt("b@example.test", HOME).is_ok());
    }

    #[test]
    fn an_address_is_throttled_across_accounts() {
        let t = LoginThrottle::new(100, 2);
        assert!(t.attempt("a@example.test", HOME).is_ok());
        assert!(t.attempt("b@example.test", HOME).is_ok());
        assert!(t.attempt("c@example.test", HOME).is_err());
        // Attempts refused at the address do not spend the account's.
        let other = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)));
        assert!(t.attempt("c@example.test", other).is_ok());
    }
}
