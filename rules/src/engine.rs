//! The engine: every client's monitor, and the routing of observations to them.
//!
//! A tag or home unit belongs to one client; a victim's device may be watched by several
//! clients' proximity conditions. The engine is a plain value: the caller owns the clock (ticks),
//! the storage (checkpoints, episodes, observations for re-judgement) and the threads.

use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::episode::{Episode, EpisodeId};
use crate::monitor::{Checkpoint, CheckpointError, ClientMonitor, Outcome};
use crate::observation::{DeviceId, Observation};
use crate::policy::{ClientId, CompiledPolicy, DeviceKind, MAX_DEVICES};
use crate::routes::{MAX_MONITORS, Route, Routes};
use crate::time::Timestamp;

/// Why the engine refused to add, replace or restore a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The client is already monitored.
    #[error("client {0} is already monitored")]
    DuplicateClient(ClientId),
    /// A device in the policy is already worn by another monitored client.
    #[error("device {device} is already worn by client {client}")]
    DeviceTaken {
        /// The device.
        device: DeviceId,
        /// The client who wears it.
        client: ClientId,
    },
    /// The client is not monitored.
    #[error("client {0} is not monitored")]
    UnknownClient(ClientId),
    /// More clients, or more devices per client, than the engine's tables hold.
    #[error(
        "an engine monitors at most {MAX_MONITORS} clients, each with at most {MAX_DEVICES} devices"
    )]
    TooLarge,
    /// A checkpoint could not be restored.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

/// Every monitored client's monitor, and which client each device's observations go to.
#[derive(Debug, Default)]
pub struct Engine {
    monitors: Vec<ClientMonitor>,
    by_client: HashMap<ClientId, usize>,
    /// One lookup per observation, so one small table of its own kind.
    routes: Routes,
    /// The clients whose victim-proximity conditions watch a victim's device, in the order they
    /// were added (the first is in the device's route as well).
    watchers: FxHashMap<DeviceId, Vec<u32>>,
}

impl Engine {
    /// An engine monitoring nobody.
    pub fn new() -> Self {
        Engine::default()
    }

    /// Starts monitoring a client under a compiled policy.
    pub fn add_client(&mut self, policy: Arc<CompiledPolicy>) -> Result<(), EngineError> {
        let client = policy.client();
        if self.by_client.contains_key(&client) {
            return Err(EngineError::DuplicateClient(client));
        }
        for device in &policy.source.devices {
            if let Some((other, _, _)) = self.routes.get(device.id).and_then(Route::worn) {
                return Err(EngineError::DeviceTaken {
                    device: device.id,
                    client: self.monitors[other].client(),
                });
            }
        }
        let index = self.monitors.len();
        let monitor = u32::try_from(index)
            .ok()
            .filter(|&m| (m as usize) < MAX_MONITORS)
            .ok_or(EngineError::TooLarge)?;
        if policy.source.devices.len() > MAX_DEVICES {
            return Err(EngineError::TooLarge);
        }
        for (i, device) in policy.source.devices.iter().enumerate() {
            let mut route = self.routes.get(device.id).unwrap_or(Route::NONE);
            route.set_worn(Some((monitor, i, device.kind))); // i < MAX_DEVICES, checked above
            self.routes.set(device.id, route);
        }
        for p in &policy.source.proximity {
            let watchers = self.watchers.entry(p.victim_device).or_default();
            watchers.push(monitor);
            let mut route = self.routes.get(p.victim_device).unwrap_or(Route::NONE);
            route.set_watchers(watchers);
            self.routes.set(p.victim_device, route);
        }
        self.by_client.insert(client, index);
        self.monitors.push(ClientMonitor::new(policy));
        Ok(())
    }

