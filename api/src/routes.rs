//! The table of routes: what each does and who may use it. The router, the role gate and the
//! OpenAPI document are made from it.

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use cases::Role;

use crate::{ApiState, alerts, devices, glance, notes, orders, people, reports, service, session};

/// Who may call a route.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not: signing in, and the API's own description.
    Public,
    /// Signed-in users of these roles; the handler may check the row further.
    Roles(&'static [Role]),
}

impl Access {
    pub fn allows(self, role: Role) -> bool {
        match self {
            Access::Public => true,
            Access::Roles(roles) => roles.contains(&role),
        }
    }
}

use Role::{Admin, Court, Officer, Operator, Supervisor, Technician};

const EVERYONE: Access = Access::Roles(&Role::ALL);
const ADMIN: Access = Access::Roles(&[Admin]);
/// Read the case records of the clients in one's care.
const CASEWORK: Access = Access::Roles(&[Admin, Operator, Officer, Supervisor]);
/// ... and a court, of the orders it issued.
const CASEWORK_AND_COURT: Access = Access::Roles(&[Admin, Operator, Officer, Supervisor, Court]);
/// Change the case records of the clients in one's care.
const CASE_EDIT: Access = Access::Roles(&[Admin, Officer, Supervisor]);
const USERS_READ: Access = Access::Roles(&[Admin, Operator, Supervisor]);
const DEVICES_READ: Access = Access::Roles(&[Admin, Operator, Technician]);
const DEVICES_EDIT: Access = Access::Roles(&[Admin, Technician]);
/// See the alerts of the clients in one's care; act on them.
const ALERTS: Access = Access::Roles(&[Admin, Operator, Officer, Supervisor]);
const ALERTS_ACT: Access = Access::Roles(&[Operator, Officer, Supervisor]);
/// Technicians see a device's health only; officers and supervisors what it sent fitted to their clients.
const OBSERVATIONS: Access = Access::Roles(&[Admin, Operator, Officer, Supervisor, Technician]);

/// One route.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub method: Method,
    /// In axum's and OpenAPI's shared syntax: `/api/v1/clients/{id}`.
    pub path: &'static str,
    pub summary: &'static str,
    /// The group the docs show it in.
    pub tag: &'static str,
    pub access: Access,
    /// The request body's type, named as in `cases` (and described in the docs), if any.
    pub body: Option<&'static str>,
    /// Query parameters, each with what it means.
    pub query: &'static [(&'static str, &'static str)],
}

// The table reads best with every field of a route on its one line.
#[allow(clippy::too_many_arguments)]
fn route<H, T>(
    method: Method,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    access: Access,
    body: Option<&'static str>,
    query: &'static [(&'static str, &'static str)],
    handler: H,
) -> (Endpoint, MethodRouter<ApiState>)
where
    H: Handler<T, ApiState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
    (
        Endpoint {
            method,
            path,
            summary,
            tag,
            access,
            body,
            query,
        },
        on(filter, handler),
    )
}

