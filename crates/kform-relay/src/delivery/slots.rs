//! kintone call slots: at most `delivery.concurrency` calls at once per kintone domain, for all
//! relays sharing a store together. A [`CallSlot`] is one of this relay's permits for the
//! domain (a semaphore, which keeps the cap alone when one relay has the store) and one of the
//! store's slot rows (`Outbox::take_slot`, which keeps it across relays), renewed while held.
//! Batches and field syncs both take one.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::state::AppState;

tokio::task_local! {
    /// Set while a task sends under a call slot: a sync it makes inside (kintone refused
    /// records, or the app's fields were never read) uses that slot instead of waiting for a
    /// second one, which with a cap of 1 would never come.
    static HOLDING: ();
}

/// Runs `work` as holding a call slot (see [`HOLDING`]).
pub(crate) async fn holding<F: Future>(work: F) -> F::Output {
    HOLDING.scope((), work).await
}

/// Whether the running task holds a call slot.
fn held() -> bool {
    HOLDING.try_with(|()| ()).is_ok()
}

/// This relay's permits, one semaphore per kintone domain.
#[derive(Default)]
pub(crate) struct Permits(Mutex<HashMap<String, Arc<Semaphore>>>);

impl Permits {
    /// The semaphore for `domain`, with `cap` permits.
    pub(crate) fn of(&self, domain: &str, cap: usize) -> Arc<Semaphore> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(domain.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(cap.max(1))))
            .clone()
    }
}

/// One call at a time to a kintone domain, within the cap of every relay together.
pub(crate) struct CallSlot {
    state: AppState,
    domain: String,
    /// The store's slot, until given back.
    slot: Option<i64>,
    renew: tokio::task::JoinHandle<()>,
    _permit: OwnedSemaphorePermit,
}

impl CallSlot {
    /// How long a slot is held without renewal: the delivery lease.
    fn lease_ms(state: &AppState) -> i64 {
        i64::try_from(state.inner.delivery.lease_ms).unwrap_or(30_000).max(300)
    }

    /// Waits for one of this relay's permits for `domain`, then [`CallSlot::with_permit`].
    pub(crate) async fn wait(state: &AppState, domain: String) -> Option<Self> {
        let cap = state.inner.delivery.concurrency;
        let permit = state.inner.engine.permits.of(&domain, cap).acquire_owned().await.ok()?;
        Self::with_permit(state, domain, permit).await
    }

    /// Waits for one of the store's slots for `domain` (another relay's calls may fill them);
    /// `None` when the store failed.
    pub(crate) async fn with_permit(
        state: &AppState,
        domain: String,
        permit: OwnedSemaphorePermit,
    ) -> Option<Self> {
        let lease_ms = Self::lease_ms(state);
        let cap = state.inner.delivery.concurrency;
        let slot = loop {
            let now = state.inner.clock.now();
            let asked = domain.clone();
            match state.outbox(move |o| o.take_slot(&asked, cap, now, now.plus(lease_ms))).await {
                Ok(Some(slot)) => break slot,
                // Another relay's calls fill the domain's slots: one frees soon.
                Ok(None) => tokio::time::sleep(Duration::from_millis(20)).await,
                Err(err) => {
                    tracing::error!(error = %err, "a kintone call slot cannot be taken");
                    return None;
                }
            }
        };
        let renew = {
            let (state, domain) = (state.clone(), domain.clone());
            tokio::spawn(async move {
                let period = Duration::from_millis(u64::try_from(lease_ms / 3).unwrap_or(10_000));
                loop {
                    tokio::time::sleep(period).await;
                    let now = state.inner.clock.now();
                    let domain = domain.clone();
                    let renewed = state
                        .outbox(move |o| o.renew_slot(&domain, slot, now.plus(lease_ms)))
                        .await;
                    if let Err(err) = renewed {
                        tracing::warn!(error = %err, "a kintone call slot could not be renewed");
                    }
                }
            })
        };
        Some(Self { state: state.clone(), domain, slot: Some(slot), renew, _permit: permit })
    }

    /// Gives the slot back (before this relay's permit, so the next call finds it free).
    pub(crate) async fn give_back(mut self) {
        self.renew.abort();
        if let Some(slot) = self.slot.take() {
            give(&self.state, self.domain.clone(), slot).await;
        }
    }
}

impl Drop for CallSlot {
    /// A slot dropped without [`CallSlot::give_back`] (its task was cancelled) is given back
    /// in the background.
    fn drop(&mut self) {
        self.renew.abort();
        if let Some(slot) = self.slot.take() {
            let (state, domain) = (self.state.clone(), self.domain.clone());
            tokio::spawn(async move { give(&state, domain, slot).await });
        }
    }
}

async fn give(state: &AppState, domain: String, slot: i64) {
    if let Err(err) = state.outbox(move |o| o.give_slot(&domain, slot)).await {
        tracing::warn!(error = %err, "a kintone call slot could not be given back; it frees when its lease ends");
    }
}

/// Runs `call` (a few kintone calls to `domain` made outside a batch: a field sync) under a
/// call slot, or under the one the running task already holds.
pub(crate) async fn within_cap<T>(
    state: &AppState,
    domain: String,
    call: impl Future<Output = T>,
) -> T {
    if held() {
        return call.await;
    }
    let slot = CallSlot::wait(state, domain).await;
    let out = holding(call).await;
    if let Some(slot) = slot {
        slot.give_back().await;
    }
    out
}