    /// Stops monitoring a client: its devices and the victims' devices it watched concern it no
    /// more. Returns its monitor, with what it had judged.
    pub fn remove_client(&mut self, client: ClientId) -> Result<ClientMonitor, EngineError> {
        let index = self
            .by_client
            .remove(&client)
            .ok_or(EngineError::UnknownClient(client))?;
        let removed = index as u32; // every index fits: checked when the client was added
        let last = (self.monitors.len() - 1) as u32;
        let monitor = self.monitors.swap_remove(index);
        for device in &monitor.policy().source.devices {
            if let Some(mut route) = self.routes.get(device.id) {
                route.set_worn(None);
                self.routes.set(device.id, route);
            }
        }
        for p in &monitor.policy().source.proximity {
            self.update_watchers(p.victim_device, |m| (m != removed).then_some(m));
        }
        // The last monitor took the removed one's place: point its routes there.
        if removed != last {
            let moved = &self.monitors[index];
            self.by_client.insert(moved.client(), index);
            let moved = Arc::clone(moved.policy());
            for (i, device) in moved.source.devices.iter().enumerate() {
                if let Some(mut route) = self.routes.get(device.id) {
                    route.set_worn(Some((removed, i, device.kind)));
                    self.routes.set(device.id, route);
                }
            }
            for p in &moved.source.proximity {
                self.update_watchers(p.victim_device, |m| {
                    Some(if m == last { removed } else { m })
                });
            }
        }
        Ok(monitor)
    }

    /// Keeps the watchers of `victim` that `keep` says, renamed by it, in order, and their
    /// route in step.
    fn update_watchers(&mut self, victim: DeviceId, keep: impl FnMut(u32) -> Option<u32>) {
        let Some(watchers) = self.watchers.get_mut(&victim) else {
            return;
        };
        *watchers = watchers.iter().copied().filter_map(keep).collect();
        let mut route = self.routes.get(victim).unwrap_or(Route::NONE);
        route.set_watchers(watchers);
        self.routes.set(victim, route);
        if watchers.is_empty() {
            self.watchers.remove(&victim);
        }
    }

    /// Monitors a client under a new policy (a changed order) from now on, with a new monitor:
    /// what the old one judged stays as it was told. Refused, leaving the engine as it was, if
    /// the client is not monitored or the new policy names a device another client wears.
    pub fn replace_client(
        &mut self,
        policy: Arc<CompiledPolicy>,
    ) -> Result<ClientMonitor, EngineError> {
        let client = policy.client();
        if !self.by_client.contains_key(&client) {
            return Err(EngineError::UnknownClient(client));
        }
        for device in &policy.source.devices {
            if let Some((other, _, _)) = self.routes.get(device.id).and_then(Route::worn) {
                let wearer = self.monitors[other].client();
                if wearer != client {
                    return Err(EngineError::DeviceTaken {
                        device: device.id,
                        client: wearer,
                    });
                }
            }
        }
        if policy.source.devices.len() > MAX_DEVICES {
            return Err(EngineError::TooLarge);
        }
        let old = self.remove_client(client)?;
        // Cannot fail: the client is no longer monitored, its devices are free, and the
        // engine holds one monitor fewer than before.
        self.add_client(policy)?;
        Ok(old)
    }

    /// The monitor of a client, if monitored.
    pub fn monitor(&self, client: ClientId) -> Option<&ClientMonitor> {
        self.by_client.get(&client).map(|&i| &self.monitors[i])
    }

    /// Every monitored client's monitor.
    pub fn clients(&self) -> impl Iterator<Item = &ClientMonitor> {
        self.monitors.iter()
    }

    /// Whether a monitored client wears or watches this device: a caller can skip decoding
    /// what no client is judged by.
    pub fn concerns(&self, device: DeviceId) -> bool {
        self.routes
            .get(device)
            .is_some_and(|r| r.worn().is_some() || r.first_watcher().is_some())
    }

    /// Judges one stored observation for every client it concerns; devices of no monitored
    /// client are ignored.
    pub fn observe(&mut self, obs: &Observation, out: &mut Outcome) {
        if let Some(route) = self.routes.get(obs.device) {
            self.judge_routed(obs, route, out);
        }
    }

    fn judge_routed(&mut self, obs: &Observation, route: Route, out: &mut Outcome) {
        if let Some((m, device, kind)) = route.worn() {
            self.monitors[m].observe_from(obs, Some((device, kind)), out);
        }
        match route.first_watcher() {
            None => {}
            Some((first, false)) => self.monitors[first as usize].observe_from(obs, None, out),
            Some((_, true)) => {
                if let Some(watchers) = self.watchers.get(&obs.device) {
                    for &m in watchers {
                        self.monitors[m as usize].observe_from(obs, None, out);
                    }
                }
            }
        }
    }

