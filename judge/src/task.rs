//! The judge as a task of `sargs serve`, and the handle the service and the HTTP API hold.
//!
//! It wakes when the store says a commit stored new observations (`Store::watch_commits`: the
//! ingest writer is in the same process, so no polling is needed for it), when `cases` says it
//! committed a change to some order's policy (`Cases::watch_policies`: no caller has to tell
//! the judge), and once a second regardless: to tick the engine with the clock, to look at the
//! orders for changes made by another process, and to pick up observations committed by one. An error in a step is logged and the
//! judge starts again from what is stored, as after a restart.

use std::sync::Arc;
use std::time::Duration;

use cases::Cases;
use ingest::store::Telemetry;
use store::Store;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::JudgeError;
use crate::follower::EpisodeFollower;
use crate::judgement::Judgement;
use crate::records::{self, StoredEpisode};
use store::{Clock, SystemClock};

/// How the judge's task runs: its clock and the pace and size of its steps.
#[derive(Clone)]
pub struct JudgeOptions {
    /// The clock the judge reads "now" from, to tick the engine and stamp what it stores; tests set their own.
    pub clock: Arc<dyn Clock>,
    /// How often the clock ticks the engine and the orders are looked at.
    pub tick_every: Duration,
    /// Most observations looked at in one step (one transaction at most). Large, because on
    /// SQLite a step that stores waits its turn behind ingest's commits (about 100 ms under
    /// the foundation's load): with 2 048 rows a step the judge fell behind a fleet of
    /// 26 000 frames/s, with 16 384 it keeps up. Most rows cost only a look at their device.
    pub batch: u32,
    /// Takes the episode changes in each step's own transaction (the alerts; see
    /// [`crate::follower`]).
    pub follower: Option<Arc<dyn EpisodeFollower>>,
    /// The case records the service changes (the API's): the judge wakes on every change to
    /// an order's policy they commit. None: the judge opens its own, and sees changes at its
    /// periodic look.
    pub cases: Option<Cases>,
    /// Ingest's tables as the service opened them (and migrated them, once). None: the judge
    /// opens its own.
    pub telemetry: Option<Telemetry>,
}

impl Default for JudgeOptions {
    fn default() -> Self {
        JudgeOptions {
            clock: Arc::new(SystemClock),
            tick_every: Duration::from_secs(1),
            batch: 16_384,
            follower: None,
            cases: None,
            telemetry: None,
        }
    }
}

enum Command {
    PolicyChanged(i64),
    CatchUp(oneshot::Sender<Result<(), JudgeError>>),
}

/// Tells a running judge that an order changed, so that the change takes effect now rather
/// than at the judge's next look at the orders (within a second). Changes made through the
/// judge's own `Cases` ([`JudgeOptions::cases`]) need no telling.
#[derive(Clone, Debug)]
pub struct PolicyNotifier(mpsc::Sender<Command>);

impl PolicyNotifier {
    /// Never waits; a stopped judge is told nothing.
    pub fn policy_changed(&self, order_id: i64) {
        // A full queue already holds a look at the orders.
        let _ = self.0.try_send(Command::PolicyChanged(order_id));
    }
}

