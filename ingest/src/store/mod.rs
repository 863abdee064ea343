//! Ingest's own tables in the store: the devices it links with, the observations it commits, the
//! strangers it turns away, and the security events and sequence gaps technicians look at.
//!
//! [`Telemetry`] is the typed face of those tables; the store underneath ([`store::Store`]) is
//! the platform every owner shares. Other parts read observations and devices through these
//! calls, never by SQL of their own.

mod devices;
mod foreign;
mod heartbeats;
mod observations;
mod reads;
mod schema;

use store::{Store, StoreError};

pub use devices::{
    DeviceKind, DeviceRecord, ForgottenUnknown, SecurityEvent, SeqGap, UNKNOWN_DEVICES_KEPT,
    UnknownDevice, register_in,
};
pub use foreign::{ForeignRecordRow, IdentifiedDevice, set_identity_in};
pub use heartbeats::{HealthHistoryError, HistoryRequest};
pub use observations::{
    CommittedObservation, DeviceUpdate, DeviceWindowState, ObservationRow, StoredObservation,
    UnknownSighting, WriteBatch, WriteOutcome,
};

/// Ingest's tables in the store, brought up to date when opened.
#[derive(Clone, Debug)]
pub struct Telemetry {
    store: Store,
}

impl Telemetry {
    /// Brings ingest's tables up to date in `store` and returns the calls over them.
    pub async fn open(store: Store) -> Result<Telemetry, StoreError> {
        schema::migrate(&store).await?;
        Ok(Telemetry { store })
    }

    /// Opens the store at `location` and brings ingest's tables up to date: for the command line
    /// and tests that need nothing else.
    pub async fn open_at(location: &store::StoreLocation) -> Result<Telemetry, StoreError> {
        Telemetry::open(Store::open(location).await?).await
    }

    /// The store these tables live in.
    pub fn store(&self) -> &Store {
        &self.store
    }
}
