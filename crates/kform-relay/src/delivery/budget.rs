//! kintone's daily request limit per app: each call is counted before it is made, and a group
//! whose app has spent its day (less the reserve left for other integrations) waits for the
//! next one (`docs/kintone.md` §5).

use super::Group;
use super::clock::kintone_day;
use crate::state::AppState;

/// Counts `calls` against the app's daily budget, or says until when to hold.
pub(super) async fn budget_hold(state: &AppState, group: &Group, calls: i64) -> Option<i64> {
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
