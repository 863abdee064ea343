//! Probation clients: who the monitoring concerns. Only what the work needs is kept: a client's
//! name, personal code, date of birth, addresses (with the zone a GPS fix must be in to count
//! as at home, crate::address), phone, language and risk notes, and the supervising officer,
//! whose unit the client is in. Victims are in crate::victims.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::Cases;
use crate::actor::{Actor, Role};
use crate::address::{ClientAddress, address_errors};
use crate::audit::{AuditAction, changed_fields};
use crate::check::{phone_error, text};
use crate::error::{CasesError, FieldError, corrupt};
use crate::search::search_name;

/// A probation client: a person an order puts under electronic monitoring, as the case records hold them.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Client {
    /// The client's id in the case records.
    pub id: i64,
    /// The Latvian personal code, stored as `DDMMYY-NNNNN`; one client per code.
    pub personal_code: String,
    /// Given name(s).
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Date of birth.
    pub birth_date: NaiveDate,
    /// A phone number to reach them on, if any.
    pub phone: Option<String>,
    /// The language to speak to them in (`lv`, `ru`, `en`, ...).
    pub language: String,
    /// What those dealing with the client should know of the risks they pose.
    pub risk_notes: String,
    /// The supervising officer.
    pub officer_id: i64,
    /// The unit the client is in: their supervising officer's.
    pub unit_id: i64,
    /// The client's addresses, which orders' curfews name.
    pub addresses: Vec<ClientAddress>,
}

/// A probation client to register; the unit follows from the officer.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    /// The Latvian personal code, with or without the hyphen.
    pub personal_code: String,
    /// Given name(s).
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Date of birth: a past date after 1900.
    pub birth_date: NaiveDate,
    /// A phone number to reach them on, if any.
    #[serde(default)]
    pub phone: Option<String>,
    /// The language to speak to them in (`lv`, `ru`, `en`, ...).
    pub language: String,
    /// What those dealing with the client should know of the risks they pose.
    #[serde(default)]
    pub risk_notes: String,
    /// The supervising officer.
    pub officer_id: i64,
    /// The client's addresses, for orders' curfews to name.
    #[serde(default)]
    pub addresses: Vec<ClientAddress>,
}

/// A change to a client's record: only the fields given change. A new officer brings the
/// client into the officer's unit; new addresses must keep every open order's terms valid.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientChange {
    /// A new given name.
    #[serde(default)]
    pub given_name: Option<String>,
    /// A new family name.
    #[serde(default)]
    pub family_name: Option<String>,
    /// A new phone number, or `null` to keep none.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schemars(with = "Option<String>")]
    pub phone: Option<Option<String>>,
    /// A new language to speak to them in.
    #[serde(default)]
    pub language: Option<String>,
    /// New risk notes, replacing the old.
    #[serde(default)]
    pub risk_notes: Option<String>,
    /// A new supervising officer, who brings the client into their unit.
    #[serde(default)]
    pub officer_id: Option<i64>,
    /// The client's addresses, replacing all the old ones.
    #[serde(default)]
    pub addresses: Option<Vec<ClientAddress>>,
}

/// A Latvian personal code: 11 digits, written `DDMMYY-NNNNN` (the hyphen optional); codes
/// issued since 2017 begin with 32 and carry no date.
fn personal_code_error(code: &str) -> Option<&'static str> {
    let digits: String = code.chars().filter(|c| *c != '-').collect();
    let hyphen_ok = match code.find('-') {
        None => true,
        Some(at) => at == 6 && code.matches('-').count() == 1,
    };
    if digits.len() != 11 || !digits.chars().all(|c| c.is_ascii_digit()) || !hyphen_ok {
        return Some("must be 11 digits, as DDMMYY-NNNNN");
    }
    None
}

/// The personal code as stored: with the hyphen, so one person has one spelling.
fn normal_personal_code(code: &str) -> String {
    let digits: String = code.chars().filter(|c| *c != '-').collect();
    format!("{}-{}", &digits[..6], &digits[6..])
}

