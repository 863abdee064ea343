//! From the case records to the monitoring policy the rules engine judges by: an order's terms
//! compiled against the client's addresses, the devices fitted and the victims' devices, with
//! the authorised absences. The writes that change what the policy would be check here that it
//! still compiles (an order's terms, a client's new addresses) and move the order's policy
//! revision on (`bump_policy`: a fitting, an absence, a victim's new device), marking the change
//! as one that wakes the judge on commit. Kept below the records that call it; the policy over
//! time, which reads those records, is crate::history (and the one in force now,
//! crate::in_force).

use rules::DeviceId;
use rules::policy::{Address, DeviceKind, MonitoringPolicy, VictimProximity, WornDevice};
use rules::schedule::AuthorisedAbsence;
use store::wire_id;

use crate::address::ClientAddress;
use crate::audit::AuditedTx;
use crate::error::{CasesError, FieldError, corrupt};
use crate::terms::{OrderStatus, OrderTerms};

/// Reads and checks in a transaction, a write's or a read's.
type Tx = sqlx::AnyConnection;

/// A device fitted under an order, as the policy needs it.
#[derive(Clone)]
pub(crate) struct Fitted {
    pub(crate) device: DeviceId,
    pub(crate) kind: DeviceKind,
    pub(crate) address: Option<String>,
}

/// The terms compile into a policy against the client's addresses and the named victims, with
/// stand-in devices (a tag, and a home unit at each address) when none are fitted yet.
pub(crate) async fn check_terms(
    tx: &mut Tx,
    client: i64,
    terms: &OrderTerms,
) -> Result<(), CasesError> {
    let addresses = client_addresses(tx, client).await?;
    let mut fitted = vec![Fitted {
        device: u64::MAX,
        kind: DeviceKind::Tag,
        address: None,
    }];
    for (i, a) in addresses.iter().enumerate() {
        fitted.push(Fitted {
            device: u64::MAX - 1 - i as u64,
            kind: DeviceKind::HomeUnit,
            address: Some(a.id.clone()),
        });
    }
    let policy = assemble(tx, client, 1, terms, &addresses, &fitted, Vec::new()).await?;
    policy
        .compile()
        .map(|_| ())
        .map_err(|e| CasesError::Invalid(vec![FieldError::coded("terms", e.code(), e.to_string())]))
}

/// After a client's addresses change (inside `tx`): every order not yet over must still
/// compile against them, and an active one's policy moves on.
pub(crate) async fn recheck_orders(tx: &mut AuditedTx<'_>, client: i64) -> Result<(), CasesError> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT o.id, o.status, r.terms FROM orders o
         JOIN order_revisions r ON r.order_id = o.id AND r.revision = o.revision
         WHERE o.client_id = $1 ORDER BY o.id",
    )
    .bind(client)
    .fetch_all(&mut **tx)
    .await?;
    for (order, status, terms) in rows {
        let status = OrderStatus::parse(&status)?;
        if status.is_final() {
            continue;
        }
        let terms: OrderTerms =
            serde_json::from_str(&terms).map_err(|e| corrupt("order terms", e))?;
        match check_terms(tx, client, &terms).await {
            Ok(()) => {}
            Err(CasesError::Invalid(errors)) => {
                let reasons: Vec<String> = errors.into_iter().map(|e| e.reason).collect();
                return Err(CasesError::invalid(
                    "addresses",
                    format!("order {order} no longer holds: {}", reasons.join("; ")),
                ));
            }
            Err(other) => return Err(other),
        }
        if status == OrderStatus::Active {
            bump_policy(tx, order).await?;
        }
    }
    Ok(())
}

pub(crate) async fn client_addresses(
    tx: &mut Tx,
    client: i64,
) -> Result<Vec<ClientAddress>, CasesError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT addresses FROM clients WHERE id = $1")
        .bind(client)
        .fetch_optional(&mut *tx)
        .await?;
    let (json,) = row.ok_or(CasesError::NotFound {
        what: "client",
        id: client,
    })?;
    serde_json::from_str(&json).map_err(|e| corrupt("addresses", e))
}

/// The client's addresses as the rules engine knows them, each with the home unit that stands
/// there (`home_unit` of the address's id).
fn policy_addresses(
    addresses: &[ClientAddress],
    home_unit: impl Fn(&str) -> Option<DeviceId>,
) -> Vec<Address> {
    addresses
        .iter()
        .map(|a| Address {
            id: a.id.clone(),
            zone: a.zone.clone(),
            home_unit: home_unit(&a.id),
        })
        .collect()
}

pub(crate) async fn assemble(
    tx: &mut Tx,
    client: i64,
    revision: u32,
    terms: &OrderTerms,
    addresses: &[ClientAddress],
    fitted: &[Fitted],
    absences: Vec<AuthorisedAbsence>,
) -> Result<MonitoringPolicy, CasesError> {
    let mut proximity = Vec::with_capacity(terms.proximity.len());
    let mut errors = Vec::new();
    for (i, p) in terms.proximity.iter().enumerate() {
        let device: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT device_id FROM victims WHERE id = $1")
                .bind(p.victim_id)
                .fetch_optional(&mut *tx)
                .await?;
        let field = format!("terms.proximity[{i}].victim_id");
        match device {
            None => errors.push(FieldError::coded(field, "no_such_record", "no such victim")),
            Some((None,)) => errors.push(FieldError::coded(
                field,
                "victim_without_device",
                "the victim has no device",
            )),
            Some((Some(device),)) => proximity.push(VictimProximity {
                id: p.id.clone(),
                victim_device: wire_id(device),
                alarm_m: p.alarm_m,
                release_m: p.release_m,
                warning_m: p.warning_m,
                max_fix_gap: p.max_fix_gap.unwrap_or(rules::Span::minutes(2)),
                confirm: p.confirm.clone(),
            }),
        }
    }
    CasesError::check(errors)?;
    let mut curfew = terms.curfew.clone();
    if let Some(curfew) = curfew.as_mut() {
        curfew.absences.extend(absences);
    }
    Ok(MonitoringPolicy {
        client: u64::try_from(client).map_err(|e| corrupt("client id", e))?,
        revision,
        time_zone: terms.time_zone,
        monitoring_from: Some(terms.starts),
        monitoring_until: Some(terms.ends),
        devices: fitted
            .iter()
            .map(|f| WornDevice {
                id: f.device,
                kind: f.kind,
                comm_lost_after: None,
            })
            .collect(),
        addresses: policy_addresses(addresses, |address| {
            fitted
                .iter()
                .find(|f| f.kind == DeviceKind::HomeUnit && f.address.as_deref() == Some(address))
                .map(|f| f.device)
        }),
        curfew,
        zones: terms.zones.clone(),
        proximity,
        health: terms.health.clone(),
    })
}

/// Something that changes what the engine judges the order by: the policy revision moves on,
/// and the change's commit tells the judge ([`crate::Cases::watch_policies`]).
pub(crate) async fn bump_policy(tx: &mut AuditedTx<'_>, id: i64) -> Result<(), CasesError> {
    sqlx::query("UPDATE orders SET policy_revision = policy_revision + 1 WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    tx.policy_changes();
    Ok(())
}
