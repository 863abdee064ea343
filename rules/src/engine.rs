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
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("client {0} is already monitored")]
    DuplicateClient(ClientId),
    #[error("device {device} is already worn by client {client}")]
    DeviceTaken { device: DeviceId, client: ClientId },
    #[error("client {0} is not monitored")]
    UnknownClient(ClientId),
    #[error("an engine monitors at most {} clients, each with at most {MAX_DEVICES} devices", u32::MAX - 1)]
    TooLarge,
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

/// Who an observation of one device concerns: 8 bytes, so that a table bucket (with the device
/// id) is 16 and never straddles two cache lines. Finding it is the one memory wait of an
/// observation that cannot be fetched ahead.
#[derive(Debug, Clone, Copy)]
struct Route {
    /// The client wearing the device (an index into the monitors), or [`Route::NOBODY`].
    monitor: u32,
    /// The device's index among that client's devices.
    device: u8,
    kind: DeviceKind,
    /// Whether some client's victim-proximity condition watches it: see `Engine::watchers`.
    watched: bool,
}

impl Route {
    const NOBODY: u32 = u32::MAX;

    fn unworn() -> Route {
        Route {
            monitor: Route::NOBODY,
            device: 0,
            kind: DeviceKind::Tag,
            watched: false,
        }
    }

    fn worn(self) -> Option<(usize, usize, DeviceKind)> {
        (self.monitor != Route::NOBODY).then_some((
            self.monitor as usize,
            usize::from(self.device),
            self.kind,
        ))
    }
}

/// The clients whose victim-proximity conditions watch one victim's device, in the order they
/// were added. The first is kept in the table's bucket itself, so that finding it (for every
/// fix of the device) reads no second line.
#[derive(Debug)]
struct Watchers {
    /// [`Route::NOBODY`] when there is none.
    first: u32,
    more: Vec<u32>,
}

impl Default for Watchers {
    fn default() -> Self {
        Watchers {
            first: Route::NOBODY,
            more: Vec::new(),
        }
    }
}

impl Watchers {
    fn first(&self) -> Option<u32> {
        (self.first != Route::NOBODY).then_some(self.first)
    }

    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.first().into_iter().chain(self.more.iter().copied())
    }

    fn push(&mut self, monitor: u32) {
        if self.first == Route::NOBODY {
            self.first = monitor;
        } else {
            self.more.push(monitor);
        }
    }

    fn is_empty(&self) -> bool {
        self.first == Route::NOBODY
    }

    /// Keeps the watchers `keep` says, renamed by `rename`, in order.
    fn update(&mut self, mut keep: impl FnMut(u32) -> Option<u32>) {
        let kept: Vec<u32> = self.iter().filter_map(&mut keep).collect();
        *self = Watchers::default();
        for m in kept {
            self.push(m);
        }
    }
}

#[derive(Debug, Default)]
pub struct Engine {
    monitors: Vec<ClientMonitor>,
    by_client: HashMap<ClientId, usize>,
    /// One lookup per observation, so one small table.
    routes: FxHashMap<DeviceId, Route>,
    /// The clients whose victim-proximity conditions watch a victim's device.
    watchers: FxHashMap<DeviceId, Watchers>,
}

impl Engine {
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
            if let Some((other, _, _)) = self.routes.get(&device.id).and_then(|r| r.worn()) {
                return Err(EngineError::DeviceTaken {
                    device: device.id,
                    client: self.monitors[other].client(),
                });
            }
        }
        let index = self.monitors.len();
        let monitor = u32::try_from(index)
            .ok()
            .filter(|&m| m != Route::NOBODY)
            .ok_or(EngineError::TooLarge)?;
        if policy.source.devices.len() > MAX_DEVICES {
            return Err(EngineError::TooLarge);
        }
        for (i, device) in policy.source.devices.iter().enumerate() {
            let route = self.routes.entry(device.id).or_insert_with(Route::unworn);
            route.monitor = monitor;
            route.device = i as u8; // at most MAX_DEVICES, checked above
            route.kind = device.kind;
        }
        for p in &policy.source.proximity {
            self.routes
                .entry(p.victim_device)
                .or_insert_with(Route::unworn)
                .watched = true;
            self.watchers
                .entry(p.victim_device)
                .or_default()
                .push(monitor);
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
            if let Some(route) = self.routes.get_mut(&device.id) {
                route.monitor = Route::NOBODY;
                if !route.watched {
                    self.routes.remove(&device.id);
                }
            }
        }
        for p in &monitor.policy().source.proximity {
            let victim = p.victim_device;
            let Some(watchers) = self.watchers.get_mut(&victim) else {
                continue;
            };
            watchers.update(|m| (m != removed).then_some(m));
            if watchers.is_empty() {
                self.watchers.remove(&victim);
                if let Some(route) = self.routes.get_mut(&victim) {
                    route.watched = false;
                    if route.monitor == Route::NOBODY {
                        self.routes.remove(&victim);
                    }
                }
            }
        }
        // The last monitor took the removed one's place: point its routes there.
        if removed != last {
            let moved = &self.monitors[index];
            self.by_client.insert(moved.client(), index);
            for device in &moved.policy().source.devices {
                if let Some(route) = self.routes.get_mut(&device.id) {
                    route.monitor = removed;
                }
            }
            for p in &moved.policy().source.proximity {
                if let Some(watchers) = self.watchers.get_mut(&p.victim_device) {
                    watchers.update(|m| Some(if m == last { removed } else { m }));
                }
            }
        }
        Ok(monitor)
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
            if let Some((other, _, _)) = self.routes.get(&device.id).and_then(|r| r.worn()) {
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

    pub fn monitor(&self, client: ClientId) -> Option<&ClientMonitor> {
        self.by_client.get(&client).map(|&i| &self.monitors[i])
    }

    pub fn clients(&self) -> impl Iterator<Item = &ClientMonitor> {
        self.monitors.iter()
    }

    /// Judges one stored observation for every client it concerns; devices of no monitored
    /// client are ignored.
    pub fn observe(&mut self, obs: &Observation, out: &mut Outcome) {
        if let Some(&route) = self.routes.get(&obs.device) {
            self.judge_routed(obs, route, out);
        }
    }

    fn judge_routed(&mut self, obs: &Observation, route: Route, out: &mut Outcome) {
        if let Some((m, device, kind)) = route.worn() {
            self.monitors[m].observe_from(obs, Some((device, kind)), out);
        }
        if route.watched
            && let Some(watchers) = self.watchers.get(&obs.device)
        {
            for m in watchers.iter() {
                self.monitors[m as usize].observe_from(obs, None, out);
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
        // Each observation's route, the client it concerns first (a victim's device may
        // concern several; the others are not fetched ahead) and, if that client wears the
        // device, its index and kind: looked up once, in a row, so the waits overlap.
        type Found = Option<(Route, Option<(usize, Option<(usize, DeviceKind)>)>)>;
        let mut found: Vec<Found> = Vec::with_capacity(batch.len().min(256));
        for chunk in batch.chunks(256) {
            found.clear();
            found.extend(chunk.iter().map(|o| {
                let route = *self.routes.get(&o.device)?;
                let first = match route.worn() {
                    Some((m, device, kind)) => Some((m, Some((device, kind)))),
                    None => self
                        .watchers
                        .get(&o.device)
                        .and_then(Watchers::first)
                        .map(|m| (m as usize, None)),
                };
                Some((route, first))
            }));
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
