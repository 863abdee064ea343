//! The API as a console and an integration use it, on SQLite and PostgreSQL: signing in with a
//! password (a cookie), lock-out, signing out; bad requests that name the field and change
//! nothing; an order's timetable and zones; the audit log of what was read; the OpenAPI document
//! served for exactly the routes there are, and the interactive docs; a client's state at a
//! glance and the devices seen unregistered, as the console shows them; an administrator who
//! would disable their own account is refused, and one who changes their own password stays
//! signed in; a device whose firmware nobody can read.

#[path = "../common/mod.rs"]
mod common;

use common::{PASSWORD, client_body, terms, world};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN, RETRY_AFTER, SET_COOKIE};
use serde_json::{Value, json};
use store::testing::test_databases;

mod accounts;
mod requests;
mod surface;
