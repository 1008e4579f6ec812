//! The delivery engine: from the outbox to kintone, in batches, within kintone's limits.
//!
//! - **Accept** ([`Acceptor`], `accept.rs`): requests hand their submission to one writer, which commits
//!   everything waiting in one SQLite transaction (a group commit) and only then lets each
//!   request answer. Under load one fsync covers many submissions.
//! - **Dispatch** ([`run`], this file): due submissions are grouped by connection, app and write (add, or
//!   upsert by the form's update key). A first try waits up to `linger_ms` for a batch to fill;
//!   full batches (100) and retries go at once, and in a burst the remainder after the full
//!   batches waits for more ([`ready`]). At most `concurrency` calls run per kintone
//!   domain, whatever the load.
//! - **Send** (`send.rs`: prepare, skip what kintone has, post, settle): each batch is one `POST records.json` (or `PUT … upsert`). kintone's
//!   all-or-nothing answer is taken apart: records it refused are dead-lettered with its message
//!   and the rest are sent again; a refusal without a record index is narrowed by halving.
//!   Retryable failures (429, 5xx, maintenance, lock, timeouts, lost answers) are tried again
//!   with capped exponential backoff and full jitter, for days. Credential failures pause the
//!   form instead of burning requests. What each kintone failure means is decided in one table,
//!   `classify.rs`.
//! - **Exactly once**: with an idempotency field, each record carries its submission id; before
//!   a retry the engine asks kintone which of the batch it already has, and a unique-value
//!   refusal on that field means "already there". Without one, delivery is at least once.
//! - **Budget** (`budget.rs`): the engine counts its own requests per app for kintone's day (it resets at
//!   00:00 UTC, 09:00 JST) and holds when `daily_limit - daily_reserve` is spent; field syncs
//!   and lookups are few and left to the reserve.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kform_core::{AppId, FormSpec, Record, Valid};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::outbox::{Attempt, Due, Outcome, Settlement};
use crate::state::AppState;

mod accept;
mod budget;
mod classify;
mod send;
mod slots;

use send::send;
pub(crate) use send::{DRIFT_PAUSE, needed_permissions};
pub(crate) use slots::{CallSlot, Permits, within_cap};

use crate::clock::UnixMillis;
pub(crate) use accept::Acceptor;

/// How one record is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Write {
    Add,
    /// Upsert by this field.
    Upsert(String),
}

/// Submissions that travel in one call.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Group {
    connection: String,
    app: AppId,
    write: Write,
}

/// One submission ready to send.
struct Item {
    due: Due,
    spec: FormSpec,
    record: Valid<Record>,
    key: Option<String>,
}

