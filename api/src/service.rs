//! The service's own state, for everyone signed in: whether evidence is being recorded.
//!
//! While the storage refuses writes no frame is acknowledged and nothing new is judged; every
//! user of the console must see that at once, whatever their role, rather than trust a quiet
//! screen.

use axum::extract::State;
use axum::response::{IntoResponse, Json};
use schemars::JsonSchema;
use serde::Serialize;
use store::StorageState;

use crate::ApiState;
use crate::gate::Answer;

/// `{"storage": {"state": "accepting"}}`, or `{"storage": {"state": "refusing", "fault",
/// "since_ms", "detail"}}`.
#[derive(Serialize, JsonSchema)]
pub struct ServiceState {
    storage: StorageState,
}

pub async fn service_state(State(state): State<ApiState>) -> Answer {
    Ok(Json(ServiceState {
        storage: state.store.storage_state(),
    })
    .into_response())
}