    /// Judges a batch of stored observations, in order, exactly as [`Engine::observe`] would
    /// one by one, but faster: it looks every device up first, then fetches each client's
    /// monitor, state and policy a few observations before judging it, so that the waits for
    /// memory (most of the time with many clients) overlap.
    pub fn observe_batch(&mut self, batch: &[Observation], out: &mut Outcome) {
        // How far ahead each step of fetching runs: the monitor, then what it points to, then
        // what the policy points to, then the zones' polygons.
        const MONITOR: usize = 16;
        const STATE: usize = 12;
        const POLICY: usize = 8;
        const SHAPES: usize = 4;
        // How far ahead a route's slot is fetched while the routes are looked up.
        const ROUTE: usize = 16;
        const CHUNK: usize = 256;
        // Each observation's route, the client it concerns first (a victim's device may
        // concern several; the others are not fetched ahead) and, if that client wears the
        // device, its index and kind: looked up once, in a row, each slot fetched ahead.
        type Found = Option<(Route, Option<(usize, Option<(usize, DeviceKind)>)>)>;
        let mut found: Vec<Found> = Vec::with_capacity(batch.len().min(CHUNK));
        for (c, chunk) in batch.chunks(CHUNK).enumerate() {
            found.clear();
            for (j, o) in chunk.iter().enumerate() {
                if let Some(next) = batch.get(c * CHUNK + j + ROUTE) {
                    self.routes.prefetch(next.device);
                }
                found.push(self.routes.get(o.device).map(|route| {
                    let first = match route.worn() {
                        Some((m, device, kind)) => Some((m, Some((device, kind)))),
                        None => route.first_watcher().map(|(m, _)| (m as usize, None)),
                    };
                    (route, first)
                }));
            }
            let ahead = |i: usize| {
                let (_, first) = found.get(i).copied().flatten()?;
                let (m, device) = first?;
                Some((m, &chunk[i], device))
            };
            for (i, obs) in chunk.iter().enumerate() {
                if let Some((m, _, _)) = ahead(i + MONITOR) {
                    self.monitors[m].prefetch_monitor();
                }
                if let Some((m, o, device)) = ahead(i + STATE) {
                    self.monitors[m].prefetch_state(o, device);
                }
                if let Some((m, o, device)) = ahead(i + POLICY) {
                    self.monitors[m].prefetch_policy(o, device);
                }
                if let Some((m, o, device)) = ahead(i + SHAPES) {
                    self.monitors[m].prefetch_shapes(o, device);
                }
                if let Some((route, _)) = found[i] {
                    self.judge_routed(obs, route, out);
                }
            }
        }
    }

    /// The caller's clock.
    pub fn tick(&mut self, now: Timestamp, out: &mut Outcome) {
        for m in &mut self.monitors {
            m.tick(now, out);
        }
    }

    /// See [`ClientMonitor::resume_ids_after`].
    pub fn resume_ids_after(
        &mut self,
        client: ClientId,
        last: EpisodeId,
    ) -> Result<(), EngineError> {
        let &i = self
            .by_client
            .get(&client)
            .ok_or(EngineError::UnknownClient(client))?;
        self.monitors[i].resume_ids_after(last);
        Ok(())
    }

    /// See [`ClientMonitor::resume_arrival`].
    pub fn resume_arrival(
        &mut self,
        client: ClientId,
        last_received: &[(DeviceId, Timestamp)],
        open: &[Episode],
    ) -> Result<(), EngineError> {
        let &i = self
            .by_client
            .get(&client)
            .ok_or(EngineError::UnknownClient(client))?;
        self.monitors[i].resume_arrival(last_received, open);
        Ok(())
    }

    /// See [`ClientMonitor::rejudge`].
    pub fn rejudge(
        &mut self,
        checkpoint: &Checkpoint,
        observations: &[Observation],
        known: &[Episode],
        out: &mut Outcome,
    ) -> Result<(), EngineError> {
        let &i = self
            .by_client
            .get(&checkpoint.client)
            .ok_or(EngineError::UnknownClient(checkpoint.client))?;
        self.monitors[i].rejudge(checkpoint, observations, known, out)?;
        Ok(())
    }
}