impl Cases {
    /// Registers a probation client, refusing a personal code already registered; audited.
    pub async fn create_client(
        &self,
        actor: &Actor,
        new: &NewClient,
    ) -> Result<Client, CasesError> {
        let mut errors = Vec::new();
        if let Some(reason) = personal_code_error(&new.personal_code) {
            errors.push(FieldError::coded(
                "personal_code",
                "personal_code_format",
                reason,
            ));
        }
        let today = self.store.now().to_utc().date_naive();
        if new.birth_date > today || new.birth_date.year() < 1900 {
            errors.push(FieldError::coded(
                "birth_date",
                "birth_date_range",
                "must be a past date after 1900",
            ));
        }
        errors.extend(client_field_errors(&ClientChange {
            given_name: Some(new.given_name.clone()),
            family_name: Some(new.family_name.clone()),
            phone: new.phone.clone().map(Some),
            language: Some(new.language.clone()),
            risk_notes: Some(new.risk_notes.clone()),
            officer_id: None,
            addresses: None,
        }));
        errors.extend(address_errors(&new.addresses));
        CasesError::check(errors)?;
        let code = normal_personal_code(&new.personal_code);
        let addresses =
            serde_json::to_string(&new.addresses).map_err(|e| corrupt("addresses", e))?;
        let mut tx = self.write_as(actor).await?;
        let unit_id = officer_unit(&mut tx, new.officer_id).await?;
        let taken: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM clients WHERE personal_code = $1")
                .bind(&code)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(CasesError::Conflict(vec![FieldError::coded(
                "personal_code",
                "personal_code_taken",
                "a probation client with this personal code is registered",
            )]));
        }
        let now = self.now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO clients (personal_code, given_name, family_name, birth_date, phone, language,
                                  risk_notes, officer_id, unit_id, addresses, created_ms, updated_ms,
                                  search_name)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12) RETURNING id",
        )
        .bind(&code)
        .bind(&new.given_name)
        .bind(&new.family_name)
        .bind(new.birth_date.to_string())
        .bind(new.phone.as_deref())
        .bind(&new.language)
        .bind(&new.risk_notes)
        .bind(new.officer_id)
        .bind(unit_id)
        .bind(&addresses)
        .bind(now)
        .bind(search_name(&new.given_name, &new.family_name))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit(AuditAction::Create, &format!("client/{id}"), "")
            .await?;
        self.client(id).await
    }

    /// Changes a client's record. New addresses must keep the terms of every order not yet
    /// ended valid (a curfew names them); they move the policy of an active order on.
    pub async fn update_client(
        &self,
        actor: &Actor,
        id: i64,
        change: &ClientChange,
    ) -> Result<Client, CasesError> {
        let mut errors = client_field_errors(change);
        if let Some(addresses) = &change.addresses {
            errors.extend(address_errors(addresses));
        }
        CasesError::check(errors)?;
        let mut tx = self.write_as(actor).await?;
        let current = self.client(id).await?;
        let unit_id = match change.officer_id {
            Some(officer) => officer_unit(&mut tx, officer).await?,
            None => current.unit_id,
        };
        let addresses = change.addresses.as_ref().unwrap_or(&current.addresses);
        let given = change.given_name.as_ref().unwrap_or(&current.given_name);
        let family = change.family_name.as_ref().unwrap_or(&current.family_name);
        let addresses_json =
            serde_json::to_string(addresses).map_err(|e| corrupt("addresses", e))?;
        sqlx::query(
            "UPDATE clients SET given_name = $1, family_name = $2, phone = $3, language = $4,
                risk_notes = $5, officer_id = $6, unit_id = $7, addresses = $8, updated_ms = $9,
                search_name = $10
             WHERE id = $11",
        )
        .bind(given)
        .bind(family)
        .bind(crate::patch::applied(&change.phone, &current.phone))
        .bind(change.language.as_ref().unwrap_or(&current.language))
        .bind(change.risk_notes.as_ref().unwrap_or(&current.risk_notes))
        .bind(change.officer_id.unwrap_or(current.officer_id))
        .bind(unit_id)
        .bind(&addresses_json)
        .bind(self.now_ms())
        .bind(search_name(given, family))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if change.addresses.is_some() {
            crate::policy::recheck_orders(&mut tx, id).await?;
        }
        let detail = changed_fields(&[
            ("given_name", change.given_name.is_some()),
            ("family_name", change.family_name.is_some()),
            ("phone", matches!(change.phone, Some(Some(_)))),
            ("phone cleared", change.phone == Some(None)),
            ("language", change.language.is_some()),
            ("risk_notes", change.risk_notes.is_some()),
            ("officer_id", change.officer_id.is_some()),
            ("addresses", change.addresses.is_some()),
        ]);
        tx.commit(AuditAction::Update, &format!("client/{id}"), &detail)
            .await?;
        self.client(id).await
    }

    /// A client's record; [`CasesError::NotFound`] if there is none.
    pub async fn client(&self, id: i64) -> Result<Client, CasesError> {
        let row: Option<ClientRow> = sqlx::query_as(&format!("{CLIENT_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        client_of(row.ok_or(CasesError::NotFound { what: "client", id })?)
    }
}

/// The fields a client's record shares between making and changing it.
fn client_field_errors(c: &ClientChange) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(name) = &c.given_name {
        text(&mut errors, "given_name", name, 200);
    }
    if let Some(name) = &c.family_name {
        text(&mut errors, "family_name", name, 200);
    }
    if let Some(reason) = c
        .phone
        .as_ref()
        .and_then(Option::as_deref)
        .and_then(phone_error)
    {
        errors.push(FieldError::coded("phone", "phone_format", reason));
    }
    if let Some(language) = &c.language {
        let ok =
            (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_lowercase());
        if !ok {
            errors.push(FieldError::coded(
                "language",
                "language_code",
                "must be a language code such as lv, ru or en",
            ));
        }
    }
    if c.risk_notes
        .as_ref()
        .is_some_and(|n| n.chars().count() > 4000)
    {
        errors.push(FieldError::coded(
            "risk_notes",
            "too_long",
            "must be at most 4000 characters",
        ));
    }
    errors
}

