//! The delivery engine's clock, in Unix milliseconds (tests move it by hand), and kintone's day
//! for the daily request count.

/// The time, in Unix milliseconds; tests move it by hand.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
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
    fn now(&self) -> i64 {
        SystemClock.now() + self.offset.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// kintone's day for the daily count (`YYYY-MM-DD` in UTC) and when the next one starts.
pub(crate) fn kintone_day(now: i64) -> (String, i64) {
    const DAY: i64 = 86_400_000;
    let days = now.div_euclid(DAY);
    let (year, month, day) = kform_core::datetime::civil_from_days(days);
    (format!("{year:04}-{month:02}-{day:02}"), (days + 1) * DAY)
}

#[cfg(test)]
mod tests {
    use super::kintone_day;

    #[test]
    fn kintones_day_is_the_utc_date() {
        assert_eq!(kintone_day(0), ("1970-01-01".to_owned(), 86_400_000));
        // 2026-11-21 08:59:59 JST is still 2026-11-20 in kintone's count.
        let millis = 1_795_219_199_000;
        assert_eq!(kintone_day(millis).0, "2026-11-20");
        assert_eq!(kintone_day(millis + 1_000).0, "2026-11-21");
        // Before 1970 and across a leap day, as the core's calendar counts.
        assert_eq!(kintone_day(-1).0, "1969-12-31");
        assert_eq!(kintone_day(951_782_400_000).0, "2000-02-29");
    }
}