const PAGE: &[(&str, &str)] = &[
    (
        "after",
        "the last id of the previous page (0 for the first)",
    ),
    ("limit", "at most this many (1 to 500, default 100)"),
];
const CLIENT_FILTER: &[(&str, &str)] = &[
    (
        "after",
        "the last id of the previous page (0 for the first)",
    ),
    ("limit", "at most this many (1 to 500, default 100)"),
    ("officer_id", "only this officer's caseload"),
    ("unit_id", "only this unit's clients"),
];
const ORDER_FILTER: &[(&str, &str)] = &[
    (
        "after",
        "the last id of the previous page (0 for the first)",
    ),
    ("limit", "at most this many (1 to 500, default 100)"),
    ("client_id", "only this client's orders"),
    ("status", "active, suspended, revoked or ended"),
    ("court", "only this court's orders"),
];
const UNKNOWN_PAGE: &[(&str, &str)] = &[
    (
        "after",
        "the last device id of the previous page (none for the first)",
    ),
    ("limit", "at most this many (1 to 500, default 100)"),
];
const DEVICE_FILTER: &[(&str, &str)] = &[
    (
        "after",
        "the last device id of the previous page (0 for the first)",
    ),
    ("limit", "at most this many (1 to 500, default 100)"),
    ("status", "in_stock, fitted, faulty, lost or retired"),
];
const TIME_RANGE: &[(&str, &str)] = &[
    ("from", "from this instant (RFC 3339), inclusive"),
    ("to", "until this instant (RFC 3339), exclusive"),
    ("limit", "at most this many (1 to 5000, default 1000)"),
];
const EPISODE_RANGE: &[(&str, &str)] = &[
    (
        "from",
        "episodes ending at or after this instant (RFC 3339)",
    ),
    ("to", "episodes starting before this instant (RFC 3339)"),
];
const REPORT: &[(&str, &str)] = &[
    (
        "from",
        "the first day (YYYY-MM-DD, in the order's time zone)",
    ),
    ("to", "the last day, inclusive"),
    ("lang", "lv (default) or en"),
    ("format", "pdf (default) or json"),
];
const ALERT_FILTER: &[(&str, &str)] = &[
    ("state", "open, acknowledged or resolved"),
    ("severity", "warning, low, medium, high or critical"),
    ("client_id", "only this client's alerts"),
    (
        "officer_id",
        "only alerts raised for this officer's caseload",
    ),
    (
        "unit_id",
        "only the alerts of this unit's clients (and its departments')",
    ),
    ("from", "raised at or after this instant (RFC 3339)"),
    ("to", "raised before this instant (RFC 3339)"),
    ("before", "the last id of the previous page (newest first)"),
    ("limit", "at most this many (1 to 500, default 100)"),
];
const FEED: &[(&str, &str)] = &[(
    "after",
    "resume after this event id (the Last-Event-ID header does the same); default: from now",
)];
const OF_CLIENT: &[(&str, &str)] = &[("client_id", "the client (required)")];
const OF_ORDER: &[(&str, &str)] = &[("order_id", "the order (required)")];

