//! The audit log: who read or changed which personal data, when, and from where.
//!
//! Append only, twice over: the tables refuse UPDATE and DELETE (a trigger on each backend),
//! and every entry carries the SHA-256 of the entry before it, so an entry edited or removed
//! behind the triggers' back breaks the chain and [`Cases::verify_audit`] says where. A change
//! is recorded in the transaction that makes it, so there is never a change without its entry;
//! a read is recorded before the data leaves.

use serde::Serialize;
use sha2::{Digest, Sha256};

use store::{Backend, WriteTx};

use crate::Cases;
use crate::actor::Actor;
use crate::error::CasesError;

/// What was done.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// Personal data was read.
    Read,
    /// A record was made.
    Create,
    /// A record was changed.
    Update,
    /// A user signed in.
    Login,
    /// A sign-in was refused.
    LoginRefused,
    /// A user signed out.
    Logout,
}

impl AuditAction {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AuditAction::Read => "read",
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::Login => "login",
            AuditAction::LoginRefused => "login_refused",
            AuditAction::Logout => "logout",
        }
    }
}

/// One entry as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct AuditEntry {
    /// The entry's place in the log.
    pub seq: i64,
    /// When it was done, in ms since the epoch UTC.
    pub at_ms: i64,
    /// The user who did it; none for sargs itself.
    pub actor_id: Option<i64>,
    /// Their user name at the time.
    pub actor: String,
    /// Where from: the request's peer address, or the command that ran.
    pub origin: String,
    /// What was done (`read`, `create`, `update`, `login`, ...).
    pub action: String,
    /// What was touched, as `client/12` or `order/3/revisions`.
    pub subject: String,
    /// What about it: the fields changed, the filter of a list. Never a password or a token.
    pub detail: String,
    /// The previous entry's hash, chaining the log so that an entry changed or removed shows.
    pub prev_hash: String,
    /// The SHA-256 of this entry with the previous hash, in hex.
    pub hash: String,
}

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl AuditEntry {
    /// SHA-256 over the previous hash and every field, as a JSON array: unambiguous, and easy
    /// to recompute with any JSON library.
    fn digest(&self) -> String {
        let fields = serde_json::json!([
            self.prev_hash,
            self.seq,
            self.at_ms,
            self.actor_id,
            self.actor,
            self.origin,
            self.action,
            self.subject,
            self.detail,
        ]);
        hex::encode(Sha256::digest(fields.to_string().as_bytes()))
    }
}

/// What a check of the chain found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AuditVerdict {
    /// Entries checked.
    pub entries: u64,
    /// The last entry's seq and hash: note them to detect a truncated tail later.
    #[schemars(schema_with = "seq_and_text")]
    pub head: Option<(i64, String)>,
    /// The first entry where the chain breaks, and how.
    #[schemars(schema_with = "seq_and_text")]
    pub broken: Option<(i64, String)>,
}

/// `[seq, text]` or null. Said without `prefixItems`, which some OpenAPI 3.1 tools (Schemathesis
/// 4.32) read as the older `items` list and then refuse.
fn seq_and_text(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["array", "null"],
        "description": "[seq, text]",
        "minItems": 2,
        "maxItems": 2,
        "items": { "type": ["integer", "string"] }
    })
}

/// The names of the fields a change gave, for an entry's detail: what changed, never to what.
pub(crate) fn changed_fields(fields: &[(&str, bool)]) -> String {
    let given: Vec<&str> = fields
        .iter()
        .filter_map(|&(name, given)| given.then_some(name))
        .collect();
    given.join(",")
}

/// Appends an entry made `at` inside `tx`: it lands exactly when the change it records does.
/// For the parts that keep records beside the cases (the alerts) and audit their changes.
pub async fn append(
    tx: &mut WriteTx,
    actor: &Actor,
    at: rules::Timestamp,
    action: AuditAction,
    subject: &str,
    detail: &str,
) -> Result<(), CasesError> {
    append_at(tx, actor, at.0, action, subject, detail).await
}

