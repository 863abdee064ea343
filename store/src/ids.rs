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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_the_database_type() {
        for id in [1, 1001, i64::MAX as u64, i64::MAX as u64 + 1, u64::MAX] {
            assert_eq!(wire_id(db_id(id)), id);
        }
    }
}
