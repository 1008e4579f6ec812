//! Sending one batch: prepare it (the app's client and fields, each submission's values with
//! its files uploaded, validated into a `Valid<Record>`), skip what kintone already has (exactly
//! once), post it, and take kintone's answer apart into settlements; with what a failure means
//! for the batch (retry, dead letter, pause) in one place each.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, PoisonError};

use kform_core::{FormSpec, Record, Valid, Values, validate};
use kform_kintone::Permission;

use super::budget::budget_hold;
use super::classify::{self, Failure, Said, classify};
use super::{Group, Item, Write, backoff, dead, settle, settlement};
use crate::clock::UnixMillis;
use crate::outbox::{Attempt, Due, Outcome, Settlement};
use crate::state::{AppState, ConnectionError};

/// Delivers one batch; every submission in it ends settled, held, or untouched (paused).
pub(super) async fn send(state: &AppState, group: &Group, batch: Vec<Due>) {
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
        let queued = state.inner.notifier.paused(form, reason);
        let paused =
            state.outbox(move |outbox| outbox.pause(&form_owned, &reason_owned, &queued, now));
        if matches!(paused.await, Ok(true)) {
            tracing::error!(%form, %reason, "delivery of the form is paused: its submissions wait until it is resumed");
            state.inner.metrics.submission(form, "paused");
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
        let path = uploads[i].path.clone();
        let bytes = state
            .outbox(move |outbox| outbox.file(&path))
            .await
            .map_err(|_| Failure::Retry(Said::relay("the file could not be read")))?
            .ok_or_else(|| {
                Failure::Request(Said::relay(
                    "the submission's file is gone from the relay's store",
                ))
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
