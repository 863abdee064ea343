//! Device ids as the database holds them: the wire's unsigned 64-bit numbers in signed columns.

/// Device ids are u64 on the wire; the database has signed 64-bit integers. Store the bits.
pub fn db_id(id: u64) -> i64 {
    i64::from_ne_bytes(id.to_ne_bytes())
}

/// The first key to order a column of stored device ids by, so that they sort as the wire's
/// unsigned numbers: ids above `i64::MAX` are stored negative (`db_id`) and come after the others.
/// Page after an id by this key, then the column.
pub fn unsigned_order(column: &str) -> String {
    format!("CASE WHEN {column} < 0 THEN 1 ELSE 0 END")
}

/// A device id as stored, back as the wire's unsigned number (the inverse of [`db_id`]).
pub fn wire_id(id: i64) -> u64 {
    u64::from_ne_bytes(id.to_ne_bytes())
}

/// Ids written into a statement as a list, for `column IN (...)` over a set of rows too long for
/// a placeholder each: numbers, never text, so they cannot change the statement. An empty set is
/// `NULL`, which `IN` matches with nothing.
pub fn id_list(ids: impl IntoIterator<Item = i64>) -> String {
    let list: Vec<String> = ids.into_iter().map(|id| id.to_string()).collect();
    if list.is_empty() {
        "NULL".into()
    } else {
        list.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_the_database_type() {
        for id in [1, 1001, i64::MAX as u64, i64::MAX as u64 + 1, u64::MAX] {
            assert_eq!(wire_id(db_id(id)), id);
        }
    }

    #[test]
    fn a_list_of_ids_is_numbers_or_null() {
        assert_eq!(id_list([3, -4, 5]), "3, -4, 5");
        assert_eq!(id_list([]), "NULL");
    }
}
