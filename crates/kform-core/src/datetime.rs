//! kintone's date, time and date-time formats: what it accepts and how it stores them.
//!
//! - DATE: `YYYY-MM-DD`, or kintone's short forms `YYYY`, `YYYY-MM`, `YYYY-M-D` (missing parts
//!   are 01); a real calendar date from 1000-01-01 to 9999-12-31; stored as `YYYY-MM-DD`.
//! - TIME: `HH:MM` (also `H:MM`, and `HH:MM:SS[.fff]` whose seconds are dropped), 00:00–23:59;
//!   stored as `HH:MM`, never converted between time zones.
//! - DATETIME: `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z` or an offset `±HH:MM`, or a date alone
//!   (00:00 UTC). Stored in UTC without seconds, `YYYY-MM-DDTHH:MM:00Z`, as kintone drops them.
//!   A value without an offset is refused: the instant would depend on where it was typed.

use alloc::format;
use alloc::string::String;

/// Normalizes a kintone date to `YYYY-MM-DD`, or `None` when it is not a date kintone accepts.
pub fn normalize_date(text: &str) -> Option<String> {
    let (year, month, day) = parse_date(text, true)?;
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

/// Normalizes a kintone time to `HH:MM`, or `None` when it is not a time of day.
pub fn normalize_time(text: &str) -> Option<String> {
    let (hour, minute) = parse_time(text)?;
    Some(format!("{hour:02}:{minute:02}"))
}

/// Normalizes a kintone date-time to UTC, `YYYY-MM-DDTHH:MM:00Z`, or `None` when kintone would
/// refuse it or it has no offset.
pub fn normalize_datetime(text: &str) -> Option<String> {
    let Some((date, rest)) = text.split_once(['T', 't']) else {
        let (year, month, day) = parse_date(text, false)?;
        return Some(format!("{year:04}-{month:02}-{day:02}T00:00:00Z"));
    };
    let (year, month, day) = parse_date(date, false)?;
    let zone_at = rest.find(['Z', 'z', '+', '-'])?;
    let (time, zone) = rest.split_at_checked(zone_at)?;
    let (hour, minute) = parse_time(time)?;
    let offset_minutes = parse_offset(zone)?;
    let local = days_from_civil(year, month, day) * 1440 + i64::from(hour * 60 + minute);
    let utc = local - offset_minutes;
    let (year, month, day) = civil_from_days(utc.div_euclid(1440));
    let minutes = utc.rem_euclid(1440);
    if !(1000..=9999).contains(&year) {
        return None;
    }
    Some(format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:00Z", minutes / 60, minutes % 60))
}

/// Reads `YYYY-MM-DD`; with `short`, also kintone's `YYYY`, `YYYY-MM` and one-digit parts.
fn parse_date(text: &str, short: bool) -> Option<(i64, u32, u32)> {
    let mut parts = text.split('-');
    let min_part = if short { 1 } else { 2 };
    let year = parse_digits(parts.next()?, 4, 4)?;
    let month = match parts.next() {
        Some(part) => parse_digits(part, min_part, 2)?,
        None if short => 1,
        None => return None,
    };
    let day = match parts.next() {
        Some(part) => parse_digits(part, min_part, 2)?,
        None if short => 1,
        None => return None,
    };
    if parts.next().is_some() || !(1000..=9999).contains(&year) || !(1..=12).contains(&month) {
        return None;
    }
    let year = i64::from(year);
    (1..=days_in_month(year, month)).contains(&day).then_some((year, month, day))
}

/// Reads `H:MM`, `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff`; seconds are checked and dropped.
fn parse_time(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.split(':');
    let hour = parse_digits(parts.next()?, 1, 2)?;
    let minute = parse_digits(parts.next()?, 2, 2)?;
    if let Some(seconds) = parts.next() {
        let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, "0"));
        let second = parse_digits(whole, 2, 2)?;
        if second > 59 || fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    (parts.next().is_none() && hour < 24 && minute < 60).then_some((hour, minute))
}

/// Reads `Z` or `±HH:MM` (also `±HHMM`) into minutes east of UTC.
fn parse_offset(zone: &str) -> Option<i64> {
    if zone.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = zone.get(1..)?;
    let (hours, minutes) = match rest.split_once(':') {
        Some(parts) => parts,
        None => (rest.get(..2)?, rest.get(2..)?),
    };
    let hours = parse_digits(hours, 2, 2)?;
    let minutes = parse_digits(minutes, 2, 2)?;
    (hours < 24 && minutes < 60).then_some(sign * i64::from(hours * 60 + minutes))
}

fn parse_digits(part: &str, min_len: usize, max_len: usize) -> Option<u32> {
    let ok = (min_len..=max_len).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
    if ok { part.parse().ok() } else { None }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date (year, month, day) of a day count since 1970-01-01 (inverse of
/// [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both are small and positive by construction.
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        for text in
            ["", "2026-13-01", "2025-02-29", "999-01-01", "2026-001-01", "2026-01-01-", "２０２６"]
        {
            assert_eq!(normalize_date(text), None, "{text:?}");
        }
        assert_eq!(normalize_date("2024-02-29").as_deref(), Some("2024-02-29"));
        assert_eq!(normalize_date("2026").as_deref(), Some("2026-01-01"));
        assert_eq!(normalize_date("2026-1-5").as_deref(), Some("2026-01-05"));
    }

    #[test]
    fn times() {
        assert_eq!(normalize_time("9:05").as_deref(), Some("09:05"));
        assert_eq!(normalize_time("23:59:59.999").as_deref(), Some("23:59"));
        for text in ["24:00", "12:60", "12", "12:5", "12:00:60", "12:00:00.", "１２:００", "-1:00"]
        {
            assert_eq!(normalize_time(text), None, "{text:?}");
        }
    }

    #[test]
    fn datetimes_become_utc_without_seconds() {
        let cases = [
            ("2026-04-01T09:30+09:00", "2026-04-01T00:30:00Z"),
            ("2026-04-01T00:30:59Z", "2026-04-01T00:30:00Z"),
            ("2026-01-01T08:00:00.5+0900", "2025-12-31T23:00:00Z"),
            ("2024-02-28T20:00-05:00", "2024-02-29T01:00:00Z"),
            ("2026-04-01", "2026-04-01T00:00:00Z"),
            ("9999-12-31T23:59Z", "9999-12-31T23:59:00Z"),
        ];
        for (text, utc) in cases {
            assert_eq!(normalize_datetime(text).as_deref(), Some(utc), "{text:?}");
        }
        for text in [
            "2026-04-01T09:30",
            "2026-4-1T09:30Z",
            "2026-04-01T25:00Z",
            "2026-04-01T09:30+24:00",
            "1000-01-01T00:00+01:00",
            "2026-04-01T09:30Z+",
            "2026-04-01T09:30+1é",
            "",
        ] {
            assert_eq!(normalize_datetime(text), None, "{text:?}");
        }
    }

    #[test]
    fn civil_days_round_trip() {
        for days in [-354_285, -1, 0, 1, 59, 365, 11_016, 2_932_896] {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }
}
