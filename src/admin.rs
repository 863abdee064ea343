//! `sargs users` and `sargs audit`: what an administrator does on the server itself, before
//! anyone can sign in (the first administrator) or without trusting the API (the audit check).

use std::io::BufRead;

use anyhow::{Context, bail};
use cases::{Actor, Cases, NewUser, Role};
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Make a user. The password is read from SARGS_PASSWORD, else from the first line of stdin
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// operator, officer, supervisor, technician, court or admin
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The unit of an officer or supervisor
        #[arg(long)]
        unit: Option<i64>,
        /// The court of a court user, as its orders name it
        #[arg(long)]
        court: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the audit log's hash chain; exits non-zero if an entry was edited or removed
    Verify {
        /// Print the verdict as JSON
        #[arg(long)]
        json: bool,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::ALL
        .into_iter()
        .find(|r| r.as_str() == text)
        .ok_or_else(|| {
            let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            format!("one of {}", names.join(", "))
        })
}

fn password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("SARGS_PASSWORD") {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

pub async fn users(cases: &Cases, command: UsersCommand) -> anyhow::Result<()> {
    match command {
        UsersCommand::Add {
            username,
            display_name,
            role,
            unit,
            court,
        } => {
            let new = NewUser {
                username,
                display_name,
                role,
                unit_id: unit,
                court,
                password: password()?,
            };
            let user = cases
                .create_user(&Actor::system("sargs users add"), &new)
                .await?;
            println!(
                "made user {} ({}, id {})",
                user.username,
                role.as_str(),
                user.id
            );
            Ok(())
        }
    }
}

pub async fn audit(cases: &Cases, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify { json } => {
            let verdict = cases.verify_audit().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&verdict)?);
            } else {
                // Whoever reads only stdout (a script, a report) must see a broken chain as
                // such: the head of the good part alone reads like success.
                match (&verdict.broken, &verdict.head) {
                    (Some((seq, reason)), head) => println!(
                        "BROKEN: the audit log is broken at entry {seq}: {reason}; {} entries \
                         before it check out{}",
                        verdict.entries,
                        head.as_ref().map_or(String::new(), |(good, hash)| format!(
                            " (the last good one is {good} with hash {hash})"
                        ))
                    ),
                    (None, Some((seq, hash))) => println!(
                        "{} entries checked; the last is {seq} with hash {hash}",
                        verdict.entries
                    ),
                    (None, None) => println!("the audit log is empty"),
                }
            }
            if let Some((seq, reason)) = verdict.broken {
                bail!("the audit log is broken at entry {seq}: {reason}");
            }
            Ok(())
        }
    }
}
