//! The alerts as a task of `sargs serve`, and the handle the HTTP API holds.
//!
//! One loop follows the judge (woken after each of its steps, and once a second regardless),
//! escalates what is due and wakes the outbox workers; one worker per channel sends. People's
//! requests go through the handle, which wakes the live feed and the outbox after each commit.
//! Every timer is a row (`alerts.escalate_at_ms`, `outbox.next_attempt_ms`), so a restart
//! loses none.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use cases::{Actor, Cases};
use judge::EpisodeFollower;
use judge::follower::{FollowError, FollowFuture};
use rules::Timestamp;
use store::{Clock, SystemClock};
use store::{Store, WriteTx};
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::actions::{self, Request};
use crate::config::AlertsConfig;
use crate::notify::{self, Contact, PersonChannel, Wanted};
use crate::outbox::{self, Sink};
use crate::records::{self, Alert, AlertEvent};
use crate::reminders::Reminders;
use crate::{AlertsError, follow};

/// How the alerts run.
#[derive(Clone)]
pub struct AlertsOptions {
    /// Escalation times, severities, wearer notices and channels.
    pub config: AlertsConfig,
    /// The clock the alerts read "now" from (raising, escalating, retrying); tests set their own.
    pub clock: Arc<dyn Clock>,
    /// The sinks by outbox channel name (`email`, `sms`, `webhook`, `wearer`). A person's
    /// channel without a sink gets its notifications given up, with that reason.
    pub sinks: BTreeMap<&'static str, Arc<dyn Sink>>,
    /// The judge's steps, to wake on; without it the alerts look once a second.
    pub judge_steps: Option<watch::Receiver<u64>>,
    /// The follower the judge was started with, if any: the alerts join it, and from then on
    /// take the judge's episode changes in its steps' own transactions.
    pub follower: Option<Arc<JudgeFollower>>,
    /// How often the task looks for what fell due (escalations, retries) without a judge step.
    pub tick_every: Duration,
}

impl Default for AlertsOptions {
    fn default() -> Self {
        AlertsOptions {
            config: AlertsConfig::default(),
            clock: Arc::new(SystemClock),
            sinks: BTreeMap::new(),
            judge_steps: None,
            follower: None,
            tick_every: Duration::from_secs(1),
        }
    }
}

struct Shared {
    store: Store,
    cases: Cases,
    config: AlertsConfig,
    clock: Arc<dyn Clock>,
    wanted: Wanted,
    /// The newest event id committed: the live feed waits on it.
    feed: watch::Sender<i64>,
    outbox: Arc<Notify>,
    /// The curfew reminders, and when they were last looked for (by the clock).
    reminders: tokio::sync::Mutex<(Reminders, Option<Timestamp>)>,
}

/// Episode changes taken in one go.
const TAKE: u32 = 500;

/// Curfew reminders are looked for at most this often (every active order is walked).
const REMINDERS_EVERY_MS: i64 = 30_000;

impl Shared {
    /// After a commit: the live feed and the outbox look again.
    async fn committed(&self) {
        match records::last_event(&self.store).await {
            Ok(last) => {
                self.feed.send_if_modified(|seen| {
                    let newer = last > *seen;
                    *seen = (*seen).max(last);
                    newer
                });
            }
            Err(error) => tracing::warn!(%error, "cannot read the newest alert event"),
        }
        self.outbox.notify_waiters();
    }

    fn ctx(&self) -> actions::Ctx<'_> {
        actions::Ctx {
            cases: &self.cases,
            config: &self.config,
            wanted: self.wanted,
        }
    }

    /// Takes the judge's changes, escalates what is due, and (when `all`, or every
    /// [`REMINDERS_EVERY_MS`]) stores the curfew reminders due.
    async fn step(&self, all: bool) -> Result<(), AlertsError> {
        let mut raised = false;
        loop {
            let now = self.clock.now();
            let taken = follow::take(
                &self.store,
                &self.cases,
                &self.config,
                self.wanted,
                now,
                TAKE,
            )
            .await?;
            raised |= taken > 0;
            if taken < TAKE as usize {
                break;
            }
        }
        if raised {
            // The feed and the outbox hear of new alerts before escalations and reminders.
            self.committed().await;
        }
        let now = self.clock.now();
        actions::escalate_due(&self.store, self.ctx(), now).await?;
        let mut reminders = self.reminders.lock().await;
        let (plans, last) = &mut *reminders;
        if all || last.is_none_or(|t| now.0.saturating_sub(t.0) >= REMINDERS_EVERY_MS) {
            plans
                .step(&self.store, &self.cases, &self.config, now)
                .await?;
            *last = Some(now);
        }
        drop(reminders);
        self.committed().await;
        Ok(())
    }
}

