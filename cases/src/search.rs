//! Listing and searching probation clients a page at a time: by caseload (the officer), by unit
//! (and its departments), and by a search that matches the client's name (every word of it, in
//! any order, any case, Latvian letters too), their personal code or the court's case number of
//! any of their orders. Paged by id (keyset), so a caseload of thousands is read 25 at a time.

use serde::Deserialize;

use crate::Cases;
use crate::clients::{CLIENT_SELECT, Client, ClientRow, client_of};
use crate::error::{CasesError, FieldError};

/// Which clients to list; every filter given must hold.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ClientFilter {
    /// One officer's caseload.
    pub officer_id: Option<i64>,
    /// One unit's clients, and its departments'.
    pub unit_id: Option<i64>,
    /// Words of the client's name, or part of their personal code or of a case number.
    pub q: Option<String>,
}

/// The longest search accepted, and the most words in it.
const MAX_QUERY_CHARS: usize = 100;
const MAX_WORDS: usize = 6;

/// A client's name as the search matches it: given and family name, lower-cased here rather
/// than in SQL, since SQLite's LOWER knows only ASCII and Latvian names are not (Ē, Š, Ž).
pub(crate) fn search_name(given: &str, family: &str) -> String {
    format!("{given} {family}").to_lowercase()
}

/// `text` as a LIKE pattern that finds it anywhere, its wildcards escaped (with `\`).
pub(crate) fn containing(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The search's words, lower-cased; none for an empty search. Too long a search is refused.
fn search_words(q: Option<&str>) -> Result<Option<(String, Vec<String>)>, CasesError> {
    let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    let lower = q.to_lowercase();
    let words: Vec<String> = lower.split_whitespace().map(str::to_string).collect();
    if q.chars().count() > MAX_QUERY_CHARS || words.len() > MAX_WORDS {
        return Err(CasesError::Invalid(vec![FieldError::coded(
            "q",
            "search_too_long",
            "must be at most 100 characters and 6 words",
        )]));
    }
    Ok(Some((lower, words)))
}

impl Cases {
    /// Clients in id order after `after`, at most `limit` (1 to 500), that match `filter`.
    pub async fn clients(
        &self,
        filter: &ClientFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Client>, CasesError> {
        let search = search_words(filter.q.as_deref())?;
        let mut sql = format!(
            "{CLIENT_SELECT} WHERE id > $1 AND ($2 IS NULL OR officer_id = $2)
               AND ($3 IS NULL OR unit_id IN (SELECT id FROM units WHERE id = $3 OR parent_id = $3))"
        );
        // Numbered in the order they appear: the search's patterns, then the page's size.
        let mut next = 4;
        if let Some((_, words)) = &search {
            let names: Vec<String> = (0..words.len())
                .map(|i| format!("search_name LIKE ${} ESCAPE '\\'", i + 5))
                .collect();
            sql.push_str(&format!(
                " AND (personal_code LIKE $4 ESCAPE '\\'
                   OR EXISTS (SELECT 1 FROM orders o WHERE o.client_id = clients.id
                              AND LOWER(o.case_number) LIKE $4 ESCAPE '\\')
                   OR ({}))",
                names.join(" AND ")
            ));
            next += 1 + words.len();
        }
        sql.push_str(&format!(" ORDER BY id LIMIT ${next}"));
        let mut query = sqlx::query_as::<_, ClientRow>(&sql)
            .bind(after)
            .bind(filter.officer_id)
            .bind(filter.unit_id);
        if let Some((whole, words)) = &search {
            query = query.bind(containing(whole));
            for word in words {
                query = query.bind(containing(word));
            }
        }
        let query = query.bind(limit.clamp(1, 500));
        let rows = query.fetch_all(self.pool()).await?;
        rows.into_iter().map(client_of).collect()
    }
}

/// Fills the search name of the clients registered before it was kept.
pub(crate) async fn backfill(pool: &sqlx::AnyPool) -> Result<(), CasesError> {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, given_name, family_name FROM clients WHERE search_name IS NULL")
            .fetch_all(pool)
            .await?;
    for (id, given, family) in rows {
        sqlx::query("UPDATE clients SET search_name = $1 WHERE id = $2")
            .bind(search_name(&given, &family))
            .bind(id)
            .execute(pool)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_taken_as_they_are() {
        assert_eq!(containing("k-5/2026"), "%k-5/2026%");
        assert_eq!(containing("50%_a\\"), "%50\\%\\_a\\\\%");
        assert_eq!(search_name("Jānis", "BĒRZIŅŠ"), "jānis bērziņš");
    }

    #[test]
    fn a_search_is_words_or_nothing() {
        assert!(search_words(None).expect("none").is_none());
        assert!(search_words(Some("   ")).expect("blank").is_none());
        let (whole, words) = search_words(Some(" Bērziņš  JĀNIS "))
            .expect("ok")
            .expect("words");
        assert_eq!(whole, "bērziņš  jānis");
        assert_eq!(words, ["bērziņš", "jānis"]);
        for bad in ["a b c d e f g", &"x".repeat(101)] {
            assert!(search_words(Some(bad)).is_err(), "{bad}");
        }
    }
}