/// Every route of the API, one per line.
#[rustfmt::skip]
pub fn endpoints() -> Vec<(Endpoint, MethodRouter<ApiState>)> {
    use Method as M;
    vec![
        // Signing in.
        route(M::POST, "/api/v1/session", "session", "Sign in with a password: sets the session cookie", Access::Public, Some("Login"), &[], session::login),
        route(M::GET, "/api/v1/session", "session", "Who is signed in", EVERYONE, None, &[], session::me),
        route(M::DELETE, "/api/v1/session", "session", "Sign out: ends this session", EVERYONE, None, &[], session::logout),
        route(M::GET, "/api/v1/service", "session", "Whether the service is recording evidence (the storage takes writes)", EVERYONE, None, &[], service::service_state),
        route(M::GET, "/api/v1/tokens", "session", "Your live sessions and API tokens", EVERYONE, None, &[], session::list_tokens),
        route(M::POST, "/api/v1/tokens", "session", "Make an API token (its secret is shown once)", EVERYONE, Some("NewToken"), &[], session::create_token),
        route(M::DELETE, "/api/v1/tokens/{id}", "session", "Revoke a session or API token", EVERYONE, None, &[], session::revoke_token),
        // People.
        route(M::GET, "/api/v1/units", "units", "List units", EVERYONE, None, &[], people::list_units),
        route(M::POST, "/api/v1/units", "units", "Make a unit", ADMIN, Some("NewUnit"), &[], people::create_unit),
        route(M::PATCH, "/api/v1/units/{id}", "units", "Rename a unit", ADMIN, Some("UnitChange"), &[], people::update_unit),
        route(M::GET, "/api/v1/users", "users", "List users (a supervisor: their unit's)", USERS_READ, None, PAGE, people::list_users),
        route(M::POST, "/api/v1/users", "users", "Make a user", ADMIN, Some("NewUser"), &[], people::create_user),
        route(M::GET, "/api/v1/users/{id}", "users", "One user", USERS_READ, None, &[], people::get_user),
        route(M::PATCH, "/api/v1/users/{id}", "users", "Change a user: name, unit, disabled, password, lift a lock-out", ADMIN, Some("UserChange"), &[], people::update_user),
        route(M::GET, "/api/v1/clients", "clients", "List probation clients in your care", CASEWORK, None, CLIENT_FILTER, people::list_clients),
        route(M::POST, "/api/v1/clients", "clients", "Register a probation client", CASE_EDIT, Some("NewClient"), &[], people::create_client),
        route(M::GET, "/api/v1/clients/{id}", "clients", "One probation client", CASEWORK_AND_COURT, None, &[], people::get_client),
        route(M::PATCH, "/api/v1/clients/{id}", "clients", "Change a probation client's record", CASE_EDIT, Some("ClientChange"), &[], people::update_client),
        route(M::GET, "/api/v1/clients/{id}/episodes", "clients", "A client's breach episodes over a time range, with their evidence and the policy revision that judged them", CASEWORK_AND_COURT, None, EPISODE_RANGE, people::episodes),
        route(M::GET, "/api/v1/clients/{id}/state", "clients", "A client's state at a glance: breach (a breach episode open now), compliant, or unknown (no order in force, no device fitted, a device fault such as a silent tag), with the open breaches, warnings and device faults, the unresolved alerts and the fitted devices' last contact", CASEWORK, None, &[], glance::client_state),
        route(M::GET, "/api/v1/victims", "victims", "List victims", Access::Roles(&[Admin, Operator]), None, PAGE, people::list_victims),
        route(M::POST, "/api/v1/victims", "victims", "Register a victim (a contact and their device) for a unit in your care", CASE_EDIT, Some("NewVictim"), &[], people::create_victim),
        route(M::PATCH, "/api/v1/victims/{id}", "victims", "Change a victim's contact or device (those in whose care they are)", CASE_EDIT, Some("VictimChange"), &[], people::update_victim),
        route(M::GET, "/api/v1/victims/{id}", "victims", "One victim in your care", CASEWORK, None, &[], people::get_victim),
        // Orders.
        route(M::GET, "/api/v1/orders", "orders", "List orders in your care (a court: those it issued)", CASEWORK_AND_COURT, None, ORDER_FILTER, orders::list_orders),
        route(M::POST, "/api/v1/orders", "orders", "Record a court order", CASE_EDIT, Some("NewOrder"), &[], orders::create_order),
        route(M::GET, "/api/v1/orders/{id}", "orders", "One order with its latest terms", CASEWORK_AND_COURT, None, &[], orders::get_order),
        route(M::GET, "/api/v1/orders/{id}/revisions", "orders", "Every revision of an order", CASEWORK_AND_COURT, None, &[], orders::list_revisions),
        route(M::POST, "/api/v1/orders/{id}/revisions", "orders", "Vary an order: new terms as a new revision", CASE_EDIT, Some("Variation"), &[], orders::vary_order),
        route(M::POST, "/api/v1/orders/{id}/status", "orders", "Suspend, resume, revoke or end monitoring", CASE_EDIT, Some("StatusChange"), &[], orders::set_status),
        route(M::GET, "/api/v1/orders/{id}/timetable", "orders", "The curfew timetable, one row per slot: day, start, end, address", CASEWORK_AND_COURT, None, &[], orders::timetable),
        route(M::GET, "/api/v1/orders/{id}/zones", "orders", "The order's zones and the client's addresses as a GeoJSON FeatureCollection", CASEWORK_AND_COURT, None, &[], orders::zones),
        route(M::GET, "/api/v1/orders/{id}/monitoring", "orders", "Whether live judgement judges by the order's current policy revision yet", CASEWORK_AND_COURT, None, &[], orders::monitoring),
        route(M::GET, "/api/v1/orders/{id}/report", "orders", "The court compliance summary of the order over a period, as a PDF or JSON, with its SHA-256 digest", CASEWORK_AND_COURT, None, REPORT, reports::order_report),
        route(M::GET, "/api/v1/orders/{id}/devices", "orders", "Devices fitted under the order, now and before", CASEWORK, None, &[], orders::fittings),
        route(M::GET, "/api/v1/absences", "absences", "Authorised absences of an order", CASEWORK, None, OF_ORDER, notes::list_absences),
        route(M::POST, "/api/v1/absences", "absences", "Authorise an absence from curfew", CASE_EDIT, Some("NewAbsence"), &[], notes::create_absence),
        route(M::POST, "/api/v1/absences/{id}/cancellation", "absences", "Call an absence off (it stays on record, marked)", CASE_EDIT, None, &[], notes::cancel_absence),
        route(M::GET, "/api/v1/notes", "notes", "Notes on a client", CASEWORK, None, OF_CLIENT, notes::list_notes),
        route(M::POST, "/api/v1/notes", "notes", "Write a note on a client", CASEWORK, Some("NewNote"), &[], notes::create_note),
        // Devices.
        route(M::GET, "/api/v1/devices", "devices", "The device inventory", DEVICES_READ, None, DEVICE_FILTER, devices::list_devices),
        route(M::GET, "/api/v1/devices/unknown", "devices", "Devices that sent frames without being registered: first and last seen, frames, over what; the most recently heard 1 000 kept, in device id order, with how many were let go and their frames", DEVICES_READ, None, UNKNOWN_PAGE, devices::unknown_devices),
        route(M::POST, "/api/v1/devices", "devices", "Add a device to the inventory", DEVICES_EDIT, Some("NewDevice"), &[], devices::create_device),
        route(M::GET, "/api/v1/devices/{id}", "devices", "One device with its live health", DEVICES_READ, None, &[], devices::get_device),
        route(M::PATCH, "/api/v1/devices/{id}", "devices", "Change a device's firmware or status", DEVICES_EDIT, Some("InventoryChange"), &[], devices::update_device),
        route(M::POST, "/api/v1/devices/{id}/fitting", "devices", "Fit a device under an order", DEVICES_EDIT, Some("Fitting"), &[], devices::fit),
        route(M::POST, "/api/v1/devices/{id}/removal", "devices", "Remove a fitted device", DEVICES_EDIT, Some("Removal"), &[], devices::remove),
        route(M::GET, "/api/v1/devices/{id}/observations", "devices", "A device's observations over a time range, in device time: only while it was fitted under an order in your care; a technician its health only", OBSERVATIONS, None, TIME_RANGE, devices::observations),
        // Alerts.
        route(M::GET, "/api/v1/alerts", "alerts", "The alert queue in your care, newest first", ALERTS, None, ALERT_FILTER, alerts::list_alerts),
        route(M::GET, "/api/v1/alerts/feed", "alerts", "The live feed of alert events (server-sent events; resumes after Last-Event-ID)", ALERTS, None, FEED, alerts::feed),
        route(M::GET, "/api/v1/alerts/{id}", "alerts", "One alert with its episodes, evidence, history and notifications", ALERTS, None, &[], alerts::get_alert),
        route(M::POST, "/api/v1/alerts/{id}/acknowledgement", "alerts", "Acknowledge an alert: it stops escalating", ALERTS_ACT, Some("AlertNote"), &[], alerts::acknowledge),
        route(M::POST, "/api/v1/alerts/{id}/resolution", "alerts", "Resolve an alert with a code and a note", ALERTS_ACT, Some("AlertResolution"), &[], alerts::resolve),
        route(M::POST, "/api/v1/alerts/{id}/escalation", "alerts", "Escalate an alert by hand: one level up now, with a note saying why", ALERTS_ACT, Some("AlertNote"), &[], alerts::escalate),
        route(M::POST, "/api/v1/alerts/{id}/locate", "alerts", "Ask the client's tag for a location fix now (LOCATE_NOW)", ALERTS_ACT, None, &[], alerts::locate),
        route(M::POST, "/api/v1/alerts/{id}/notes", "alerts", "Add a note to an alert", ALERTS_ACT, Some("AlertNote"), &[], alerts::add_note),
        route(M::GET, "/api/v1/contacts", "alerts", "Your alert channels", EVERYONE, None, &[], alerts::get_own_contacts),
        route(M::PUT, "/api/v1/contacts", "alerts", "Set your alert channels: e-mail, SMS, lowest severity for each", EVERYONE, Some("Contacts"), &[], alerts::set_own_contacts),
        route(M::GET, "/api/v1/users/{id}/contacts", "alerts", "A user's alert channels", ADMIN, None, &[], alerts::get_contacts),
        route(M::PUT, "/api/v1/users/{id}/contacts", "alerts", "Set a user's alert channels", ADMIN, Some("Contacts"), &[], alerts::set_contacts),
        // Audit.
        route(M::GET, "/api/v1/audit", "audit", "The audit log", ADMIN, None, PAGE, session::audit_entries),
        route(M::GET, "/api/v1/audit/verify", "audit", "Check the audit log's hash chain", ADMIN, None, &[], session::verify_audit),
    ]
}
