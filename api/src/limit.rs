//! How often one client address, and one user name, may try to sign in: checked before any
//! work is done, so a flood of guesses costs a hash-map lookup each and is answered 429 with
//! Retry-After. The lock-out (cases::MAX_FAILURES wrong passwords per name per window) bounds
//! guessing; these bound the work a flood makes, from one address or against one name.
//!
//! Counts are kept in memory per process (governor's GCRA, keyed), so each node of a cluster
//! allows its own share; the lock-out itself is kept in the database and holds across nodes.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};

/// Sign-ins allowed per minute, each also as the burst allowed at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignInLimits {
    /// From one client address: an office behind one NAT signs in at shift change.
    pub per_address: NonZeroU32,
    /// For one user name, from anywhere.
    pub per_name: NonZeroU32,
}

impl Default for SignInLimits {
    fn default() -> SignInLimits {
        // Evaluated at compile time: a zero would not build.
        const PER_ADDRESS: NonZeroU32 = NonZeroU32::new(30).unwrap();
        const PER_NAME: NonZeroU32 = NonZeroU32::new(10).unwrap();
        SignInLimits {
            per_address: PER_ADDRESS,
            per_name: PER_NAME,
        }
    }
}

/// Keys held before idle ones are forgotten: a key idle for a minute is as good as new.
const KEYS_BEFORE_SWEEP: usize = 10_000;

/// Counts sign-in attempts per client address and per user name against [`SignInLimits`].
pub struct SignInLimiter {
    by_address: DefaultKeyedRateLimiter<String>,
    by_name: DefaultKeyedRateLimiter<String>,
}

impl Default for SignInLimiter {
    fn default() -> SignInLimiter {
        SignInLimiter::new(SignInLimits::default())
    }
}

impl SignInLimiter {
    /// A limiter with these limits.
    pub fn new(limits: SignInLimits) -> SignInLimiter {
        SignInLimiter {
            by_address: DefaultKeyedRateLimiter::keyed(Quota::per_minute(limits.per_address)),
            by_name: DefaultKeyedRateLimiter::keyed(Quota::per_minute(limits.per_name)),
        }
    }

    /// Takes one sign-in from `address` for `name`, or says how long to wait. The address is
    /// checked first, so a refused address spends nothing of the name's allowance.
    pub fn check(&self, address: &str, name: &str) -> Result<(), Duration> {
        for limiter in [&self.by_address, &self.by_name] {
            if limiter.len() > KEYS_BEFORE_SWEEP {
                limiter.retain_recent();
            }
        }
        // No user name is longer than 64 characters; a longer one is counted as its start.
        let name: String = name.chars().take(64).collect();
        for (limiter, key) in [
            (&self.by_address, address.to_string()),
            (&self.by_name, name),
        ] {
            limiter
                .check_key(&key)
                .map_err(|not_until| not_until.wait_time_from(limiter.clock().now()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_and_a_name_each_have_their_allowance() {
        let limits = SignInLimits {
            per_address: NonZeroU32::new(3).expect("not zero"),
            per_name: NonZeroU32::new(2).expect("not zero"),
        };
        let limiter = SignInLimiter::new(limits);
        assert_eq!(limiter.check("192.0.2.1", "ilze"), Ok(()));
        assert_eq!(limiter.check("192.0.2.1", "ilze"), Ok(()));
        // The name's two are used: from another address too.
        let wait = limiter
            .check("192.0.2.2", "ilze")
            .expect_err("name limited");
        assert!(wait > Duration::from_secs(20) && wait <= Duration::from_secs(30));
        // The first address has one left, for another name; then none.
        assert_eq!(limiter.check("192.0.2.1", "janis"), Ok(()));
        assert!(limiter.check("192.0.2.1", "peteris").is_err());
        assert_eq!(limiter.check("192.0.2.3", "peteris"), Ok(()));
    }
}