/// The unit of a supervising probation officer, who must be one.
async fn officer_unit(tx: &mut sqlx::AnyConnection, officer: i64) -> Result<i64, CasesError> {
    let row: Option<(String, Option<i64>)> =
        sqlx::query_as("SELECT role, unit_id FROM users WHERE id = $1 AND disabled = 0")
            .bind(officer)
            .fetch_optional(&mut *tx)
            .await?;
    match row {
        Some((role, Some(unit))) if role == Role::Officer.as_str() => Ok(unit),
        _ => Err(CasesError::Invalid(vec![FieldError::coded(
            "officer_id",
            "not_an_officer",
            "must be a supervising probation officer",
        )])),
    }
}

pub(crate) const CLIENT_SELECT: &str =
    "SELECT id, personal_code, given_name, family_name, birth_date, phone,
    language, risk_notes, officer_id, unit_id, addresses FROM clients";

pub(crate) type ClientRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    i64,
    String,
);

pub(crate) fn client_of(row: ClientRow) -> Result<Client, CasesError> {
    let (
        id,
        personal_code,
        given_name,
        family_name,
        birth,
        phone,
        language,
        risk_notes,
        officer_id,
        unit_id,
        addresses,
    ) = row;
    Ok(Client {
        id,
        personal_code,
        given_name,
        family_name,
        birth_date: birth.parse().map_err(|e| corrupt("birth date", e))?,
        phone,
        language,
        risk_notes,
        officer_id,
        unit_id,
        addresses: serde_json::from_str(&addresses).map_err(|e| corrupt("addresses", e))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_codes() {
        for good in ["010190-12345", "01019012345", "321234-56789"] {
            assert_eq!(personal_code_error(good), None, "{good}");
        }
        for bad in [
            "",
            "0101901234",
            "010190-1234x",
            "0101-9012345",
            "010190--12345",
            "010190-123456",
        ] {
            assert!(personal_code_error(bad).is_some(), "{bad}");
        }
        assert_eq!(normal_personal_code("01019012345"), "010190-12345");
    }
}