/// The alerts taking the judge's episode changes in the judge's own steps
/// ([`judge::follower`]): an alert then commits with the episode behind it, instead of
/// waiting for a write turn of its own. Made before the judge starts (it is one of the judge's
/// options) and joined by the alerts when they start; until then, and after they stop, it
/// takes nothing, and the alerts' own loop takes the changes as before.
#[derive(Default)]
pub struct JudgeFollower {
    alerts: OnceLock<Weak<Shared>>,
}

impl JudgeFollower {
    fn alerts(&self) -> Option<Arc<Shared>> {
        self.alerts.get().and_then(Weak::upgrade)
    }
}

impl EpisodeFollower for JudgeFollower {
    fn follow_in<'a>(&'a self, tx: &'a mut WriteTx) -> FollowFuture<'a, Result<(), FollowError>> {
        Box::pin(async move {
            let Some(shared) = self.alerts() else {
                return Ok(());
            };
            shared.cases.join_writers(tx).await?;
            let now = shared.clock.now();
            while follow::take_in(tx, &shared.config, shared.wanted, now, TAKE).await?
                == TAKE as usize
            {}
            Ok(())
        })
    }

    fn committed(&self) -> FollowFuture<'_, ()> {
        Box::pin(async move {
            if let Some(shared) = self.alerts() {
                shared.committed().await;
            }
        })
    }
}

