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
use crate::policy::{ClientId, CompiledPolicy, DeviceKind};
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("client {0} is already monitored")]
    DuplicateClient(ClientId),
    #[error("device {device} is already worn by client {client}")]
    DeviceTaken { device: DeviceId, client: ClientId },
    #[error("client {0} is not monitored")]
    UnknownClient(ClientId),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

/// Who an observation of one device concerns.
#[derive(Debug, Default)]
struct Route {
    /// The client wearing the device, and the device's index and kind in their policy.
    worn: Option<(usize, usize, DeviceKind)>,
    /// The clients whose victim-proximity conditions watch it.
    watchers: Vec<usize>,
}

#[derive(Debug, Default)]
pub struct Engine {
    monitors: Vec<ClientMonitor>,
    by_client: HashMap<ClientId, usize>,
    /// One lookup per observation, so one table.
    routes: FxHashMap<DeviceId, Route>,
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
            if let Some((other, _, _)) = self.routes.get(&device.id).and_then(|r| r.worn) {
                return Err(EngineError::DeviceTaken {
                    device: device.id,
                    client: self.monitors[other].client(),
                });
            }
        }
        let index = self.monitors.len();
        for (i, device) in policy.source.devices.iter().enumerate() {
            self.routes.entry(device.id).or_default().worn = Some((index, i, device.kind));
        }
        for p in &policy.source.proximity {
            self.routes
                .entry(p.victim_device)
                .or_default()
                .watchers
                .push(index);
        }
        self.by_client.insert(client, index);
        self.monitors.push(ClientMonitor::new(policy));
        Ok(())
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
        let Some(route) = self.routes.get(&obs.device) else {
            return;
        };
        if let Some((i, device, kind)) = route.worn {
            self.monitors[i].observe_from(obs, Some((device, kind)), out);
        }
        for &i in &route.watchers {
            self.monitors[i].observe_from(obs, None, out);
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
        let Engine {
            monitors, routes, ..
        } = self;
        for chunk in batch.chunks(256) {
            let found: Vec<Option<&Route>> = chunk.iter().map(|o| routes.get(&o.device)).collect();
            // The client an observation concerns first (a victim's device may concern several).
            let client = |i: usize| {
                let route = found.get(i).copied().flatten()?;
                route
                    .worn
                    .map(|(m, _, _)| m)
                    .or_else(|| route.watchers.first().copied())
            };
            for (i, obs) in chunk.iter().enumerate() {
                if let Some(m) = client(i + MONITOR) {
                    monitors[m].prefetch_monitor();
                }
                if let Some(m) = client(i + STATE) {
                    monitors[m].prefetch_state();
                }
                if let Some(m) = client(i + POLICY) {
                    monitors[m].prefetch_policy();
                }
                if let Some(m) = client(i + SHAPES) {
                    monitors[m].prefetch_shapes();
                }
                let Some(route) = found[i] else {
                    continue;
                };
                if let Some((m, device, kind)) = route.worn {
                    monitors[m].observe_from(obs, Some((device, kind)), out);
                }
                for &m in &route.watchers {
                    monitors[m].observe_from(obs, None, out);
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
