//! What keeps the login endpoint from being a lever: wrong passwords are
//! counted per username and per client address (in the database, so the
//! count holds across instances) and make further attempts wait, doubling
//! from one second; and password hashes — each ~19 MiB and a core for a
//! moment — run only a bounded number at a time. An address is allowed ten
//! times the free attempts of a username: a whole office behind one NAT
//! address must not be locked out by one person's typing.

use std::net::IpAddr;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use shuzhuan_persistence::repo::throttles;
use shuzhuan_persistence::{Session, now};

use super::verify_password;
use crate::error::{AppError, Result};

/// How long a login waits for a hashing slot before it is answered 503.
const SLOT_WAIT: Duration = Duration::from_secs(2);

/// Login throttling and the bound on password hashing.
#[derive(Debug)]
pub struct Logins {
    /// Wrong passwords allowed per key before logins from it wait.
    free_attempts: u32,
    /// The longest wait; failures older than this are forgotten.
    max_backoff: Duration,
    /// Hashing slots: free count, and the hashes that may run at once.
    slots: Mutex<usize>,
    freed: Condvar,
}

impl Default for Logins {
    fn default() -> Self {
        Logins::new(5, Duration::from_secs(900), 2)
    }
}

/// How many more free attempts an address has than a username.
const ADDRESS_FACTOR: u32 = 10;

/// The throttle keys of one attempt, each with its free attempts.
pub struct Keys(Vec<(String, u32)>);

impl Logins {
    pub fn new(free_attempts: u32, max_backoff: Duration, hashes_in_flight: usize) -> Self {
        Logins {
            free_attempts,
            max_backoff,
            slots: Mutex::new(hashes_in_flight.max(1)),
            freed: Condvar::new(),
        }
    }

    /// The keys an attempt counts against: the username (case-folded) and
    /// the client's address when known.
    pub fn keys(&self, username: &str, client: Option<IpAddr>) -> Keys {
        let mut keys = vec![(
            format!("user:{}", username.trim().to_lowercase()),
            self.free_attempts,
        )];
        if let Some(ip) = client {
            keys.push((
                format!("addr:{ip}"),
                self.free_attempts.saturating_mul(ADDRESS_FACTOR),
            ));
        }
        Keys(keys)
    }

    /// 429 with the remaining wait while any key is blocked.
    pub fn check(&self, s: &mut Session, keys: &Keys) -> Result<()> {
        let at = now();
        let names: Vec<String> = keys.0.iter().map(|(key, _)| key.clone()).collect();
        match throttles::blocked_until(s.conn(), &names, at)? {
            Some(until) => Err(AppError::Throttled {
                retry_after: (until - at).to_std().unwrap_or(Duration::from_secs(1)),
            }),
            None => Ok(()),
        }
    }

    /// Counts a wrong password against every key; past the free attempts a
    /// key waits 1 s, then 2, 4 … up to the maximum.
    pub fn failed(&self, s: &mut Session, keys: &Keys) -> Result<()> {
        let at = now();
        let window = chrono::Duration::from_std(self.max_backoff).unwrap_or(chrono::Duration::MAX);
        for (key, free) in &keys.0 {
            let failures = throttles::fail(s.conn(), key, at, at - window)?;
            if let Some(wait) = self.backoff(failures, *free) {
                let wait = chrono::Duration::from_std(wait).unwrap_or(window);
                throttles::block(s.conn(), key, at + wait)?;
            }
        }
        Ok(())
    }

    /// A right password clears the username's count (not the address's:
    /// one known password must not reset the guessing of others).
    pub fn succeeded(&self, s: &mut Session, keys: &Keys) -> Result<()> {
        if let Some((user, _)) = keys.0.first() {
            throttles::clear(s.conn(), user)?;
        }
        Ok(())
    }

    /// The wait after `failures` wrong passwords of a key with `free`
    /// attempts, if any.
    pub fn backoff(&self, failures: i32, free: u32) -> Option<Duration> {
        let over = failures.unsigned_abs().checked_sub(free)?;
        if over == 0 {
            return None;
        }
        let secs = 1u64
            .checked_shl(over - 1)
            .unwrap_or(u64::MAX)
            .min(self.max_backoff.as_secs().max(1));
        Some(Duration::from_secs(secs))
    }

    /// Verifies a password in one of the bounded slots; 503 (`busy`) when
    /// none frees up within two seconds.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool> {
        {
            let free = self.slots.lock().map_err(|_| AppError::Busy)?;
            let (mut free, waited) = self
                .freed
                .wait_timeout_while(free, SLOT_WAIT, |free| *free == 0)
                .map_err(|_| AppError::Busy)?;
            if waited.timed_out() && *free == 0 {
                return Err(AppError::Busy);
            }
            *free -= 1;
        }
        let ok = verify_password(password, stored);
        if let Ok(mut free) = self.slots.lock() {
            *free += 1;
        }
        self.freed.notify_one();
        Ok(ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_after_the_free_attempts_up_to_the_maximum() {
        let logins = Logins::new(5, Duration::from_secs(900), 1);
        for failures in 0..=5 {
            assert_eq!(logins.backoff(failures, 5), None, "{failures}");
        }
        assert_eq!(logins.backoff(6, 5), Some(Duration::from_secs(1)));
        assert_eq!(logins.backoff(7, 5), Some(Duration::from_secs(2)));
        assert_eq!(logins.backoff(10, 5), Some(Duration::from_secs(16)));
        assert_eq!(logins.backoff(20, 5), Some(Duration::from_secs(900)));
        assert_eq!(logins.backoff(i32::MAX, 5), Some(Duration::from_secs(900)));
        assert_eq!(logins.backoff(50, 50), None);
    }

    #[test]
    fn keys_fold_the_username_and_name_the_address() {
        let logins = Logins::default();
        let keys = logins.keys(" Admin ", Some("10.0.0.7".parse().unwrap()));
        assert_eq!(
            keys.0,
            [
                ("user:admin".to_owned(), 5),
                ("addr:10.0.0.7".to_owned(), 50)
            ]
        );
        assert_eq!(logins.keys("admin", None).0, [("user:admin".to_owned(), 5)]);
    }

    #[test]
    fn hashing_slots_are_given_back() {
        let logins = Logins::new(5, Duration::from_secs(900), 1);
        let hash = super::super::hash_password("correct horse battery").unwrap();
        for _ in 0..3 {
            assert!(logins.verify("correct horse battery", Some(&hash)).unwrap());
            assert!(!logins.verify("wrong", Some(&hash)).unwrap());
        }
    }
}