/// The running judge. Dropping it stops the task at once (what it had not committed is judged
/// again on the next start); [`Judge::shutdown`] lets it finish what is committed first.
pub struct Judge {
    store: Store,
    commands: mpsc::Sender<Command>,
    stepped: watch::Receiver<u64>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Judge {
    /// Resumes every client's monitor from the store, then judges in a task of its own.
    /// Fails if the store cannot be read; a failure after that is retried in the task.
    pub async fn start(store: Store, options: JudgeOptions) -> Result<Judge, JudgeError> {
        let cases = match options.cases.clone() {
            Some(cases) => cases,
            None => Cases::open(store.clone()).await?,
        };
        let telemetry = match options.telemetry.clone() {
            Some(telemetry) => telemetry,
            None => Telemetry::open(store.clone()).await?,
        };
        let policies = cases.watch_policies();
        let judgement = Judgement::open(
            store.clone(),
            cases.clone(),
            telemetry.clone(),
            options.clock.clone(),
            options.batch,
            options.follower.clone(),
        )
        .await?;
        let (commands, rx) = mpsc::channel(64);
        let (stop, stopped) = oneshot::channel();
        let (steps, stepped) = watch::channel(0);
        let task = tokio::spawn(run(
            judgement,
            store.clone(),
            options,
            Channels {
                cases,
                telemetry,
                commands: rx,
                policies,
                stopped,
                steps,
            },
        ));
        Ok(Judge {
            store,
            commands,
            stepped,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// An order changed: look at the orders now rather than at the next check. Never waits.
    pub fn policy_changed(&self, order_id: i64) {
        self.notifier().policy_changed(order_id);
    }

    /// A handle that tells this judge of changed orders, for whatever changes them (the API).
    pub fn notifier(&self) -> PolicyNotifier {
        PolicyNotifier(self.commands.clone())
    }

    /// Changes after each step of judging, which may have logged episode changes
    /// (`records::changes_after`): what the alerts wait on.
    pub fn watch_steps(&self) -> watch::Receiver<u64> {
        self.stepped.clone()
    }

    /// Returns once every observation committed before the call is judged, earlier commands
    /// done, and the engine ticked with the clock.
    pub async fn catch_up(&self) -> Result<(), JudgeError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::CatchUp(reply))
            .await
            .map_err(|_| JudgeError::Stopped)?;
        answer.await.map_err(|_| JudgeError::Stopped)?
    }

    /// A client's episodes overlapping `[from_ms, to_ms)`: see [`records::episodes`].
    pub async fn episodes(
        &self,
        client_id: i64,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<StoredEpisode>, JudgeError> {
        records::episodes(&self.store, client_id, from_ms, to_ms).await
    }

    /// One stored episode of a client, by its id within the client; none if there is none.
    pub async fn episode(
        &self,
        client_id: i64,
        episode_id: u64,
    ) -> Result<Option<StoredEpisode>, JudgeError> {
        records::episode(self.store.pool(), client_id, episode_id).await
    }

    /// Judges what is committed, then stops.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Judge {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// What the task listens to, and tells.
struct Channels {
    /// The case records the judgement reads, opened again with it after a failed step.
    cases: Cases,
    /// Ingest's tables, read by the judgement and kept across its reopenings.
    telemetry: Telemetry,
    commands: mpsc::Receiver<Command>,
    /// Moves on when `cases` commits a change to an order's policy.
    policies: watch::Receiver<u64>,
    stopped: oneshot::Receiver<()>,
    steps: watch::Sender<u64>,
}

async fn run(mut judgement: Judgement, store: Store, options: JudgeOptions, channels: Channels) {
    let Channels {
        cases,
        telemetry,
        mut commands,
        mut policies,
        mut stopped,
        steps,
    } = channels;
    let mut commits: watch::Receiver<u64> = store.watch_commits();
    let mut ticks = tokio::time::interval(options.tick_every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let step = tokio::select! {
            biased;
            _ = &mut stopped => break,
            // Before the commands: a change committed before a catch-up is applied first.
            Ok(()) = policies.changed() => {
                tracing::debug!("an order's policy changed");
                judgement.refresh_policies().await
            }
            command = commands.recv() => match command {
                Some(Command::PolicyChanged(order_id)) => {
                    tracing::debug!(order_id, "order changed");
                    judgement.refresh_policies().await
                }
                Some(Command::CatchUp(reply)) => match catch_up(&mut judgement, &steps).await {
                    Ok(()) => {
                        let _ = reply.send(Ok(()));
                        Ok(())
                    }
                    Err(error) => {
                        let _ = reply.send(Err(JudgeError::Failed(error.to_string())));
                        Err(error)
                    }
                },
                None => break,
            },
            changed = commits.changed() => match changed {
                Ok(()) => judge_all(&mut judgement, &steps).await,
                // The store is gone with everything else.
                Err(_) => break,
            },
            _ = ticks.tick() => periodic(&mut judgement, &steps).await,
        };
        steps.send_modify(|n| *n = n.wrapping_add(1));
        if let Err(error) = step {
            if store.is_closed() {
                return;
            }
            if store.refusing_writes() {
                tracing::debug!(%error, "judging failed while the storage refuses writes");
            } else {
                tracing::error!(%error, "judging failed; starting again from the store");
            }
            judgement = loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                match Judgement::open(
                    store.clone(),
                    cases.clone(),
                    telemetry.clone(),
                    options.clock.clone(),
                    options.batch,
                    options.follower.clone(),
                )
                .await
                {
                    Ok(j) => break j,
                    Err(_) if store.is_closed() => return,
                    Err(error) if store.refusing_writes() => {
                        tracing::debug!(%error, "cannot resume judging while the storage refuses writes");
                    }
                    Err(error) => tracing::error!(%error, "cannot resume judging yet"),
                }
            };
        }
    }
    let last = match judge_all(&mut judgement, &steps).await {
        Ok(()) => judgement.save_cursor().await,
        Err(error) => Err(error),
    };
    if let Err(error) = last {
        tracing::error!(%error, "judging the last observations failed; they are judged on the next start");
    }
}

/// Judges until every committed observation is judged, telling `steps` after each batch: under
/// load there is always a next batch, and the alerts must not wait for the last.
async fn judge_all(
    judgement: &mut Judgement,
    steps: &watch::Sender<u64>,
) -> Result<(), JudgeError> {
    while judgement.judge_batch().await? {
        steps.send_modify(|n| *n = n.wrapping_add(1));
    }
    Ok(())
}

async fn periodic(judgement: &mut Judgement, steps: &watch::Sender<u64>) -> Result<(), JudgeError> {
    judgement.refresh_policies().await?;
    judge_all(judgement, steps).await?;
    judgement.save_cursor_if_behind().await?;
    judgement.tick().await
}

async fn catch_up(judgement: &mut Judgement, steps: &watch::Sender<u64>) -> Result<(), JudgeError> {
    judge_all(judgement, steps).await?;
    judgement.tick().await
}
