//! kintone's daily request limit per app: each call is counted before it is made, and a group
//! whose app has spent its day (less the reserve left for other integrations) waits for the
//! next one (`docs/kintone.md` §5).

use super::Group;
use crate::clock::UnixMillis;
use crate::state::AppState;

/// Counts `calls` against the app's daily budget, or says until when to hold.
pub(super) async fn budget_hold(state: &AppState, group: &Group, calls: i64) -> Option<UnixMillis> {
    let settings = &state.inner.delivery;
    let base = state
        .connection(&group.connection)
        .map(|c| c.settings.base_url.clone())
        .unwrap_or_default();
    let app = format!("{base} {}", group.app);
    let (day, next_day) = kintone_day(state.inner.clock.now());
    let limit = settings.daily_limit - settings.daily_reserve;
    match state.outbox(move |outbox| outbox.spend(&app, &day, calls, limit)).await {
        Ok(true) => None,
        Ok(false) => Some(next_day),
        // The count could not be kept: deliver rather than hold.
        Err(err) => {
            tracing::warn!(error = %err, "the daily budget could not be counted");
            None
        }
    }
}

/// kintone's day for the daily count (`YYYY-MM-DD` in UTC) and when the next one starts.
fn kintone_day(now: UnixMillis) -> (String, UnixMillis) {
    let days = now.millis().div_euclid(UnixMillis::DAY);
    let (year, month, day) = kform_core::datetime::civil_from_days(days);
    (format!("{year:04}-{month:02}-{day:02}"), UnixMillis((days + 1) * UnixMillis::DAY))
}

#[cfg(test)]
mod tests {
    use super::kintone_day;
    use crate::clock::UnixMillis;

    #[test]
    fn kintones_day_is_the_utc_date() {
        assert_eq!(kintone_day(UnixMillis(0)), ("1970-01-01".to_owned(), UnixMillis(86_400_000)));
        // 2026-11-21 08:59:59 JST is still 2026-11-20 in kintone's count.
        let millis = UnixMillis(1_795_219_199_000);
        assert_eq!(kintone_day(millis).0, "2026-11-20");
        assert_eq!(kintone_day(millis.plus(1_000)).0, "2026-11-21");
        // Before 1970 and across a leap day, as the core's calendar counts.
        assert_eq!(kintone_day(UnixMillis(-1)).0, "1969-12-31");
        assert_eq!(kintone_day(UnixMillis(951_782_400_000)).0, "2000-02-29");
    }
}
