//! Finding the order to fit a device under, as a technician would: by the court's case number or
//! the probation client's name, never by an internal id nobody outside the records sees. Only
//! what a fitting needs comes back (the order, its court and case, the client's name), nothing
//! of where the client lives or goes.

use serde::Serialize;

use crate::Cases;
use crate::error::CasesError;
use crate::terms::OrderStatus;

/// An order a device may be fitted under, as a technician finds it.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OrderToFit {
    /// The order.
    pub order_id: i64,
    /// The court that made it.
    pub court: String,
    /// The court's case number.
    pub case_number: String,
    /// Active or suspended.
    pub status: OrderStatus,
    /// The probation client's name, to check against the person the device is fitted on.
    pub client_name: String,
}

impl Cases {
    /// The active or suspended orders whose case number or client's name holds `query` (any
    /// case, any order of the words of a name), by case number; at most `limit` (1 to 50).
    /// The query must have 2 to 100 characters.
    pub async fn orders_to_fit(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<OrderToFit>, CasesError> {
        let query = query.trim();
        let length = query.chars().count();
        if !(2..=100).contains(&length) {
            return Err(CasesError::invalid(
                "q",
                "must be 2 to 100 characters: a case number or a name",
            ));
        }
        let lower = query.to_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        // Matched here rather than in SQL: SQLite's LOWER knows only ASCII, and Latvian names
        // are not (Ē, Š, Ž). The orders in force are tens of thousands at most.
        let rows: Vec<(i64, String, String, String, String, String)> = sqlx::query_as(
            "SELECT o.id, o.court, o.case_number, o.status, c.given_name, c.family_name
             FROM orders o JOIN clients c ON c.id = o.client_id
             WHERE o.status IN ('active', 'suspended')
             ORDER BY o.case_number, o.id",
        )
        .fetch_all(self.pool())
        .await?;
        let mut found = Vec::new();
        for (order_id, court, case_number, status, given, family) in rows {
            let client_name = format!("{given} {family}");
            let name = client_name.to_lowercase();
            let case = case_number.to_lowercase();
            let matches = case.contains(&lower) || words.iter().all(|w| name.contains(w));
            if !matches {
                continue;
            }
            found.push(OrderToFit {
                order_id,
                court,
                case_number,
                status: OrderStatus::parse(&status)?,
                client_name,
            });
            if found.len() >= limit.clamp(1, 50) {
                break;
            }
        }
        Ok(found)
    }
}
