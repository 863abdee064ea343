//! The table of routes: what each does and who may use it. The router, the role gate and the
//! OpenAPI document are made from it.

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use cases::Role;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;

use crate::{
    ApiState, alert_feed, alert_load, alerts, deliveries, device_tools, devices, enumerations,
    fleet, glance, notes, orders, people, reports, service, session, summaries, unit_alerting,
};

/// Who may call a route.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not: signing in, and the API's own description.
    Public,
    /// Signed-in users of these roles; the handler may check the row further.
    Roles(&'static [Role]),
}

impl Access {
    /// Whether a user of `role` may use the route (the handler may still refuse the row).
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

/// A schema the document's generator makes for a type: a `$ref` to its definition.
pub type SchemaOf = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// The type's own schema, not a reference: a query's fields become parameters one by one.
fn inline_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    T::json_schema(generator)
}

/// A request body: its type's name and schema, and a check that a value reads as it (so the
/// document's examples are tested against the type the handler takes).
#[derive(Clone, Debug)]
pub struct BodyType {
    /// The type's name, as the API document names its schema.
    pub name: String,
    /// The type's JSON Schema.
    pub schema: SchemaOf,
    /// Checks that a JSON value reads as the type: the document's examples are tested with it.
    pub reads: fn(serde_json::Value) -> Result<(), String>,
}

fn reads<T: DeserializeOwned>(value: serde_json::Value) -> Result<(), String> {
    serde_json::from_value::<T>(value)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// What a route answers when it succeeds.
#[derive(Clone, Debug)]
pub enum Success {
    /// JSON of this type (`201 Created` when `created`).
    Json {
        /// Whether it answers `201 Created` (a record was made) rather than `200 OK`.
        created: bool,
        /// The type's JSON Schema.
        schema: SchemaOf,
    },
    /// JSON of this type, as another media type (GeoJSON).
    Typed {
        /// The media type, such as `application/geo+json`.
        media: &'static str,
        /// The body's JSON Schema.
        schema: SchemaOf,
    },
    /// 204, no body.
    Empty,
    /// The court's compliance summary: a PDF, or the exchange JSON of this type.
    Report {
        /// The exchange JSON's schema.
        json: SchemaOf,
    },
    /// A PDF file, as a download.
    Pdf,
    /// Server-sent events: each names its kind (`event:`) and carries JSON (`data:`).
    EventStream {
        /// The schema of the events' kinds.
        kind: SchemaOf,
        /// The schema of the events' data.
        data: SchemaOf,
    },
}

/// One route.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// The HTTP method.
    pub method: Method,
    /// In axum's and OpenAPI's shared syntax: `/api/v1/clients/{id}`.
    pub path: &'static str,
    /// One line saying what it is for, for the API document.
    pub summary: &'static str,
    /// The group the docs show it in.
    pub tag: &'static str,
    /// Who may use it.
    pub access: Access,
    /// The request body's type, if any.
    pub body: Option<BodyType>,
    /// The query's type, if any: each of its fields is a parameter.
    pub query: Option<SchemaOf>,
    /// What it answers when it succeeds.
    pub success: Success,
}

/// A route being written into the table: its endpoint and its handler.
pub struct Route {
    endpoint: Endpoint,
    handler: MethodRouter<ApiState>,
}

fn route<H, T>(
    method: Method,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    access: Access,
    handler: H,
) -> Route
where
    H: Handler<T, ApiState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
    Route {
        endpoint: Endpoint {
            method,
            path,
            summary,
            tag,
            access,
            body: None,
            query: None,
            success: Success::Empty,
        },
        handler: on(filter, handler),
    }
}

impl Route {
    /// Takes a JSON body of this type.
    fn takes<B: JsonSchema + DeserializeOwned>(mut self) -> Route {
        self.endpoint.body = Some(BodyType {
            name: B::schema_name().into_owned(),
            schema: schema_of::<B>,
            reads: reads::<B>,
        });
        self
    }

