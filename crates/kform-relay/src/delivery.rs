//! The delivery engine: from the outbox to kintone, in batches, within kintone's limits.
//!
//! - **Accept** ([`Acceptor`], `accept.rs`): requests hand their submission to one writer, which commits
//!   everything waiting in one SQLite transaction (a group commit) and only then lets each
//!   request answer. Under load one fsync covers many submissions.
//! - **Dispatch** ([`run`]): due submissions are grouped by connection, app and write (add, or
//!   upsert by the form's update key). A first try waits up to `linger_ms` for a batch to fill;
//!   full batches (100) and retries go at once, and in a burst the remainder after the full
//!   batches waits for more ([`ready`]). At most `concurrency` calls run per kintone
//!   domain, whatever the load.
//! - **Send** ([`send`]): each batch is one `POST records.json` (or `PUT … upsert`). kintone's
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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kform_core::{AppId, FormSpec, Record, Valid, Values, validate};
use kform_kintone::Permission;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use crate::outbox::{Attempt, Due, Outcome, Settlement};
use crate::state::{AppState, ConnectionError};

mod accept;
mod budget;
mod classify;

use crate::clock::UnixMillis;
pub(crate) use accept::Acceptor;
use budget::budget_hold;
use classify::{Failure, Said, classify};

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
    stop: watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Engine {
    pub(crate) fn new(wake: Arc<Notify>) -> Self {
        Self { wake, stop: watch::channel(false).0, task: Mutex::new(None) }
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
    let semaphores: Mutex<HashMap<String, Arc<Semaphore>>> = Mutex::default();
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
            let semaphore = semaphores
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(domain)
                .or_insert_with(|| Arc::new(Semaphore::new(settings.concurrency)))
                .clone();
            let mut items = items.into_iter().peekable();
            while items.peek().is_some() {
                let batch: Vec<Due> = items.by_ref().take(settings.max_batch).collect();
                let permit = tokio::select! {
                    permit = semaphore.clone().acquire_owned() => permit,
                    _ = stop.changed() => break,
                };
                let Ok(permit) = permit else { break };
                {
                    let mut busy = in_flight.lock().unwrap_or_else(PoisonError::into_inner);
                    busy.extend(
                        batch.iter().map(|item| (item.form.clone(), item.submission_id.clone())),
                    );
                }
                let state = state.clone();
                let group = group.clone();
                let in_flight = in_flight.clone();
                let wake = wake.clone();
                tasks.spawn(async move {
                    let keys: Vec<_> = batch
                        .iter()
                        .map(|item| (item.form.clone(), item.submission_id.clone()))
                        .collect();
                    send(&state, &group, batch).await;
                    drop(permit);
                    let mut busy = in_flight.lock().unwrap_or_else(PoisonError::into_inner);
                    for key in keys {
                        busy.remove(&key);
                    }
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

/// The submissions due at `now` (with their forms' update keys), less those in a batch still
/// in flight, so none is picked up twice.
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

/// An update key as kintone should match it: e-mail addresses trimmed, full-width folded and
/// lower-cased, phone numbers reduced to digits, by the key item's input hint (the core's rules).
fn normalize_key(spec: &FormSpec, field: &str, key: &str) -> String {
    let hint = spec
        .items
        .iter()
        .find(|item| item.field.as_ref().is_some_and(|code| code.as_str() == field))
        .and_then(|item| item.input_hint);
    match hint {
        Some(kform_core::InputHint::Email) => kform_core::text::normalize_email(key),
        Some(kform_core::InputHint::Tel) => kform_core::text::normalize_phone(key),
        _ => key.trim().to_owned(),
    }
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
            state.inner.notifier.dead_letter(&settled.form, &settled.submission_id, reason);
        }
    }
    let now = state.inner.clock.now();
    // Files of delivered submissions are kintone's now; the relay's copies can go.
    let delivered: Vec<std::path::PathBuf> = settlements
        .iter()
        .filter(|settled| matches!(settled.outcome, Outcome::Delivered(_)))
        .map(|settled| {
            state
                .inner
                .files_dir
                .join(crate::intake::files_folder(&settled.form, &settled.submission_id))
        })
        .collect();
    let result = state
        .outbox(move |outbox| {
            outbox.settle(&settlements, now)?;
            for dir in delivered {
                // Most submissions have no files; a missing folder is fine.
                let _ = std::fs::remove_dir_all(dir);
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

/// Delivers one batch; every submission in it ends settled, held, or untouched (paused).
async fn send(state: &AppState, group: &Group, batch: Vec<Due>) {
    let Some((client, items)) = prepare(state, group, batch).await else { return };
    let Some(items) = skip_delivered(state, &client, group, items).await else { return };
    post(state, &client, group, items).await;
}

/// The batch made ready to send: the app's client, and each submission's values (its files
/// uploaded) validated against the app's current fields, so only a `Valid<Record>` goes to
/// kintone. What cannot go is settled, paused or put back here; `None` when nothing is left.
async fn prepare(
    state: &AppState,
    group: &Group,
    batch: Vec<Due>,
) -> Option<(kform_kintone::Client, Vec<Item>)> {
    let (client, fields) = client_and_fields(state, group, &batch).await?;
    let keys: Vec<(String, String)> =
        batch.iter().map(|due| (due.form.clone(), due.submission_id.clone())).collect();
    let Ok(kept) = state.outbox(move |outbox| outbox.values(&keys)).await else {
        retry_all(state, &batch, "the outbox could not be read", None).await;
        return None;
    };
    let mut settled = Vec::new();
    let mut items = Vec::new();
    for (due, kept) in batch.into_iter().zip(kept) {
        let Some(entry) = state.form(&kform_core::FormId(due.form.clone())) else {
            settled.push(dead(&due, "the form was deleted before delivery", None));
            continue;
        };
        let Some(kept) = kept else { continue };
        let Some(values) = values_with_files(state, &client, &due, kept, &mut settled).await else {
            continue;
        };
        let spec = entry.settings.spec.clone();
        if let Some(item) = item_of(state, &fields, group, spec, due, &values, &mut settled).await {
            items.push(item);
        }
    }
    settle(state, settled).await;
    (!items.is_empty()).then_some((client, items))
}

/// The client for the group's app and the app's current fields; on failure the batch is paused
/// (credentials) or put back (kintone unreachable) and the answer is `None`.
async fn client_and_fields(
    state: &AppState,
    group: &Group,
    batch: &[Due],
) -> Option<(kform_kintone::Client, Arc<kform_core::AppFields>)> {
    let Some(connection) = state.connection(&group.connection) else {
        let reason = format!("connection {:?} no longer exists", group.connection);
        pause_forms(state, batch, &reason).await;
        return None;
    };
    let client = match connection.client(group.app) {
        Ok(client) => client.clone(),
        Err(err) => {
            pause_forms(state, batch, &err.to_string()).await;
            return None;
        }
    };
    match state.fields(&group.connection, group.app).await {
        Ok(fields) => Some((client, fields)),
        // Removed or stripped of its credentials meanwhile: only an administrator can fix it.
        Err(err @ (ConnectionError::Unknown(_) | ConnectionError::NoCredentials { .. })) => {
            pause_forms(state, batch, &err.to_string()).await;
            None
        }
        Err(ConnectionError::Kintone(err)) => {
            match classify(&err) {
                Failure::Credentials(said) => pause_forms(state, batch, &said.line()).await,
                Failure::Retry(said) | Failure::Request(said) => {
                    retry_all(state, batch, &said.line(), None).await;
                }
                Failure::Records(_) => {
                    retry_all(state, batch, "kintone refused to read the fields", None).await;
                }
            }
            None
        }
        Err(err) => {
            retry_all(state, batch, &err.to_string(), None).await;
            None
        }
    }
}

/// One kept submission's values with its files uploaded and their keys written in; `None` when
/// it cannot go now (dead-lettered into `settled`, paused, or put back).
async fn values_with_files(
    state: &AppState,
    client: &kform_kintone::Client,
    due: &Due,
    kept: crate::outbox::Kept,
    settled: &mut Vec<Settlement>,
) -> Option<Values> {
    // A row that does not read back is corrupt: said so, never sent as an empty record.
    let mut values: Values = match serde_json::from_value(kept.values) {
        Ok(values) => values,
        Err(err) => {
            let reason = format!("the outbox's copy of the values cannot be read: {err}");
            settled.push(dead(due, &reason, None));
            return None;
        }
    };
    if kept.uploads.is_empty() {
        return Some(values);
    }
    let failure = match upload_files(state, client, due, kept.uploads).await {
        Ok(keys) => {
            for (placeholder, key) in keys {
                replace_file_key(&mut values, &placeholder, &key);
            }
            return Some(values);
        }
        Err(failure) => failure,
    };
    let at = state.inner.clock.now();
    match failure {
        Failure::Credentials(said) => {
            let reason = credentials_reason(&said, "POST file.json");
            pause_forms(state, std::slice::from_ref(due), &reason).await;
        }
        Failure::Request(said) => {
            settled.push(dead(due, &said.line(), Some(said.attempt(at, "POST file.json"))));
        }
        failure => {
            let said = match failure {
                Failure::Retry(said) => said,
                _ => Said::relay("kintone refused the upload"),
            };
            let attempt = said.attempt(at, "POST file.json");
            retry_all(state, std::slice::from_ref(due), &said.line(), Some(attempt)).await;
        }
    }
    None
}

/// `values` checked against the app's `fields` as the record to send; `None` when they no
/// longer fit (the form paused when it no longer fits its app, else a dead letter saying why).
async fn item_of(
    state: &AppState,
    fields: &kform_core::AppFields,
    group: &Group,
    spec: FormSpec,
    due: Due,
    values: &Values,
    settled: &mut Vec<Settlement>,
) -> Option<Item> {
    let mut checked = validate(fields, &spec, values);
    let mut fields = fields;
    // Before refusing, the fields another process synced since (a replay from the command line,
    // after the app was fixed in kintone).
    let newer = match checked {
        Ok(_) => None,
        Err(_) => state.newer_stored_fields(&group.connection, group.app).await,
    };
    if let Some(newer) = &newer {
        fields = newer;
        checked = validate(fields, &spec, values);
    }
    match checked {
        Ok(record) => {
            let record = record.with_submission_id(&spec, &due.submission_id);
            let key = match &group.write {
                Write::Upsert(field) => {
                    due.key.as_deref().map(|key| normalize_key(&spec, field, key))
                }
                Write::Add => None,
            };
            Some(Item { due, spec, record, key })
        }
        Err(report) => {
            // The form itself no longer fits its app: hold its submissions until it does.
            if let Some(reason) = drift_reason(fields, &spec) {
                pause_forms(state, std::slice::from_ref(&due), &reason).await;
                return None;
            }
            let reason = report
                .issues()
                .iter()
                .map(|issue| format!("{}: {}", issue.path, issue.code.message(spec.default_lang)))
                .collect::<Vec<_>>()
                .join("; ");
            let reason = format!("the values no longer fit the app's fields: {reason}");
            settled.push(dead(&due, &reason, None));
            None
        }
    }
}

/// Exactly once: before a retry, asks kintone which of `items` it already has (by their
/// idempotency field) and settles those as delivered; the rest, or `None` when the question
/// failed (the failure is then handled for all of them).
async fn skip_delivered(
    state: &AppState,
    client: &kform_kintone::Client,
    group: &Group,
    items: Vec<Item>,
) -> Option<Vec<Item>> {
    let now = state.inner.clock.now();
    let mut settled = Vec::new();
    let retried: Vec<usize> = (0..items.len())
        .filter(|&i| items[i].due.tries > 0 && items[i].spec.idempotency_field.is_some())
        .collect();
    if !retried.is_empty() {
        match already_there(state, client, group, &items, &retried).await {
            Ok(found) => {
                let mut keep = Vec::new();
                for (i, item) in items.into_iter().enumerate() {
                    match found.get(&i) {
                        Some(id) => {
                            let attempt = Attempt {
                                at: now,
                                endpoint: "GET records.json".into(),
                                status: Some(200),
                                code: None,
                                message: Some("kintone already had this record (found by its idempotency field)".into()),
                                record_id: Some(id.clone()),
                            };
                            let outcome = Outcome::Delivered(Some(id.clone()));
                            settled.push(settlement(&item.due, outcome, Some(attempt)));
                        }
                        None => keep.push(item),
                    }
                }
                settle(state, std::mem::take(&mut settled)).await;
                return Some(keep);
            }
            Err(failure) => {
                handle_whole(state, items, failure, "GET records.json").await;
                return None;
            }
        }
    }
    Some(items)
}

/// Sends `items` in calls of the group's write, taking kintone's all-or-nothing answers apart
/// until every item is settled, held for the budget, or put back for a retry.
async fn post(state: &AppState, client: &kform_kintone::Client, group: &Group, items: Vec<Item>) {
    let mut work = vec![items];
    while let Some(items) = work.pop() {
        if items.is_empty() {
            continue;
        }
        let endpoint = match group.write {
            Write::Add => "POST records.json",
            Write::Upsert(_) => "PUT records.json",
        };
        if let Some(hold) = budget_hold(state, group, 1).await {
            let held = std::iter::once(items)
                .chain(work.drain(..))
                .flatten()
                .map(|item| settlement(&item.due, Outcome::Hold { at: hold }, None))
                .collect();
            settle(state, held).await;
            tracing::warn!(connection = %group.connection, app = %group.app, "the app's daily kintone budget is spent; holding delivery until kintone's day changes");
            return;
        }
        let result = write_records(client, group, &items).await;
        let at = state.inner.clock.now();
        match result {
            Ok(ids) => settle(state, delivered(&items, ids, at, endpoint)).await,
            Err(err) => match classify(&err) {
                Failure::Records(by_index) => {
                    let rest = settle_refused(state, group, items, &by_index, at, endpoint).await;
                    work.push(rest);
                }
                Failure::Request(said) if items.len() > 1 => {
                    tracing::info!(reason = %said.line(), size = items.len(), "kintone refused a batch without naming a record; halving it");
                    let mut items = items;
                    let second = items.split_off(items.len() / 2);
                    work.push(second);
                    work.push(items);
                }
                failure => {
                    handle_whole(state, items, failure, endpoint).await;
                    for rest in work.drain(..) {
                        retry_items(state, &rest, "sent after a failed call", None).await;
                    }
                    return;
                }
            },
        }
    }
}

/// The settlements of a call kintone accepted: each item delivered with its record id, in order.
fn delivered(items: &[Item], ids: Vec<String>, at: UnixMillis, endpoint: &str) -> Vec<Settlement> {
    let ids = ids.into_iter().map(Some).chain(std::iter::repeat(None));
    items
        .iter()
        .zip(ids)
        .map(|(item, id)| {
            let attempt = Attempt {
                at,
                endpoint: endpoint.into(),
                status: Some(200),
                code: None,
                message: None,
                record_id: id.clone(),
            };
            settlement(&item.due, Outcome::Delivered(id), Some(attempt))
        })
        .collect()
}

/// One call writing `items` as the group writes: an add, or an upsert by the update key; the
/// record ids in order.
async fn write_records(
    client: &kform_kintone::Client,
    group: &Group,
    items: &[Item],
) -> Result<Vec<String>, kform_kintone::KintoneError> {
    match &group.write {
        Write::Add => {
            let records: Vec<Valid<Record>> =
                items.iter().map(|item| item.record.clone()).collect();
            client.add_records(group.app, &records).await
        }
        Write::Upsert(field) => {
            let records: Vec<(String, Valid<Record>)> = items
                .iter()
                .map(|item| (item.key.clone().unwrap_or_default(), item.record.clone()))
                .collect();
            client.upsert_records(group.app, field, &records).await
        }
    }
}

/// Settles the records kintone refused in a call (`by_index`, by place in `items`), and
/// answers the rest, which it refused only with them and which go again. kintone judged against
/// its current fields and kform's may be older: they are read first, and a form that no longer
/// fits waits, paused, rather than its submissions dying.
async fn settle_refused(
    state: &AppState,
    group: &Group,
    items: Vec<Item>,
    by_index: &BTreeMap<usize, Vec<classify::Refusal>>,
    at: UnixMillis,
    endpoint: &str,
) -> Vec<Item> {
    let fresh = refusal_sync(state, group).await;
    let mut rest = Vec::new();
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let Some(problems) = by_index.get(&i) else {
            rest.push(item);
            continue;
        };
        if let Some(reason) = fresh.as_ref().and_then(|fresh| drift_reason(fresh, &item.spec)) {
            pause_forms(state, std::slice::from_ref(&item.due), &reason).await;
            continue;
        }
        let duplicate_id = item.spec.idempotency_field.as_ref().is_some_and(|field| {
            problems.iter().any(|refusal| refusal.field.as_ref() == Some(field))
        });
        let message = problems
            .iter()
            .map(|refusal| format!("{}: {}", refusal.path, refusal.message))
            .collect::<Vec<_>>()
            .join("; ");
        let attempt = Attempt {
            at,
            endpoint: endpoint.into(),
            status: Some(400),
            code: Some("CB_VA01".into()),
            message: Some(message.clone()),
            record_id: None,
        };
        // A unique-value refusal on the idempotency field: kintone has it.
        let outcome =
            if duplicate_id { Outcome::Delivered(None) } else { Outcome::DeadLetter(message) };
        out.push(settlement(&item.due, outcome, Some(attempt)));
    }
    settle(state, out).await;
    rest
}

/// The API token permissions delivering `spec`'s submissions needs, each with why (what
/// `kform check-config` probes, and what a `GAIA_NO01` pause names).
pub(crate) fn needed_permissions(spec: &kform_core::FormSpec) -> Vec<(Permission, &'static str)> {
    let mut needs = vec![(Permission::Add, "every form adds records")];
    if spec.update_key.is_some() {
        needs.push((Permission::Edit, "update_key: records are updated by their key"));
    }
    if spec.idempotency_field.is_some() {
        needs.push((Permission::View, "idempotency_field: records kintone already has are found"));
    }
    needs
}

/// The app's fields after kintone refused records: read again, but at most once a minute per
/// app (a stream of refused duplicates must not spend the daily reserve on syncs; within the
/// minute the fields that sync read are used); `None` when they cannot be had.
async fn refusal_sync(state: &AppState, group: &Group) -> Option<Arc<kform_core::AppFields>> {
    let key = (group.connection.clone(), group.app);
    let now = state.inner.clock.now();
    let recent = {
        let mut last = state.inner.refusal_syncs.lock().unwrap_or_else(PoisonError::into_inner);
        let recent = last.get(&key).is_some_and(|at| now.since(*at) < REFUSAL_SYNC_MS);
        if !recent {
            last.insert(key, now);
        }
        recent
    };
    if recent {
        return state.fields(&group.connection, group.app).await.ok();
    }
    match state.sync(&group.connection, group.app).await {
        Ok(_) => state.fields(&group.connection, group.app).await.ok(),
        Err(err) => {
            tracing::warn!(%err, "kintone refused records and the app could not be synced");
            None
        }
    }
}

/// The least time between two syncs of an app caused by refused records.
const REFUSAL_SYNC_MS: i64 = 60_000;

/// How a pause for drift begins: such a pause ends by itself when the form fits its app again.
pub(crate) const DRIFT_PAUSE: &str = "the form no longer fits its kintone app";

/// Why a form's submissions must wait, when the form no longer fits the app's `fields` (lint
/// finds errors): the problems, and how it ends.
fn drift_reason(fields: &kform_core::AppFields, spec: &kform_core::FormSpec) -> Option<String> {
    let issues = kform_core::lint(fields, spec);
    if !kform_core::has_errors(&issues) {
        return None;
    }
    let lines: Vec<String> = issues
        .iter()
        .filter(|issue| !issue.is_warning())
        .map(|issue| issue.line(kform_core::Locale::En))
        .collect();
    Some(format!(
        "{DRIFT_PAUSE}: {}; its submissions wait, and are sent once the form (or the app) is fixed",
        lines.join("; ")
    ))
}

/// The reason a form pauses for a refused call: kintone's words, and for a token without the
/// permission (`GAIA_NO01`) which permission the call at `endpoint` needs and how to add it.
fn credentials_reason(said: &Said, endpoint: &str) -> String {
    let permission = match endpoint {
        "GET records.json" => Some("view records"),
        "POST records.json" | "POST file.json" => Some("add records"),
        "PUT records.json" => Some("edit records and add records"),
        _ => None,
    };
    match (said.code.as_deref(), permission) {
        (Some("GAIA_NO01"), Some(permission)) => format!(
            "{}; the app's API token needs the \"{permission}\" permission for {endpoint}: add it to the token in kintone, save, and click Update App, then resume the form",
            said.line()
        ),
        _ => said.line(),
    }
}

/// Settles every item after a failure that concerns the call, not one record.
async fn handle_whole(state: &AppState, items: Vec<Item>, failure: Failure, endpoint: &str) {
    let at = state.inner.clock.now();
    match failure {
        Failure::Credentials(said) => {
            let dues: Vec<Due> = items.into_iter().map(|item| item.due).collect();
            pause_forms(state, &dues, &credentials_reason(&said, endpoint)).await;
        }
        Failure::Retry(said) => {
            retry_items(state, &items, &said.line(), Some(said.attempt(at, endpoint))).await;
        }
        Failure::Request(said) => {
            let out = items
                .iter()
                .map(|item| dead(&item.due, &said.line(), Some(said.attempt(at, endpoint))))
                .collect();
            settle(state, out).await;
        }
        Failure::Records(_) => {
            retry_items(state, &items, "kintone refused records of another call", None).await;
        }
    }
}

async fn retry_items(state: &AppState, items: &[Item], reason: &str, attempt: Option<Attempt>) {
    let dues: Vec<Due> = items.iter().map(|item| item.due.clone()).collect();
    retry_all(state, &dues, reason, attempt).await;
}

async fn retry_all(state: &AppState, dues: &[Due], reason: &str, attempt: Option<Attempt>) {
    let settings = &state.inner.delivery;
    let now = state.inner.clock.now();
    let out = dues
        .iter()
        .map(|due| {
            let at = now.plus(backoff(settings.retry_base_ms, settings.retry_cap_ms, due.tries));
            settlement(due, Outcome::Retry { at, error: reason.to_owned() }, attempt.clone())
        })
        .collect();
    settle(state, out).await;
}

/// Pauses every form in `dues`: their submissions stay pending until an administrator resumes.
async fn pause_forms(state: &AppState, dues: &[Due], reason: &str) {
    let forms: HashSet<&str> = dues.iter().map(|due| due.form.as_str()).collect();
    for form in forms {
        let (form_owned, reason_owned, now) =
            (form.to_owned(), reason.to_owned(), state.inner.clock.now());
        let paused = state.outbox(move |outbox| outbox.pause(&form_owned, &reason_owned, now));
        if matches!(paused.await, Ok(true)) {
            tracing::error!(%form, %reason, "delivery of the form is paused: its submissions wait until it is resumed");
            state.inner.metrics.submission(form, "paused");
            state.inner.notifier.paused(form, reason);
        }
    }
}

/// kintone keeps an unattached upload for 3 days; after 2 the relay uploads it again.
const UPLOAD_FRESH_MS: i64 = 2 * 86_400_000;

/// Uploads a submission's files that have no fresh key yet, keeping each key as soon as kintone
/// gives it, so a retry does not upload again; (placeholder, key) for every file.
async fn upload_files(
    state: &AppState,
    client: &kform_kintone::Client,
    due: &Due,
    mut uploads: Vec<crate::outbox::StoredUpload>,
) -> Result<Vec<(String, String)>, Failure> {
    let now = state.inner.clock.now();
    for i in 0..uploads.len() {
        let fresh = uploads[i].key.is_some()
            && uploads[i].uploaded_at.is_some_and(|at| now.since(at) < UPLOAD_FRESH_MS);
        if fresh {
            continue;
        }
        let path = state.inner.files_dir.join(&uploads[i].path);
        let bytes = tokio::task::spawn_blocking(move || std::fs::read(path))
            .await
            .map_err(|_| Failure::Retry(Said::relay("the file could not be read")))?
            .map_err(|err| {
                Failure::Request(Said::relay(&format!(
                    "the submission's file is gone from the data directory: {err}"
                )))
            })?;
        let upload = &uploads[i];
        let key = client
            .upload_file(&upload.name, &upload.content_type, bytes)
            .await
            .map_err(|err| classify(&err))?;
        uploads[i].key = Some(key);
        uploads[i].uploaded_at = Some(now);
        let (form, id, kept) = (due.form.clone(), due.submission_id.clone(), uploads.clone());
        let saved = state.outbox(move |outbox| outbox.set_uploads(&form, &id, &kept)).await;
        if saved.is_err() {
            return Err(Failure::Retry(Said::relay("the upload key could not be kept")));
        }
    }
    Ok(uploads
        .into_iter()
        .filter_map(|upload| upload.key.map(|key| (upload.placeholder, key)))
        .collect())
}

/// Puts an upload's key where its placeholder stood.
fn replace_file_key(values: &mut Values, placeholder: &str, key: &str) {
    for value in values.0.values_mut() {
        if let kform_core::Value::Files(keys) = value {
            for existing in keys.iter_mut() {
                if existing == placeholder {
                    key.clone_into(existing);
                }
            }
        }
    }
}

/// Which of the retried items kintone already has, by their idempotency field: index → id.
async fn already_there(
    state: &AppState,
    client: &kform_kintone::Client,
    group: &Group,
    items: &[Item],
    retried: &[usize],
) -> Result<HashMap<usize, String>, Failure> {
    let mut by_field: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &i in retried {
        if let Some(field) = &items[i].spec.idempotency_field {
            by_field.entry(field.as_str().to_owned()).or_default().push(i);
        }
    }
    let mut found = HashMap::new();
    for (field, indices) in by_field {
        if budget_hold(state, group, 1).await.is_some() {
            return Err(Failure::Retry(Said::relay("the daily budget is spent")));
        }
        let ids: Vec<String> = indices
            .iter()
            .map(|&i| format!("\"{}\"", items[i].due.submission_id.replace('"', "")))
            .collect();
        let query = format!("{field} in ({}) limit 500", ids.join(", "));
        let records = client.records(group.app, &query).await.map_err(|err| classify(&err))?;
        for record in records {
            let Some(submission_id) = record[field.as_str()]["value"].as_str() else { continue };
            let Some(&i) = indices.iter().find(|&&i| items[i].due.submission_id == submission_id)
            else {
                continue;
            };
            let id = record["$id"]["value"].as_str().unwrap_or_default().to_owned();
            found.insert(i, id);
        }
    }
    Ok(found)
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
