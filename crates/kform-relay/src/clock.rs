//! The relay's one clock and its one unit of time: [`UnixMillis`]. Signing, the guards, the
//! admin routes, the store and the delivery engine all read the [`Clock`] in `AppState`, so a
//! test moves every one of them at once.

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

/// A moment, in milliseconds since the Unix epoch: how the relay keeps every time (attempts,
/// retries, alerts, syncs) and how its JSON shows them.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UnixMillis(pub i64);

impl UnixMillis {
    /// One second.
    pub const SECOND: i64 = 1_000;
    /// One day.
    pub const DAY: i64 = 86_400_000;

    /// Milliseconds since the epoch.
    #[must_use]
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch (the unit of editor tokens' expiry).
    #[must_use]
    pub const fn seconds(self) -> i64 {
        self.0.div_euclid(Self::SECOND)
    }

    /// `millis` later (earlier when negative), saturating.
    #[must_use]
    pub const fn plus(self, millis: i64) -> Self {
        Self(self.0.saturating_add(millis))
    }

    /// The moment in UTC to the second, as people read it: `2026-12-03 22:44:10Z`.
    #[must_use]
    pub fn utc(self) -> String {
        let seconds = self.seconds();
        let (days, second) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
        let (year, month, day) = kform_core::datetime::civil_from_days(days);
        let (hour, minute, second) = (second / 3600, second / 60 % 60, second % 60);
        format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}Z")
    }

    /// Milliseconds from `earlier` to this moment (negative when `earlier` is later).
    #[must_use]
    pub const fn since(self, earlier: Self) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl std::fmt::Display for UnixMillis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ToSql for UnixMillis {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        self.0.to_sql()
    }
}

impl FromSql for UnixMillis {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        i64::column_result(value).map(Self)
    }
}

/// The time; tests move it by hand.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> UnixMillis;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixMillis {
        UnixMillis(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)),
        )
    }
}

/// A clock that runs with the system clock plus an offset a test can move.
#[derive(Debug, Default)]
pub struct ShiftedClock {
    offset: std::sync::atomic::AtomicI64,
}

impl ShiftedClock {
    /// Moves the clock forward by `millis`.
    pub fn advance(&self, millis: i64) {
        self.offset.fetch_add(millis, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> UnixMillis {
        SystemClock.now().plus(self.offset.load(std::sync::atomic::Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::UnixMillis;

    #[test]
    fn seconds_round_down_and_arithmetic_saturates() {
        assert_eq!(UnixMillis(1_999).seconds(), 1);
        assert_eq!(UnixMillis(-1).seconds(), -1, "before 1970 rounds toward the past");
        assert_eq!(UnixMillis(i64::MAX).plus(1), UnixMillis(i64::MAX));
        assert_eq!(UnixMillis(5_000).since(UnixMillis(2_000)), 3_000);
        assert_eq!(serde_json::to_string(&UnixMillis(7)).unwrap(), "7");
        assert_eq!(UnixMillis(1_795_219_199_999).utc(), "2026-11-20 23:59:59Z");
        assert_eq!(UnixMillis(-1).utc(), "1969-12-31 23:59:59Z");
    }
}