    /// Reads its query as this type.
    fn query<Q: JsonSchema>(mut self) -> Route {
        self.endpoint.query = Some(inline_of::<Q>);
        self
    }

    /// Answers `200` with this type.
    fn answers<A: JsonSchema>(mut self) -> Route {
        self.endpoint.success = Success::Json {
            created: false,
            schema: schema_of::<A>,
        };
        self
    }

    /// Answers `201 Created` with this type.
    fn creates<A: JsonSchema>(mut self) -> Route {
        self.endpoint.success = Success::Json {
            created: true,
            schema: schema_of::<A>,
        };
        self
    }

    fn answers_as<A: JsonSchema>(mut self, media: &'static str) -> Route {
        self.endpoint.success = Success::Typed {
            media,
            schema: schema_of::<A>,
        };
        self
    }

    fn answers_with(mut self, success: Success) -> Route {
        self.endpoint.success = success;
        self
    }
}

/// Every route of the API, one per line.
#[rustfmt::skip]
pub fn endpoints() -> Vec<(Endpoint, MethodRouter<ApiState>)> {
    use Method as M;
    use cases::{Absence, Assignment, AuditEntry, AuditVerdict, Client, Credential, InventoryDevice, Note, Order, OrderRevision, Unit, User, Victim};
    use ::alerts::notify::Contact;
    use judge::{records::StoredEpisode};
    let routes = vec![
        // Signing in.
        route(M::POST, "/api/v1/session", "session", "Sign in with a password: sets the session cookie", Access::Public, session::login).takes::<session::Login>().answers::<session::SignedIn>(),
        route(M::GET, "/api/v1/session", "session", "Who is signed in", EVERYONE, session::me).answers::<User>(),
        route(M::GET, "/api/v1/session/routes", "session", "The routes your role may use, each its method and path: for clients to offer only what you may do (a row outside your care is still refused)", EVERYONE, session::permitted_routes).answers::<Vec<session::PermittedRoute>>(),
        route(M::DELETE, "/api/v1/session", "session", "Sign out: ends this session", EVERYONE, session::logout),
        route(M::GET, "/api/v1/service", "session", "Whether the service is recording evidence (the storage takes writes)", EVERYONE, service::service_state).answers::<service::ServiceState>(),
        route(M::GET, "/api/v1/enumerations", "session", "Every enumeration the API can send (roles, alert states, breach kinds, ...), each a list of its values, read from the Rust types: for clients to word them", EVERYONE, enumerations::list).answers::<enumerations::Enumerations>(),
        route(M::GET, "/api/v1/tokens", "session", "Your live sessions and API tokens", EVERYONE, session::list_tokens).answers::<Vec<Credential>>(),
        route(M::POST, "/api/v1/tokens", "session", "Make an API token (its secret is shown once)", EVERYONE, session::create_token).takes::<session::NewToken>().creates::<session::TokenIssued>(),
        route(M::DELETE, "/api/v1/tokens/{id}", "session", "Revoke a session or API token", EVERYONE, session::revoke_token),
        // People.
        route(M::GET, "/api/v1/units", "units", "List units", EVERYONE, people::list_units).answers::<Vec<Unit>>(),
        route(M::POST, "/api/v1/units", "units", "Make a unit", ADMIN, people::create_unit).takes::<cases::NewUnit>().creates::<Unit>(),
        route(M::PATCH, "/api/v1/units/{id}", "units", "Rename a unit, or make it a department of another (or a territorial unit again)", ADMIN, people::update_unit).takes::<cases::UnitChange>().answers::<Unit>(),
        route(M::GET, "/api/v1/units/{id}/alerting", "units", "A unit's alert settings in force: channels, escalation contacts besides its supervisors, escalation times; its own, its territorial unit's or the service's", ADMIN, unit_alerting::get_settings).answers::<::alerts::units::UnitAlertingShown>(),
        route(M::PUT, "/api/v1/units/{id}/alerting", "units", "Set a unit's own alert settings (its departments without their own follow them)", ADMIN, unit_alerting::set_settings).takes::<::alerts::units::UnitAlerting>().answers::<::alerts::units::UnitAlertingShown>(),
        route(M::GET, "/api/v1/users", "users", "List users, found by name if asked (a supervisor: their unit's), each with the end of a sign-in lock-out in force", USERS_READ, people::list_users).query::<people::UserQuery>().answers::<Vec<User>>(),
        route(M::POST, "/api/v1/users", "users", "Make a user", ADMIN, people::create_user).takes::<cases::NewUser>().creates::<User>(),
        route(M::GET, "/api/v1/users/{id}", "users", "One user", USERS_READ, people::get_user).answers::<User>(),
        route(M::PATCH, "/api/v1/users/{id}", "users", "Change a user: name, role, unit, court, disabled, a new password (ends their sessions), lift a lock-out", ADMIN, people::update_user).takes::<cases::UserChange>().answers::<User>(),
        route(M::GET, "/api/v1/clients", "clients", "List probation clients in your care", CASEWORK, people::list_clients).query::<people::ClientQuery>().answers::<Vec<Client>>(),
        route(M::GET, "/api/v1/caseload", "clients", "A page of the probation clients in your care (by officer, unit or search, as GET /clients), each with their state at a glance as GET /clients/{id}/state answers it: a caseload's page in one request", CASEWORK, glance::caseload).query::<people::ClientQuery>().answers::<Vec<glance::CaseloadRow>>(),
        route(M::POST, "/api/v1/clients", "clients", "Register a probation client", CASE_EDIT, people::create_client).takes::<cases::NewClient>().creates::<Client>(),
        route(M::GET, "/api/v1/clients/{id}", "clients", "One probation client", CASEWORK_AND_COURT, people::get_client).answers::<Client>(),
        route(M::PATCH, "/api/v1/clients/{id}", "clients", "Change a probation client's record", CASE_EDIT, people::update_client).takes::<cases::ClientChange>().answers::<Client>(),
        route(M::GET, "/api/v1/clients/{id}/episodes", "clients", "A client's breach episodes over a time range, with their evidence and the policy revision that judged them", CASEWORK_AND_COURT, people::episodes).query::<people::EpisodeRange>().answers::<Vec<StoredEpisode>>(),
        route(M::GET, "/api/v1/fleet", "clients", "The fleet map: a page of the probation clients in your care, each with their state at a glance and the newest fix of their fitted devices", CASEWORK, fleet::fleet).query::<fleet::FleetQuery>().answers::<Vec<fleet::FleetRow>>(),
        route(M::GET, "/api/v1/clients/{id}/state", "clients", "A client's state at a glance: breach (a breach episode open now), compliant, or unknown (no order in force, no device fitted, a device fault such as a silent tag), with the open breaches, warnings and device faults, the unresolved alerts, the fitted devices' kinds and last contact, and the order's conditions they cannot evidence (a GPS tracker: strap, skin contact, case)", CASEWORK, glance::client_state).answers::<glance::ClientGlance>(),
        route(M::GET, "/api/v1/victims", "victims", "List victims", Access::Roles(&[Admin, Operator]), people::list_victims).query::<people::Page>().answers::<Vec<Victim>>(),
        route(M::POST, "/api/v1/victims", "victims", "Register a victim (a contact and their device) for a unit in your care", CASE_EDIT, people::create_victim).takes::<cases::NewVictim>().creates::<Victim>(),
        route(M::PATCH, "/api/v1/victims/{id}", "victims", "Change a victim's contact or device (those in whose care they are)", CASE_EDIT, people::update_victim).takes::<cases::VictimChange>().answers::<Victim>(),
        route(M::GET, "/api/v1/victims/{id}", "victims", "One victim in your care", CASEWORK, people::get_victim).answers::<Victim>(),
        // Orders.
        route(M::GET, "/api/v1/orders", "orders", "List orders in your care (a court: those it issued)", CASEWORK_AND_COURT, orders::list_orders).query::<orders::OrderQuery>().answers::<Vec<Order>>(),
        route(M::POST, "/api/v1/orders", "orders", "Record a court order", CASE_EDIT, orders::create_order).takes::<cases::NewOrder>().creates::<Order>(),
        route(M::GET, "/api/v1/orders/to-fit", "orders", "Find the order to fit a device under by the court's case number or the probation client's name: the order, its court and case, the client's name, nothing of where they are", DEVICES_EDIT, orders::orders_to_fit).query::<orders::ToFitQuery>().answers::<Vec<cases::OrderToFit>>(),
        route(M::GET, "/api/v1/orders/{id}", "orders", "One order with its latest terms", CASEWORK_AND_COURT, orders::get_order).answers::<Order>(),
        route(M::GET, "/api/v1/orders/{id}/revisions", "orders", "Every revision of an order", CASEWORK_AND_COURT, orders::list_revisions).answers::<Vec<OrderRevision>>(),
        route(M::POST, "/api/v1/orders/{id}/revisions", "orders", "Vary an order: new terms as a new revision", CASE_EDIT, orders::vary_order).takes::<orders::Variation>().creates::<Order>(),
        route(M::POST, "/api/v1/orders/{id}/status", "orders", "Suspend, resume, revoke or end monitoring", CASE_EDIT, orders::set_status).takes::<orders::StatusChange>().answers::<Order>(),
        route(M::GET, "/api/v1/orders/{id}/timetable", "orders", "The curfew timetable, one row per slot: day, start, end, address", CASEWORK_AND_COURT, orders::timetable).answers::<orders::Timetable>(),
        route(M::GET, "/api/v1/orders/{id}/zones", "orders", "The order's zones and the client's addresses as a GeoJSON FeatureCollection", CASEWORK_AND_COURT, orders::zones).answers_as::<orders::ZoneMap>(orders::GEO_JSON),
        route(M::GET, "/api/v1/orders/{id}/monitoring", "orders", "Whether live judgement judges by the order's current policy revision yet", CASEWORK_AND_COURT, orders::monitoring).answers::<orders::Monitoring>(),
        route(M::GET, "/api/v1/orders/{id}/report", "orders", "The court compliance summary of the order over a period, as a signed PDF, its JSON or the case-system export, with its SHA-256 digest", CASEWORK_AND_COURT, reports::order_report).query::<reports::ReportQuery>().answers_with(Success::Report { json: reports::report_json }),
        route(M::GET, "/api/v1/orders/{id}/summaries", "orders", "The signed compliance summaries given out of the order (each PDF made by GET /orders/{id}/report), newest first: period, language, as_of, digest, when and by whom, the signer's fingerprint and whether the service's key now signed it", CASEWORK_AND_COURT, summaries::list).answers::<Vec<summaries::SummaryShown>>(),
        route(M::GET, "/api/v1/summaries/{id}/pdf", "orders", "A signed compliance summary given out, again, byte for byte", CASEWORK_AND_COURT, summaries::pdf).answers_with(Success::Pdf),
        route(M::POST, "/api/v1/summaries/{id}/check", "orders", "Check a signed compliance summary given out against the service's key and the stored data now: whether the signature holds, the pages are the JSON's, and the records give the same report; what differs", CASEWORK_AND_COURT, summaries::check).answers::<summaries::SummaryCheck>(),
        route(M::GET, "/api/v1/report-signing", "orders", "The key compliance summaries are signed with: its certificate, public key (PEM) and fingerprint, for a court to check a summary with openssl or `sargs report verify --public-key`; public", Access::Public, reports::signing_key).answers::<reports::SigningKeyShown>(),
        route(M::GET, "/api/v1/orders/{id}/devices", "orders", "Devices fitted under the order, now and before", CASEWORK, orders::fittings).answers::<Vec<Assignment>>(),
        route(M::GET, "/api/v1/absences", "absences", "Authorised absences of an order", CASEWORK, notes::list_absences).query::<notes::OfOrder>().answers::<Vec<Absence>>(),
        route(M::POST, "/api/v1/absences", "absences", "Authorise an absence from curfew", CASE_EDIT, notes::create_absence).takes::<cases::NewAbsence>().creates::<Absence>(),
        route(M::POST, "/api/v1/absences/{id}/cancellation", "absences", "Call an absence off (it stays on record, marked)", CASE_EDIT, notes::cancel_absence).answers::<Absence>(),
        route(M::GET, "/api/v1/notes", "notes", "Notes on a client", CASEWORK, notes::list_notes).query::<notes::OfClient>().answers::<Vec<Note>>(),
        route(M::POST, "/api/v1/notes", "notes", "Write a note on a client", CASEWORK, notes::create_note).takes::<cases::NewNote>().creates::<Note>(),
        // Devices.
        route(M::GET, "/api/v1/devices", "devices", "The device inventory", DEVICES_READ, devices::list_devices).query::<devices::DeviceQuery>().answers::<Vec<InventoryDevice>>(),
        route(M::GET, "/api/v1/devices/unknown", "devices", "Devices that sent frames without being registered: first and last seen, frames, over what; the most recently heard 1 000 kept, in device id order, with how many were let go and their frames", DEVICES_READ, devices::unknown_devices).query::<devices::UnknownQuery>().answers::<devices::UnknownDevices>(),
        route(M::POST, "/api/v1/devices", "devices", "Add a device to the inventory", DEVICES_EDIT, devices::create_device).takes::<devices::NewDevice>().creates::<InventoryDevice>(),
        route(M::GET, "/api/v1/devices/firmware", "devices", "The firmware versions across the fleet: each model's versions with their devices by state, the most widespread first", DEVICES_READ, device_tools::firmware).answers::<Vec<cases::FirmwareCount>>(),
        route(M::GET, "/api/v1/devices/{id}", "devices", "One device with its live health", DEVICES_READ, devices::get_device).answers::<devices::DeviceWithHealth>(),
        route(M::PATCH, "/api/v1/devices/{id}", "devices", "Change a device's firmware or status", DEVICES_EDIT, devices::update_device).takes::<cases::InventoryChange>().answers::<InventoryDevice>(),
        route(M::POST, "/api/v1/devices/{id}/fitting", "devices", "Fit a device under an order", DEVICES_EDIT, devices::fit).takes::<devices::Fitting>().creates::<Assignment>(),
        route(M::POST, "/api/v1/devices/{id}/removal", "devices", "Remove a fitted device", DEVICES_EDIT, devices::remove).takes::<devices::Removal>().answers::<InventoryDevice>(),
        route(M::GET, "/api/v1/devices/{id}/health", "devices", "A device's health over a period (at most 92 days), in slices for plots: battery, signal, temperature, clock offset and frames lost per slice, and the silences between heartbeats; read from heartbeats only, so it says nothing of where the wearer is", DEVICES_READ, device_tools::health).query::<device_tools::HealthQuery>().answers::<device_tools::HealthHistory>(),
        route(M::POST, "/api/v1/devices/{id}/commands", "devices", "Send a device new reporting intervals (CONFIG) or the time (TIME) over the transport it was last heard on", DEVICES_EDIT, device_tools::command).takes::<device_tools::DeviceCommand>().answers::<device_tools::CommandSent>(),
        route(M::GET, "/api/v1/devices/{id}/observations", "devices", "A device's observations over a time range, in device time: only while it was fitted under an order in your care; a technician its health only", OBSERVATIONS, devices::observations).query::<devices::TimeRange>().answers::<Vec<devices::Observation>>(),
        // Alerts.
        route(M::GET, "/api/v1/alerts", "alerts", "The alert queue in your care, newest first", ALERTS, alerts::list_alerts).query::<alerts::AlertQuery>().answers::<Vec<::alerts::records::Alert>>(),
        route(M::GET, "/api/v1/alerts/open-over-time", "alerts", "How many alerts in your care stood unresolved (open or acknowledged) at each of a number of instants over a period, and how many of them were high or critical: the load over a shift", ALERTS, alert_load::open_over_time).query::<alert_load::LoadQuery>().answers::<Vec<alert_load::OpenAt>>(),
        route(M::GET, "/api/v1/alerts/feed", "alerts", "The live feed of alert events (server-sent events; resumes after Last-Event-ID)", ALERTS, alert_feed::feed).query::<alert_feed::FeedQuery>().answers_with(Success::EventStream { kind: schema_of::<::alerts::lifecycle::AlertAction>, data: schema_of::<alerts::AlertActed> }),
        route(M::GET, "/api/v1/alerts/{id}", "alerts", "One alert with its episodes, evidence, history and notifications", ALERTS, alerts::get_alert).answers::<alerts::AlertDetail>(),
        route(M::GET, "/api/v1/alerts/{id}/deliveries", "alerts", "An alert's notifications: to whom (display name, channel), sent or given up and why", ALERTS, deliveries::deliveries).answers::<Vec<deliveries::DeliveryShown>>(),
        route(M::POST, "/api/v1/alerts/{id}/acknowledgement", "alerts", "Acknowledge an alert: it stops escalating", ALERTS_ACT, alerts::acknowledge).takes::<alerts::AlertNote>().answers::<alerts::AlertActed>(),
        route(M::POST, "/api/v1/alerts/{id}/resolution", "alerts", "Resolve an alert with a code and a note", ALERTS_ACT, alerts::resolve).takes::<alerts::AlertResolution>().answers::<alerts::AlertActed>(),
        route(M::POST, "/api/v1/alerts/{id}/escalation", "alerts", "Escalate an alert by hand: one level up now, with a note saying why", ALERTS_ACT, alerts::escalate).takes::<alerts::AlertNote>().answers::<alerts::AlertActed>(),
        route(M::POST, "/api/v1/alerts/{id}/locate", "alerts", "Ask the client's tag for a location fix now (LOCATE_NOW)", ALERTS_ACT, alerts::locate).answers::<alerts::AlertActed>(),
        route(M::POST, "/api/v1/alerts/{id}/assignment", "alerts", "Take an alert: it shows as yours to everyone at once (over: take it from whoever has it)", ALERTS_ACT, alerts::take).takes::<alerts::AlertTake>().answers::<alerts::AlertActed>(),
        route(M::DELETE, "/api/v1/alerts/{id}/assignment", "alerts", "Let an alert go, whoever had taken it", ALERTS_ACT, alerts::release).answers::<alerts::AlertActed>(),
        route(M::POST, "/api/v1/alerts/{id}/notes", "alerts", "Add a note to an alert", ALERTS_ACT, alerts::add_note).takes::<alerts::AlertNote>().answers::<alerts::AlertActed>(),
        route(M::GET, "/api/v1/contacts", "alerts", "Your alert channels", EVERYONE, alerts::get_own_contacts).answers::<Vec<Contact>>(),
        route(M::PUT, "/api/v1/contacts", "alerts", "Set your alert channels: e-mail, SMS, lowest severity for each", EVERYONE, alerts::set_own_contacts).takes::<alerts::Contacts>().answers::<Vec<Contact>>(),
        route(M::GET, "/api/v1/users/{id}/contacts", "alerts", "A user's alert channels", ADMIN, alerts::get_contacts).answers::<Vec<Contact>>(),
        route(M::PUT, "/api/v1/users/{id}/contacts", "alerts", "Set a user's alert channels", ADMIN, alerts::set_contacts).takes::<alerts::Contacts>().answers::<Vec<Contact>>(),
        // Audit.
        route(M::GET, "/api/v1/audit", "audit", "The audit log", ADMIN, session::audit_entries).query::<people::Page>().answers::<Vec<AuditEntry>>(),
        route(M::GET, "/api/v1/audit/verify", "audit", "Check the audit log's hash chain", ADMIN, session::verify_audit).answers::<AuditVerdict>(),
    ];
    routes.into_iter().map(|r| (r.endpoint, r.handler)).collect()
}