/// As [`append`], stamped `at_ms`.
async fn append_at(
    tx: &mut WriteTx,
    actor: &Actor,
    at_ms: i64,
    action: AuditAction,
    subject: &str,
    detail: &str,
) -> Result<(), CasesError> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
    let (prev_seq, prev_hash) = last.unwrap_or((0, GENESIS.to_string()));
    let mut entry = AuditEntry {
        seq: prev_seq + 1,
        at_ms,
        actor_id: actor.user_id,
        actor: actor.username.clone(),
        origin: actor.origin.clone(),
        action: action.as_str().to_string(),
        subject: subject.to_string(),
        detail: detail.to_string(),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.digest();
    sqlx::query(
        "INSERT INTO audit_log (seq, at_ms, actor_id, actor, origin, action, subject, detail,
                                prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(entry.seq)
    .bind(entry.at_ms)
    .bind(entry.actor_id)
    .bind(&entry.actor)
    .bind(&entry.origin)
    .bind(&entry.action)
    .bind(&entry.subject)
    .bind(&entry.detail)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A change being made by one actor: a write transaction ([`Cases::write`]) that commits only
/// together with the audit entry recording it ([`AuditedTx::commit`]), so that no change is
/// ever without its entry. Dropped instead (an error returned half-way), it rolls back, and
/// nothing is recorded because nothing changed. It derefs to the connection, as [`WriteTx`]
/// does: `&mut *tx`.
///
/// Every change of the case records is made in one but sign-in's (crate::signin): a refused
/// sign-in is counted without an entry, and the counts are written later as one entry per
/// name, address and minute, each under the name tried.
pub(crate) struct AuditedTx<'a> {
    tx: WriteTx,
    actor: &'a Actor,
    /// The records' clock (the entry's time) and watchers of policies (told after commit).
    cases: Cases,
    /// The change alters an order's policy ([`AuditedTx::policy_changes`]).
    policy_changed: bool,
}

impl AuditedTx<'_> {
    /// Appends the entry recording this change, `action` on `subject` with `detail`, and
    /// commits the change and its entry together; then, if the change alters an order's
    /// policy, tells the watchers ([`Cases::watch_policies`]).
    pub(crate) async fn commit(
        mut self,
        action: AuditAction,
        subject: &str,
        detail: &str,
    ) -> Result<(), CasesError> {
        let at_ms = self.cases.now_ms();
        append_at(&mut self.tx, self.actor, at_ms, action, subject, detail).await?;
        self.tx.commit().await?;
        if self.policy_changed {
            self.cases.policies.send_modify(|n| *n = n.wrapping_add(1));
        }
        Ok(())
    }

    /// Marks the change as one that alters an order's policy: its commit wakes the watchers.
    pub(crate) fn policy_changes(&mut self) {
        self.policy_changed = true;
    }
}

impl std::ops::Deref for AuditedTx<'_> {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &sqlx::AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for AuditedTx<'_> {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }
}

/// The statements that make the audit table refuse edits, per backend; run at every open
/// (each is idempotent), since the two dialects cannot share one migration.
pub(crate) fn guard_statements(backend: Backend) -> &'static [&'static str] {
    match backend {
        Backend::Sqlite => &[
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        ],
        Backend::Postgres => &[
            "CREATE OR REPLACE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS
             $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
            "CREATE OR REPLACE TRIGGER audit_log_no_edit BEFORE UPDATE OR DELETE ON audit_log
             FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()",
            "CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
             FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse()",
        ],
    }
}

impl Cases {
    /// Begins a change by `actor`, to be committed with its audit entry ([`AuditedTx`]).
    pub(crate) async fn write_as<'a>(&self, actor: &'a Actor) -> Result<AuditedTx<'a>, CasesError> {
        Ok(AuditedTx {
            tx: self.write().await?,
            actor,
            cases: self.clone(),
            policy_changed: false,
        })
    }

    /// Records a read of personal data, before the data is handed out.
    pub async fn record_read(
        &self,
        actor: &Actor,
        subject: &str,
        detail: &str,
    ) -> Result<(), CasesError> {
        self.write_as(actor)
            .await?
            .commit(AuditAction::Read, subject, detail)
            .await
    }

    /// Entries in seq order after `after`, at most `limit`.
    pub async fn audit_entries(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, CasesError> {
        Ok(sqlx::query_as(
            "SELECT seq, at_ms, actor_id, actor, origin, action, subject, detail, prev_hash, hash
             FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit.clamp(1, 1000))
        .fetch_all(self.pool())
        .await?)
    }

    /// Walks the whole chain: seqs run 1, 2, 3 ..., each entry names its predecessor's hash,
    /// and each hash is that of its own fields.
    pub async fn verify_audit(&self) -> Result<AuditVerdict, CasesError> {
        let mut verdict = AuditVerdict {
            entries: 0,
            head: None,
            broken: None,
        };
        let mut expected_prev = GENESIS.to_string();
        let mut expected_seq = 1;
        loop {
            let page = self.audit_entries(expected_seq - 1, 1000).await?;
            if page.is_empty() {
                return Ok(verdict);
            }
            for entry in &page {
                let fault = if entry.seq != expected_seq {
                    Some(format!(
                        "entry {expected_seq} is missing (the next is {})",
                        entry.seq
                    ))
                } else if entry.prev_hash != expected_prev {
                    Some("it does not name the hash of the entry before it".to_string())
                } else if entry.digest() != entry.hash {
                    Some("its fields do not match its hash: it was edited".to_string())
                } else {
                    None
                };
                if let Some(fault) = fault {
                    verdict.broken = Some((entry.seq, fault));
                    return Ok(verdict);
                }
                verdict.entries += 1;
                verdict.head = Some((entry.seq, entry.hash.clone()));
                expected_prev = entry.hash.clone();
                expected_seq += 1;
            }
        }
    }
}
