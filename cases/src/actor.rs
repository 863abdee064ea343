//! Who acts, and as what: every change is made, and every read of personal data recorded, under
//! an [`Actor`]; a user's [`Role`] decides what they may see (the API enforces it). Kept below
//! the records and the audit log, which both speak of them.

use serde::{Deserialize, Serialize};

use crate::error::{CasesError, stored};

/// What a user does, and so what they may see (enforced by the API).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The monitoring centre: every client's alerts.
    Operator,
    /// A supervising probation officer: their own caseload.
    Officer,
    /// A unit's caseloads.
    Supervisor,
    /// Devices, without clients' personal data.
    Technician,
    /// Read-only compliance summaries of the orders the court issued.
    Court,
    /// Users, units, the inventory and the audit log: the system's administration.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::Operator,
        Role::Officer,
        Role::Supervisor,
        Role::Technician,
        Role::Court,
        Role::Admin,
    ];

    /// The role's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
            Role::Technician => "technician",
            Role::Court => "court",
            Role::Admin => "admin",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Role, CasesError> {
        stored(&Role::ALL, Role::as_str, "role", s)
    }
}

/// Who acts and from where. Every change is made, and every read of personal data recorded,
/// under one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// None for sargs itself (the demo's seeding, a command run on the server).
    pub user_id: Option<i64>,
    /// The user's name, or `sargs` for sargs itself; recorded in the audit log.
    pub username: String,
    /// The user's role; none for sargs itself.
    pub role: Option<Role>,
    /// The user's unit, which a supervisor's care covers.
    pub unit_id: Option<i64>,
    /// For a court's users: the court, whose orders they may read.
    pub court: Option<String>,
    /// The peer address of the request, or what ran the command.
    pub origin: String,
}

impl Actor {
    /// sargs acting on its own, e.g. `Actor::system("sargs demo")`.
    pub fn system(origin: impl Into<String>) -> Actor {
        Actor {
            user_id: None,
            username: "sargs".to_string(),
            role: None,
            unit_id: None,
            court: None,
            origin: origin.into(),
        }
    }

    /// Whether the actor is a user of `role`.
    pub fn is(&self, role: Role) -> bool {
        self.role == Some(role)
    }
}