/// The running alerts. Dropping it stops the tasks at once; what was committed stays, and
/// what was not sent is sent after the next start.
pub struct Alerts {
    shared: Arc<Shared>,
    catch_up: mpsc::Sender<oneshot::Sender<Result<(), AlertsError>>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Alerts {
    /// Brings the alert tables up to date, then follows the judge in tasks of their own.
    pub async fn start(
        store: Store,
        cases: Cases,
        options: AlertsOptions,
    ) -> Result<Alerts, AlertsError> {
        options
            .config
            .validate()
            .map_err(|e| AlertsError::Invalid(e.to_string()))?;
        // The judge's episode log is read from the start, even before the judge first runs.
        judge::migrate(&store).await?;
        crate::schema::migrate(&store).await?;
        let (feed, _) = watch::channel(records::last_event(&store).await?);
        let shared = Arc::new(Shared {
            store: store.clone(),
            cases,
            wanted: Wanted {
                webhook: options.sinks.contains_key(notify::WEBHOOK),
            },
            config: options.config.clone(),
            clock: options.clock.clone(),
            feed,
            outbox: Arc::new(Notify::new()),
            reminders: tokio::sync::Mutex::new((Reminders::default(), None)),
        });
        if let Some(follower) = &options.follower
            && follower.alerts.set(Arc::downgrade(&shared)).is_err()
        {
            return Err(AlertsError::Invalid(
                "the judge's follower already serves other alerts".into(),
            ));
        }
        // What fell due while sargs was stopped is done before `start` returns; then the
        // task looks after each judge step and every `tick_every`.
        shared.step(true).await?;
        let mut tasks = Vec::new();
        let channels = [
            PersonChannel::Email.as_str(),
            PersonChannel::Sms.as_str(),
            notify::WEBHOOK,
            notify::WEARER,
        ];
        for channel in channels {
            tasks.push(tokio::spawn(outbox::run_worker(
                store.clone(),
                channel,
                options.sinks.get(channel).cloned(),
                options.clock.clone(),
                options.config.max_attempts,
                shared.outbox.clone(),
            )));
        }
        let (catch_up, requests) = mpsc::channel(16);
        tasks.push(tokio::spawn(run(
            shared.clone(),
            options.judge_steps,
            options.tick_every,
            requests,
        )));
        Ok(Alerts {
            shared,
            catch_up,
            tasks,
        })
    }

    /// Returns once every episode change the judge logged before the call is taken, and
    /// what was due escalated.
    pub async fn catch_up(&self) -> Result<(), AlertsError> {
        let (reply, answer) = oneshot::channel();
        self.catch_up
            .send(reply)
            .await
            .map_err(|_| AlertsError::Stopped)?;
        answer.await.map_err(|_| AlertsError::Stopped)?
    }

    /// The newest event id committed; changes as events are committed.
    pub fn watch_feed(&self) -> watch::Receiver<i64> {
        self.shared.feed.subscribe()
    }

    /// The store the alerts are kept in.
    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// The alerts configuration in force.
    pub fn config(&self) -> &AlertsConfig {
        &self.shared.config
    }

    /// A person's request on an alert (see [`actions::act`]).
    pub async fn act(
        &self,
        actor: &Actor,
        alert_id: i64,
        request: Request,
        note: &str,
    ) -> Result<(Alert, AlertEvent), AlertsError> {
        let s = &self.shared;
        let done = actions::act(s.ctx(), actor, alert_id, request, note, s.clock.now()).await?;
        s.committed().await;
        Ok(done)
    }

    /// Replaces a user's notification channels, after checking each address, and audits it.
    pub async fn set_contacts(
        &self,
        actor: &Actor,
        user_id: i64,
        contacts: &[Contact],
    ) -> Result<(), AlertsError> {
        let s = &self.shared;
        actions::set_contacts(&s.cases, actor, user_id, contacts, s.clock.now()).await
    }

    /// A unit's alert settings in force (its own, its territorial unit's or the service's).
    pub async fn unit_settings(
        &self,
        unit_id: i64,
    ) -> Result<crate::units::UnitAlertingShown, AlertsError> {
        let s = &self.shared;
        let mut conn = s.store.pool().acquire().await?;
        let (source, settings) =
            crate::units::in_force(&mut conn, Some(unit_id), &s.config).await?;
        Ok(crate::units::UnitAlertingShown {
            unit_id,
            source,
            settings,
        })
    }

    /// Replaces a unit's own alert settings, after checking them, and audits it.
    pub async fn set_unit_settings(
        &self,
        actor: &Actor,
        unit_id: i64,
        settings: &crate::units::UnitAlerting,
    ) -> Result<(), AlertsError> {
        let s = &self.shared;
        crate::units::set(&s.cases, actor, unit_id, settings, s.clock.now()).await
    }

    /// Stops the tasks; what was committed stays.
    pub async fn shutdown(mut self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for Alerts {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn run(
    shared: Arc<Shared>,
    judge_steps: Option<watch::Receiver<u64>>,
    tick_every: Duration,
    mut requests: mpsc::Receiver<oneshot::Sender<Result<(), AlertsError>>>,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + tick_every, tick_every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Without the judge's steps, a channel that never changes: the ticks do the looking.
    let (never, idle) = watch::channel(0u64);
    let mut steps = judge_steps.unwrap_or(idle);
    loop {
        tokio::select! {
            request = requests.recv() => match request {
                Some(reply) => {
                    let result = shared.step(true).await;
                    if let Err(error) = &result {
                        tracing::error!(%error, "alerts step failed");
                    }
                    let _ = reply.send(result);
                    continue;
                }
                None => return,
            },
            changed = steps.changed() => if changed.is_err() {
                // The judge stopped: look once a second from now on.
                steps = never.subscribe();
            },
            _ = ticks.tick() => {}
        }
        match shared.step(false).await {
            Err(_) if shared.store.is_closed() => return,
            Err(error) if shared.store.refusing_writes() => {
                tracing::debug!(%error, "alerts step failed while the storage refuses writes");
            }
            Err(error) => tracing::error!(%error, "alerts step failed; trying again"),
            Ok(()) => {}
        }
    }
}