/// The running engine's controls.
pub(crate) struct Engine {
    pub(crate) wake: Arc<Notify>,
    /// This relay's permits per kintone domain, for batches and syncs alike.
    pub(crate) permits: Permits,
    stop: watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Engine {
    pub(crate) fn new(wake: Arc<Notify>) -> Self {
        Self {
            wake,
            permits: Permits::default(),
            stop: watch::channel(false).0,
            task: Mutex::new(None),
        }
    }

    /// Starts delivering.
    pub(crate) fn start(&self, state: AppState) {
        let stop = self.stop.subscribe();
        let task = tokio::spawn(run(state, stop));
        *self.task.lock().unwrap_or_else(PoisonError::into_inner) = Some(task);
    }

    /// Stops taking new work and waits for calls in flight to finish.
    pub(crate) async fn stop(&self) {
        let _ = self.stop.send(true);
        let task = self.task.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

/// Keeps in `items` (one group's due submissions, oldest first) those to send now, and says
/// when to look again for the rest. First tries wait up to `linger` ms for a batch to fill: a
/// group short of a batch waits whole, and in a burst only full batches go while the newest
/// remainder waits for more, so a burst of N takes N / `max_batch` writes, not one more per
/// round. Retries never wait.
fn ready(
    items: &mut Vec<Due>,
    now: UnixMillis,
    max_batch: usize,
    linger: i64,
) -> Option<UnixMillis> {
    if items.iter().any(|item| item.tries > 0) {
        return None;
    }
    let full = items.len() - items.len() % max_batch.max(1);
    let waits_until = items[full..].iter().map(|item| item.accepted_at).min()?.plus(linger);
    if waits_until <= now {
        return None;
    }
    items.truncate(full);
    Some(waits_until)
}

/// The dispatcher loop; returns once `stop` is set and every batch in flight has finished.
/// Longer than a screen because it owns what the rounds share (the batches in flight, one
/// semaphore per kintone domain, the tasks) and each round is read in one place: what is due
/// ([`due_now`]), grouped ([`group_due`]), batched ([`ready`]), sent under the domain's
/// semaphore, then when to look again.
async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let in_flight: Arc<Mutex<HashSet<(String, String)>>> = Arc::default();
    let mut tasks = JoinSet::new();
    let settings = state.inner.delivery.clone();
    let wake = state.inner.engine.wake.clone();
    loop {
        if *stop.borrow() {
            break;
        }
        let now = state.inner.clock.now();
        let due = due_now(&state, now, &in_flight).await;
        let mut next_wake = now.plus(1_000);
        let groups = group_due(&state, due, now, &mut next_wake).await;
        for (group, mut items) in groups {
            let linger = i64::try_from(settings.linger_ms).unwrap_or(0);
            if let Some(at) = ready(&mut items, now, settings.max_batch, linger) {
                next_wake = next_wake.min(at);
            }
            if items.is_empty() {
                continue;
            }
            let domain = state
                .connection(&group.connection)
                .map_or_else(|| group.connection.clone(), |c| c.settings.base_url.clone());
            let semaphore = state.inner.engine.permits.of(&domain, settings.concurrency);
            // Each task leases up to a batch of the group's candidates that no one holds yet, in
            // order: the tasks of this relay and of others sharing the database take disjoint,
            // full batches from the same list.
            let candidates = Arc::new(Candidates::new(items, in_flight.clone()));
            for _ in 0..candidates.items.len().div_ceil(settings.max_batch.max(1)) {
                let permit = tokio::select! {
                    permit = semaphore.clone().acquire_owned() => permit,
                    _ = stop.changed() => break,
                };
                let Ok(permit) = permit else { break };
                let (state, group, wake) = (state.clone(), group.clone(), wake.clone());
                let (domain, candidates) = (domain.clone(), candidates.clone());
                let max_batch = settings.max_batch;
                tasks.spawn(async move {
                    if let Some(slot) = CallSlot::with_permit(&state, domain, permit).await {
                        if let Some((lease, batch)) =
                            Lease::take(&state, &candidates, max_batch).await
                        {
                            slots::holding(send(&state, &group, batch)).await;
                            lease.give_back(&state).await;
                        }
                        slot.give_back().await;
                    }
                    drop(candidates);
                    wake.notify_one();
                });
            }
        }
        if let Ok(Some(at)) = state.outbox(|outbox| outbox.next_due()).await {
            next_wake = next_wake.min(at.max(now.plus(10)));
        }
        let sleep =
            Duration::from_millis(u64::try_from(next_wake.since(now).max(10)).unwrap_or(1_000));
        tokio::select! {
            () = wake.notified() => {
                // Accepts come in bursts: gather a few before looking again.
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            () = tokio::time::sleep(sleep) => {}
            _ = stop.changed() => {}
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    // Graceful shutdown: calls in flight finish and their outcomes are kept.
    while tasks.join_next().await.is_some() {}
}

/// One group's due submissions, in order, that this round's tasks lease batches from. They
/// stay marked in flight (so the next rounds leave them alone) until the last task is done.
struct Candidates {
    items: Vec<Due>,
    keys: Vec<(String, String)>,
    /// Where the next batch starts looking: every candidate before it was taken by an earlier
    /// batch of this round, or passed over as held elsewhere or not due, so a burst's batches
    /// read the list once between them, not once each.
    next: AtomicUsize,
    in_flight: Arc<Mutex<HashSet<(String, String)>>>,
}

impl Candidates {
    fn new(items: Vec<Due>, in_flight: Arc<Mutex<HashSet<(String, String)>>>) -> Self {
        let keys: Vec<(String, String)> =
            items.iter().map(|item| (item.form.clone(), item.submission_id.clone())).collect();
        in_flight.lock().unwrap_or_else(PoisonError::into_inner).extend(keys.iter().cloned());
        Self { items, keys, next: AtomicUsize::new(0), in_flight }
    }
}

impl Drop for Candidates {
    fn drop(&mut self) {
        let mut busy = self.in_flight.lock().unwrap_or_else(PoisonError::into_inner);
        for key in &self.keys {
            busy.remove(key);
        }
    }
}

/// A batch leased to one of this relay's tasks, renewed while it is sent: relays sharing a
/// database never send the same submission at once. The task holds a [`CallSlot`] meanwhile.
struct Lease {
    /// The submissions it holds.
    keys: Vec<(String, String)>,
    /// Its own name on their rows: leases are per batch, not per relay, so one batch's end
    /// never touches another's lease.
    holder: String,
    renew: tokio::task::JoinHandle<()>,
}

impl Lease {
    /// Leases up to `limit` of `candidates` that no one holds, in order; the lease and the
    /// batch, or `None` when the store failed or every candidate is taken.
    async fn take(
        state: &AppState,
        candidates: &Arc<Candidates>,
        limit: usize,
    ) -> Option<(Self, Vec<Due>)> {
        let lease_ms = i64::try_from(state.inner.delivery.lease_ms).unwrap_or(30_000).max(300);
        let now = state.inner.clock.now();
        let start = candidates.next.load(Ordering::SeqCst).min(candidates.keys.len());
        let pool = Arc::clone(candidates);
        let holder = uuid::Uuid::new_v4().to_string();
        let name = holder.clone();
        let claimed = state
            .outbox(move |o| o.claim(&pool.keys[start..], limit, &name, now, now.plus(lease_ms)))
            .await;
        let keys = match claimed {
            Ok(keys) if !keys.is_empty() => keys,
            Ok(_) => return None,
            Err(err) => {
                tracing::error!(error = %err, "a batch cannot be leased");
                return None;
            }
        };
        // The claimed keys come in the candidates' order: one walk finds their items and where
        // the next batch starts.
        let mut batch = Vec::with_capacity(keys.len());
        let mut claimed = keys.iter().peekable();
        for (i, key) in candidates.keys.iter().enumerate().skip(start) {
            if claimed.peek() == Some(&key) {
                claimed.next();
                batch.push(candidates.items[i].clone());
                if claimed.peek().is_none() {
                    candidates.next.fetch_max(i + 1, Ordering::SeqCst);
                    break;
                }
            }
        }
        let renew = {
            let (state, keys, holder) = (state.clone(), keys.clone(), holder.clone());
            tokio::spawn(async move {
                let period = Duration::from_millis(u64::try_from(lease_ms / 3).unwrap_or(10_000));
                loop {
                    tokio::time::sleep(period).await;
                    let now = state.inner.clock.now();
                    let (keys, holder) = (keys.clone(), holder.clone());
                    let renewed =
                        state.outbox(move |o| o.renew(&keys, &holder, now.plus(lease_ms))).await;
                    if let Err(err) = renewed {
                        tracing::warn!(error = %err, "a batch's lease could not be renewed");
                    }
                }
            })
        };
        Some((Self { keys, holder, renew }, batch))
    }

    /// Stops renewing and ends the leases of submissions the batch left unsettled (settling
    /// ended the others'), so they are free at once.
    async fn give_back(self, state: &AppState) {
        self.renew.abort();
        let (keys, holder) = (self.keys, self.holder);
        if let Err(err) = state.outbox(move |o| o.release(&keys, &holder)).await {
            tracing::warn!(error = %err, "a batch's leases could not be ended; they end with their time");
        }
    }
}

/// The submissions due at `now` (with their forms' update keys), less those this relay has in
/// flight, so none is picked up twice.
async fn due_now(
    state: &AppState,
    now: UnixMillis,
    in_flight: &Mutex<HashSet<(String, String)>>,
) -> Vec<Due> {
    let forms = state.clone();
    let key_of = move |form: &str| {
        let entry = forms.form(&kform_core::FormId(form.to_owned()))?;
        entry.settings.spec.update_key.as_ref().map(|key| key.as_str().to_owned())
    };
    let due = match state.outbox(move |outbox| outbox.due(now, 10_000, &key_of)).await {
        Ok(due) => due,
        Err(err) => {
            tracing::error!(error = %err, "the outbox cannot be read");
            Vec::new()
        }
    };
    let busy = in_flight.lock().unwrap_or_else(PoisonError::into_inner);
    due.into_iter()
        .filter(|item| !busy.contains(&(item.form.clone(), item.submission_id.clone())))
        .collect()
}

/// `due` by the call each goes in; a scheduled form's submissions wait for their window
/// (`next_wake` learns when it opens), and a deleted form's are dead-lettered.
async fn group_due(
    state: &AppState,
    due: Vec<Due>,
    now: UnixMillis,
    next_wake: &mut UnixMillis,
) -> BTreeMap<Group, Vec<Due>> {
    let mut groups: BTreeMap<Group, Vec<Due>> = BTreeMap::new();
    for item in due {
        let Some(group) = group_of(state, &item) else {
            // The form was deleted: nothing can deliver it.
            settle(state, vec![dead(&item, "the form was deleted before delivery", None)]).await;
            continue;
        };
        // A scheduled form sends what arrived in one window when the next one starts.
        if item.tries == 0
            && let Some(window) = schedule_window(state, &item.form)
        {
            let start = now.plus(-now.millis().rem_euclid(window));
            if item.accepted_at >= start {
                *next_wake = (*next_wake).min(start.plus(window));
                continue;
            }
        }
        groups.entry(group).or_default().push(item);
    }
    groups
}

/// A scheduled form's delivery window in milliseconds.
fn schedule_window(state: &AppState, form: &str) -> Option<i64> {
    let entry = state.form(&kform_core::FormId(form.to_owned()))?;
    let minutes = entry.settings.schedule_minutes?;
    i64::try_from(minutes).ok().map(|minutes| minutes * 60_000)
}

/// The group a due submission travels in, or `None` when its form is gone.
fn group_of(state: &AppState, item: &Due) -> Option<Group> {
    let entry = state.form(&kform_core::FormId(item.form.clone()))?;
    let spec = &entry.settings.spec;
    let write = match (&spec.update_key, &item.key) {
        (Some(field), Some(_)) => Write::Upsert(field.as_str().to_owned()),
        _ => Write::Add,
    };
    Some(Group { connection: entry.settings.connection.clone(), app: spec.app, write })
}

fn settlement(due: &Due, outcome: Outcome, attempt: Option<Attempt>) -> Settlement {
    Settlement {
        form: due.form.clone(),
        submission_id: due.submission_id.clone(),
        outcome,
        attempt,
    }
}

fn dead(due: &Due, reason: &str, attempt: Option<Attempt>) -> Settlement {
    settlement(due, Outcome::DeadLetter(reason.to_owned()), attempt)
}

async fn settle(state: &AppState, settlements: Vec<Settlement>) {
    if settlements.is_empty() {
        return;
    }
    let mut queued = Vec::new();
    for settled in &settlements {
        let outcome = match &settled.outcome {
            Outcome::Delivered(_) => "delivered",
            Outcome::DeadLetter(_) => "dead_letter",
            Outcome::Retry { .. } => "retry",
            Outcome::Hold { .. } => "held",
        };
        state.inner.metrics.submission(&settled.form, outcome);
        if let Outcome::Delivered(record) = &settled.outcome {
            tracing::info!(form = %settled.form, submission = %settled.submission_id, record = record.as_deref().unwrap_or("found by its key"), "delivered to kintone");
        }
        if let Outcome::DeadLetter(reason) = &settled.outcome {
            tracing::warn!(form = %settled.form, submission = %settled.submission_id, %reason, "dead-lettered");
            queued.extend(state.inner.notifier.dead_letter(
                &settled.form,
                &settled.submission_id,
                reason,
            ));
        }
    }
    let now = state.inner.clock.now();
    // Files of delivered submissions are kintone's now; the relay's copies can go.
    let delivered: Vec<String> = settlements
        .iter()
        .filter(|settled| matches!(settled.outcome, Outcome::Delivered(_)))
        .map(|settled| crate::intake::files_folder(&settled.form, &settled.submission_id))
        .collect();
    let result = state
        .outbox(move |outbox| {
            outbox.settle(&settlements, &queued, now)?;
            for folder in delivered {
                outbox.drop_files(&folder)?;
            }
            Ok(())
        })
        .await;
    if let Err(err) = result {
        tracing::error!(error = %err, "delivery outcomes could not be kept; they will be tried again");
    }
}

/// The wait before try number `tries + 1`: full jitter under a doubling cap.
fn backoff(base: u64, cap: u64, tries: i64) -> i64 {
    let exponent = u32::try_from(tries.clamp(0, 30)).unwrap_or(30);
    let ceiling = base.saturating_mul(1u64 << exponent).min(cap).max(1);
    i64::try_from(rand::random_range(0..=ceiling)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::{backoff, ready};
    use crate::clock::UnixMillis;
    use crate::outbox::Due;

    /// `count` first tries of one form, accepted 1 ms apart from `at`.
    fn due(count: i64, at: i64, tries: i64) -> Vec<Due> {
        (0..count)
            .map(|n| Due {
                form: "contact".into(),
                submission_id: n.to_string(),
                tries,
                accepted_at: UnixMillis(at + n),
                key: None,
            })
            .collect()
    }

    #[test]
    fn a_burst_sends_full_batches_and_its_remainder_lingers() {
        // 250 in a burst, the newest 10 ms old: two full batches go, 50 wait until the oldest
        // of them has waited 250 ms.
        let mut items = due(250, 0, 0);
        assert_eq!(ready(&mut items, UnixMillis(259), 100, 250), Some(UnixMillis(200 + 250)));
        assert_eq!(items.len(), 200);
        // Once the remainder has lingered, it goes too.
        let mut rest = due(50, 200, 0);
        assert_eq!(ready(&mut rest, UnixMillis(450), 100, 250), None);
        assert_eq!(rest.len(), 50);
        // Fewer than a batch wait whole; exactly full batches go at once.
        let mut few = due(30, 1_000, 0);
        assert_eq!(ready(&mut few, UnixMillis(1_100), 100, 250), Some(UnixMillis(1_250)));
        assert!(few.is_empty());
        let mut exact = due(200, 0, 0);
        assert_eq!(ready(&mut exact, UnixMillis(10), 100, 250), None);
        assert_eq!(exact.len(), 200);
    }

    #[test]
    fn retries_never_linger() {
        let mut items = due(30, 0, 1);
        assert_eq!(ready(&mut items, UnixMillis(1), 100, 250), None);
        assert_eq!(items.len(), 30);
        let mut mixed = due(130, 0, 0);
        mixed[129].tries = 2;
        assert_eq!(ready(&mut mixed, UnixMillis(1), 100, 250), None);
        assert_eq!(mixed.len(), 130);
    }

    #[test]
    fn backoff_grows_to_its_cap_with_full_jitter() {
        for tries in 0..40 {
            let wait = backoff(1_000, 600_000, tries);
            let ceiling = (1_000_i64 << tries.min(30)).min(600_000);
            assert!((0..=ceiling).contains(&wait), "{tries}: {wait}");
        }
        let samples: HashSet<i64> = (0..50).map(|_| backoff(1_000, 600_000, 10)).collect();
        assert!(samples.len() > 10, "jittered");
    }

    use std::collections::HashSet;
}
