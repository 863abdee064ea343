//! Case management: the people, orders and devices that electronic monitoring is about.
//!
//! Units and users with roles; probation clients with their addresses and supervising officer;
//! court orders, versioned (a variation is a new revision, and the monitoring policy the rules
//! engine judges by carries it); victims for proximity conditions; the device inventory and
//! which order a device is fitted for; officers' notes and authorised absences; and from them,
//! an order's monitoring policy over time ([`Cases::policy_history`]), the one the judge judges
//! by and the court summary shows, with a watch that moves on whenever a committed change
//! alters a policy ([`Cases::watch_policies`]). Everything is
//! stored in the same database as the telemetry ([`store::Store`]), on SQLite or
//! PostgreSQL, each change in one transaction; bad input is an [`CasesError::Invalid`] naming
//! the field and the reason, a request the records' present state refuses (a name taken, a
//! device fitted already) a [`CasesError::Conflict`] of the same shape, never a half-written
//! change.
#![warn(missing_docs)]

mod actor;
mod address;
mod audit;
mod auth;
mod changes;
mod check;
mod clients;
mod devices;
mod error;
mod history;
mod in_force;
mod inventory;
pub mod kinds;
pub mod lookups;
mod notes;
mod orders;
mod password;
mod patch;
mod policy;
mod schema;
mod search;
mod sets;
mod signin;
mod terms;
mod to_fit;
mod units;
mod users;
mod variation;
mod victims;

use store::{Backend, Store, WriteTx};

pub use actor::{Actor, Role};
pub use address::ClientAddress;
pub use audit::{AuditAction, AuditEntry, AuditVerdict, GENESIS, append as append_audit};
pub use auth::{Credential, CredentialKind, Issued, SESSION_IDLE_MS, SESSION_MAX_MS, TOKEN_MAX_MS};
pub use changes::TermsChange;
pub use clients::{Client, ClientChange, NewClient};
pub use devices::{Assignment, DeviceStatus, InventoryChange, InventoryDevice, NewInventoryDevice};
pub use error::{CasesError, FieldError};
pub use history::PolicySpan;
pub use in_force::ActiveOrder;
pub use inventory::{FirmwareCount, InventoryFilter};
pub use notes::{Absence, NewAbsence, NewNote, Note};
pub use orders::{NewOrder, Order, OrderFilter, OrderRevision, ScheduledRevision};
pub use password::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
pub use search::ClientFilter;
pub use signin::{LOCKOUT_MS, MAX_FAILURES, Refusal};
pub use terms::{LegalBasis, Obligation, OrderProximity, OrderStatus, OrderTerms};
pub use to_fit::OrderToFit;
pub use units::{NewUnit, Unit, UnitChange};
pub use users::{NewUser, User, UserChange};
pub use victims::{NewVictim, Victim, VictimChange};

/// The case records in a store. Cheap to clone: it shares the store's pool, and every clone
/// tells the same watchers of changed policies ([`Cases::watch_policies`]).
#[derive(Clone, Debug)]
pub struct Cases {
    store: Store,
    /// The last minute whose refused sign-ins were written to the audit log (crate::signin).
    refusals_flushed: std::sync::Arc<std::sync::atomic::AtomicI64>,
    /// Moves on after every committed change that alters an order's policy.
    policies: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
}

impl Cases {
    /// Brings the case tables up to date in `store`. Every record is stamped by the store's
    /// clock ([`Store::now`]): in a test, the judge's scripted time, so that the policy history
    /// and what the judge applied agree.
    pub async fn open(store: Store) -> Result<Cases, CasesError> {
        schema::migrate(&store).await?;
        Ok(Cases {
            store,
            refusals_flushed: Default::default(),
            policies: std::sync::Arc::new(tokio::sync::watch::channel(0).0),
        })
    }

    /// A receiver that sees a change after every committed change that alters what some
    /// order's policy would be: an order made, varied or its status changed, a device fitted
    /// or removed, an absence recorded or called off, a client's addresses, a victim's device.
    /// What the judge waits on to look at the orders again, so that no caller has to tell it.
    /// Only changes made through this `Cases` (or a clone) are seen; others (another process)
    /// are found by the judge's periodic look.
    pub fn watch_policies(&self) -> tokio::sync::watch::Receiver<u64> {
        self.policies.subscribe()
    }

    /// Milliseconds since the epoch now, by the store's clock.
    fn now_ms(&self) -> i64 {
        self.store.now().0
    }

    fn pool(&self) -> &sqlx::AnyPool {
        self.store.pool()
    }

    /// A transaction that writes: one at a time, on both backends. SQLite has one writer and
    /// the store gives the process's writers their turns ([`Store::begin_write`]); PostgreSQL
    /// takes an advisory lock. Case changes come at the pace of people, so serialising them
    /// costs nothing, and it makes every check-then-write (a personal code not yet registered,
    /// the audit chain's next entry) exact. The alerts, kept beside the case records, write
    /// through it too.
    pub async fn write(&self) -> Result<WriteTx, CasesError> {
        let mut tx = self.store.begin_write().await?;
        self.join_writers(&mut tx).await?;
        Ok(tx)
    }

    /// Makes a write transaction begun elsewhere (the judge's step, in which the alerts take
    /// its episode changes) one of the case records' writers, as [`Cases::write`] does.
    pub async fn join_writers(&self, tx: &mut WriteTx) -> Result<(), CasesError> {
        if self.store.backend() == Backend::Postgres {
            sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock(7235021)) AS locked")
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}
