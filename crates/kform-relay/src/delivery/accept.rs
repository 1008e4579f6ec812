//! The group-commit writer: every request hands its submission here, and one blocking task
//! keeps a batch of them durably in one transaction before any is answered.

use std::sync::Arc;

use tokio::sync::{Notify, mpsc, oneshot};

use crate::clock::Clock;
use crate::outbox::{Accepted, NewSubmission, Outbox};
use crate::store::StoreError;

type Job = (NewSubmission, oneshot::Sender<Result<Accepted, StoreError>>);

/// The group-commit writer every request hands its submission to.
#[derive(Clone)]
pub(crate) struct Acceptor {
    jobs: mpsc::Sender<Job>,
}

impl Acceptor {
    /// Starts the writer; `wake` is told after each commit.
    pub(crate) fn spawn(outbox: Arc<dyn Outbox>, clock: Arc<dyn Clock>, wake: Arc<Notify>) -> Self {
        let (jobs, mut queue) = mpsc::channel::<Job>(4096);
        tokio::spawn(async move {
            while let Some(first) = queue.recv().await {
                let mut batch = vec![first];
                while batch.len() < 1024 {
                    match queue.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                let (news, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                let outbox = outbox.clone();
                let now = clock.now();
                let result = tokio::task::spawn_blocking(move || outbox.accept(&news, now)).await;
                match result {
                    Ok(Ok(answers)) => {
                        for (reply, answer) in replies.into_iter().zip(answers) {
                            let _ = reply.send(Ok(answer));
                        }
                        wake.notify_one();
                    }
                    Ok(Err(err)) => {
                        tracing::error!(error = %err, "the outbox could not keep submissions");
                        let message = err.to_string();
                        for reply in replies {
                            let _ = reply.send(Err(StoreError::Failed(message.clone())));
                        }
                    }
                    Err(_) => {
                        for reply in replies {
                            let _ = reply.send(Err(StoreError::Join));
                        }
                    }
                }
            }
        });
        Self { jobs }
    }

    /// Keeps `submission` durably, or finds the earlier one with its id.
    pub(crate) async fn accept(&self, submission: NewSubmission) -> Result<Accepted, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send((submission, reply)).await.map_err(|_| StoreError::Join)?;
        answer.await.map_err(|_| StoreError::Join)?
    }
}
