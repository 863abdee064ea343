//! Migrations: each part that keeps tables in the store applies its own numbered set.
//!
//! Migrations are numbered and applied once, in order, inside a transaction, on both backends.
//! The statements are written once; `{blob}` and `{id}` stand for the few column types whose
//! spelling differs between SQLite and PostgreSQL, and a statement that only one backend needs
//! starts with `postgres:` or `sqlite:`.

use sqlx::Executor;

use super::{Backend, Store, StoreError};

/// The statement as `backend` spells it, or None if it is the other backend's alone.
fn render(statement: &str, backend: Backend) -> Option<String> {
    let (blob, id, own, other) = match backend {
        Backend::Sqlite => (
            "BLOB",
            "INTEGER PRIMARY KEY AUTOINCREMENT",
            "sqlite:",
            "postgres:",
        ),
        Backend::Postgres => (
            "BYTEA",
            "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
            "postgres:",
            "sqlite:",
        ),
    };
    if statement.starts_with(other) {
        return None;
    }
    let statement = statement.strip_prefix(own).unwrap_or(statement);
    Some(statement.replace("{blob}", blob).replace("{id}", id))
}

/// Applies each migration of a set not yet recorded in `table` (created if need be): how every
/// part that keeps tables in the store (ingest, the cases, the judge, the alerts) brings its
/// schema up to date. `table` is a fixed name of the caller's, never input.
pub async fn apply(store: &Store, table: &str, migrations: &[&[&str]]) -> Result<(), StoreError> {
    let pool = store.pool();
    pool.execute(
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                version BIGINT PRIMARY KEY,
                applied_at_ms BIGINT NOT NULL
            )"
        )
        .as_str(),
    )
    .await?;
    for (index, statements) in migrations.iter().enumerate() {
        let version = index as i64 + 1;
        let mut tx = pool.begin().await?;
        let applied: Option<(i64,)> =
            sqlx::query_as(&format!("SELECT version FROM {table} WHERE version = $1"))
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
        if applied.is_some() {
            continue;
        }
        for statement in *statements {
            if let Some(sql) = render(statement, store.backend()) {
                tx.execute(sql.as_str()).await?;
            }
        }
        // A second process migrating at the same moment inserts the same version: no conflict.
        sqlx::query(&format!(
            "INSERT INTO {table} (version, applied_at_ms) VALUES ($1, $2)
             ON CONFLICT (version) DO NOTHING"
        ))
        .bind(version)
        .bind(store.now().0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_of_one_backend_is_left_out_on_the_other() {
        let only = "postgres: CREATE INDEX x ON t (a)";
        assert_eq!(render(only, Backend::Sqlite), None);
        assert_eq!(
            render(only, Backend::Postgres).as_deref(),
            Some(" CREATE INDEX x ON t (a)")
        );
        assert_eq!(
            render("CREATE TABLE t (id {id})", Backend::Sqlite).as_deref(),
            Some("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT)")
        );
    }
}
