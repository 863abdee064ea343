//! The engine: every client's monitor, and the routing of observations to them.
//!
//! A tag or home unit belongs to one client; a victim's device may be watched by several
//! clients' proximity conditions. The engine is a plain value: the caller owns the clock (ticks),
//! the storage (checkpoints, episodes, observations for re-judgement) and the threads.

use std::collections::HashMap;
use std::sync::Arc;

use crate::episode::Episode;
use crate::monitor::{Checkpoint, ClientMonitor, Outcome};
use crate::observation::{DeviceId, Observation};
use crate::policy::{ClientId, CompiledPolicy};
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("client {0} is already monitored")]
    DuplicateClient(ClientId),
    #[error("device {device} is already worn by client {client}")]
    DeviceTaken { device: DeviceId, client: ClientId },
    #[error("client {0} is not monitored")]
    UnknownClient(ClientId),
}

#[derive(Debug, Default)]
pub struct Engine {
    monitors: Vec<ClientMonitor>,
    by_client: HashMap<ClientId, usize>,
    /// The client wearing each device.
    worn: HashMap<DeviceId, usize>,
    /// The clients watching each victim's device.
    watched: HashMap<DeviceId, Vec<usize>>,
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
            if let Some(&other) = self.worn.get(&device.id) {
                return Err(EngineError::DeviceTaken {
                    device: device.id,
                    client: self.monitors[other].client(),
                });
            }
        }
        let index = self.monitors.len();
        for device in &policy.source.devices {
            self.worn.insert(device.id, index);
        }
        for p in &policy.source.proximity {
            self.watched.entry(p.victim_device).or_default().push(index);
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
        if let Some(&i) = self.worn.get(&obs.device) {
            self.monitors[i].observe(obs, out);
        }
        if let Some(watchers) = self.watched.get(&obs.device) {
            for &i in watchers {
                self.monitors[i].observe(obs, out);
            }
        }
    }

    /// The caller's clock.
    pub fn tick(&mut self, now: Timestamp, out: &mut Outcome) {
        for m in &mut self.monitors {
            m.tick(now, out);
        }
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
        self.monitors[i].rejudge(checkpoint, observations, known, out);
        Ok(())
    }
}
