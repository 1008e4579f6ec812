//! UTC timestamps in kintone's format (`2026-04-23T14:11:00Z`), without a date library.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, to the minute (kintone stores created/updated times with seconds `00`).
pub(crate) fn now_minute() -> String {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format_minute(seconds)
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:00Z`.
pub(crate) fn format_minute(seconds: u64) -> String {
    let days = seconds / 86_400;
    let minute_of_day = (seconds % 86_400) / 60;
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:00Z", minute_of_day / 60, minute_of_day % 60)
}

/// Days since 1970-01-01 to a (year, month, day) date (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
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
}
