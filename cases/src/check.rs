//! The checks of input that every kind of record makes: a text that must be there and not be a
//! novel, a phone number, a reference to a row that must exist. Kept apart so that the records'
//! modules share them without reaching into one another.

use crate::error::{CasesError, FieldError};

/// A name, text or label that must be there and not be a novel.
pub(crate) fn text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() {
        errors.push(FieldError::coded(field, "required", "must not be empty"));
    } else if value.chars().count() > max {
        errors.push(FieldError::coded(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
}

pub(crate) fn phone_error(phone: &str) -> Option<&'static str> {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || c == ' ' || (c == '+' && i == 0));
    (!allowed || !(7..=15).contains(&digits)).then_some("must be a phone number, as +371 2xxxxxxx")
}

/// That row `id` of `table` exists, else an error on `field`. `table` is a fixed name.
pub(crate) async fn exists(
    tx: &mut sqlx::AnyConnection,
    table: &str,
    field: &str,
    id: i64,
) -> Result<(), CasesError> {
    let found: Option<(i64,)> = sqlx::query_as(&format!("SELECT id FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(CasesError::invalid(field, format!("no such record ({id})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(phone_error("+371 20000000"), None);
        assert_eq!(phone_error("20000000"), None);
        for bad in ["", "12", "+371-2000-0000", "2000000+0", "phone"] {
            assert!(phone_error(bad).is_some(), "{bad}");
        }
    }
}
