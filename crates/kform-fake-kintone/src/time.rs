//! Dates and times in kintone's formats, without a date library: timestamps
//! (`2026-04-23T14:11:00Z`) and the DATE, TIME and DATETIME values kintone accepts on writes
//! (`docs/kintone.md` §3.1).

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, to the minute (kintone stores created/updated times with seconds `00`).
pub(crate) fn now_minute() -> String {
    format_minute(now_seconds())
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Now as (UTC date-time minute, Japan date, Japan time `HH:MM`): the fake's users are in Japan.
pub(crate) fn now_parts() -> (String, String, String) {
    let seconds = now_seconds();
    let japan = format_minute(seconds + 9 * 3600);
    (format_minute(seconds), japan[..10].to_owned(), japan[11..16].to_owned())
}

/// kintone's date forms `YYYY`, `YYYY-MM`, `YYYY-M-D`, `YYYY-MM-DD` → `YYYY-MM-DD`, from
/// 1000-01-01 to 9999-12-31.
pub(crate) fn parse_date(text: &str) -> Option<String> {
    let (year, month, day) = date_parts(text)?;
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

fn date_parts(text: &str) -> Option<(u32, u32, u32)> {
    let parts: Vec<&str> = text.split('-').collect();
    if parts.len() > 3 || parts[0].len() != 4 {
        return None;
    }
    let mut numbers = [0u32, 1, 1];
    for (index, part) in parts.iter().enumerate() {
        if part.is_empty()
            || part.len() > if index == 0 { 4 } else { 2 }
            || !part.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        numbers[index] = part.parse().ok()?;
    }
    let [year, month, day] = numbers;
    let valid =
        year >= 1000 && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
    valid.then_some((year, month, day))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A TIME value: `H:MM`, `HH:MM` or `HH:MM:SS[.fff]` → `HH:MM`.
pub(crate) fn parse_time(text: &str) -> Option<String> {
    let (hour, minute) = time_parts(text)?;
    Some(format!("{hour:02}:{minute:02}"))
}

fn time_parts(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.splitn(3, ':');
    let hour = parts.next()?;
    let minute = parts.next()?;
    let digits = |part: &str, lengths: &[usize]| {
        lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(hour, &[1, 2]) || !digits(minute, &[2]) {
        return None;
    }
    if let Some(second) = parts.next() {
        let (whole, fraction) = second.split_once('.').unwrap_or((second, "0"));
        if !digits(whole, &[2])
            || fraction.is_empty()
            || !fraction.bytes().all(|b| b.is_ascii_digit())
            || whole.parse::<u32>().ok()? > 59
        {
            return None;
        }
    }
    let (hour, minute): (u32, u32) = (hour.parse().ok()?, minute.parse().ok()?);
    (hour < 24 && minute < 60).then_some((hour, minute))
}

/// A DATETIME value: `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z` or `±HH:MM`, or a date alone
/// (00:00 UTC) → UTC `YYYY-MM-DDTHH:MM:00Z`, seconds dropped.
pub(crate) fn parse_datetime(text: &str) -> Option<String> {
    let Some((date, rest)) = text.split_once('T') else {
        let (year, month, day) = date_parts(text)?;
        return Some(format!("{year:04}-{month:02}-{day:02}T00:00:00Z"));
    };
    if date.len() != 10 {
        return None;
    }
    let (year, month, day) = date_parts(date)?;
    let (time, offset_minutes) = if let Some(time) = rest.strip_suffix('Z') {
        (time, 0i64)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (time, offset) = rest.split_at(at);
        let (sign, offset) = offset.split_at(1);
        let (hours, minutes) = offset.split_once(':')?;
        if hours.len() != 2 || minutes.len() != 2 {
            return None;
        }
        let (hours, minutes): (i64, i64) = (hours.parse().ok()?, minutes.parse().ok()?);
        if hours > 23 || minutes > 59 {
            return None;
        }
        let total = hours * 60 + minutes;
        (time, if sign == "-" { -total } else { total })
    };
    if time.len() < 5 {
        return None;
    }
    let (hour, minute) = time_parts(time)?;
    let days = days_from_civil(i64::from(year), i64::from(month), i64::from(day));
    let minutes = days * 1440 + i64::from(hour) * 60 + i64::from(minute) - offset_minutes;
    let utc = format_minute(minutes * 60);
    // The instant in UTC must still fall within kintone's years 1000–9999.
    (utc.len() == 20 && !utc.starts_with('0')).then_some(utc)
}

/// Days since 1970-01-01 of a date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Formats seconds since the Unix epoch (negative before 1970) as `YYYY-MM-DDTHH:MM:00Z`.
pub(crate) fn format_minute(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let minute_of_day = seconds.rem_euclid(86_400) / 60;
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:00Z", minute_of_day / 60, minute_of_day % 60)
}

/// Days since 1970-01-01 to a (year, month, day) date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_known_instants() {
        assert_eq!(super::format_minute(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::format_minute(951_782_459), "2000-02-29T00:00:00Z");
        assert_eq!(super::format_minute(1_798_761_599), "2026-12-31T23:59:00Z");
    }

    #[test]
    fn reads_kintone_date_time_forms() {
        use super::{parse_date, parse_datetime, parse_time};
        assert_eq!(parse_date("2026-2-3").as_deref(), Some("2026-02-03"));
        assert_eq!(parse_date("2026").as_deref(), Some("2026-01-01"));
        assert_eq!(parse_date("2026-02-29"), None);
        assert_eq!(parse_date("0999-01-01"), None);
        assert_eq!(parse_time("9:05").as_deref(), Some("09:05"));
        assert_eq!(parse_time("23:59:59.5").as_deref(), Some("23:59"));
        assert_eq!(parse_time("24:00"), None);
        assert_eq!(
            parse_datetime("2026-01-01T08:30:59+09:00").as_deref(),
            Some("2025-12-31T23:30:00Z")
        );
        assert_eq!(parse_datetime("2026-01-01").as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(parse_datetime("2026-01-01T08:30").as_deref(), None);
        assert_eq!(parse_datetime("1000-01-01T00:30+09:00"), None);
        assert_eq!(parse_datetime("1969-12-31T23:59Z").as_deref(), Some("1969-12-31T23:59:00Z"));
    }
}
