//! Which policy should judge each client now, from the case records, through `cases`' typed
//! calls only: the active orders (`Cases::active_orders`) and each one's policy in force now
//! (`Cases::policy`, the last span of the order's policy history, which the court summary
//! reads too), compiled. An order is looked at again only when its policy revision moves on
//! (`cases` bumps it on every variation, status change, fitting, removal and absence), so the
//! periodic check costs one small query when nothing changed. A variation the court set to
//! take effect later is brought into force here, at the first look after its date
//! (`Cases::bring_variations_into_force`), which moves its order's policy revision on.

use std::collections::HashMap;
use std::sync::Arc;

use cases::{Actor, Cases};
use rules::{ClientId, CompiledPolicy};

use crate::JudgeError;

/// The policy an order gives its client now.
#[derive(Clone, Debug)]
pub(crate) struct Wanted {
    pub order: i64,
    pub revision: u32,
    pub policy: Arc<CompiledPolicy>,
}

/// The active orders as last looked at.
#[derive(Debug, Default)]
pub(crate) struct Orders {
    /// By order id: the client, the policy revision looked at, and its policy (None when no
    /// tag is fitted, or the policy cannot be judged).
    seen: HashMap<i64, (i64, u32, Option<Arc<CompiledPolicy>>)>,
}

impl Orders {
    /// Looks at the active orders again; returns the policy each client should be judged by.
    /// A client with several active orders is judged by the newest (highest id) that has a
    /// tag fitted, with a warning: one monitor per client.
    pub async fn refresh(
        &mut self,
        cases: &Cases,
    ) -> Result<HashMap<ClientId, Wanted>, JudgeError> {
        for (order_id, revision) in cases
            .bring_variations_into_force(&Actor::system("judge"))
            .await?
        {
            tracing::info!(order_id, revision, "a variation took effect on its date");
        }
        let active = cases.active_orders().await?;
        let mut still = HashMap::with_capacity(active.len());
        for a in active {
            let (order, client, revision) = (a.order_id, a.client_id, a.policy_revision);
            let known = self
                .seen
                .remove(&order)
                .filter(|(_, seen, _)| *seen == revision);
            let entry = match known {
                Some(entry) => entry,
                None => (client, revision, compiled(cases, order, client).await?),
            };
            still.insert(order, entry);
        }
        self.seen = still;
        let mut wanted: HashMap<ClientId, Wanted> = HashMap::new();
        let mut orders: Vec<_> = self.seen.iter().collect();
        orders.sort_by_key(|(order, _)| **order);
        for (&order, (client, revision, policy)) in orders {
            let Some(policy) = policy else { continue };
            let client_id = policy.client();
            if let Some(other) = wanted.get(&client_id) {
                tracing::warn!(
                    client_id = *client,
                    order_id = order,
                    other_order_id = other.order,
                    "a client with two active orders with a tag fitted: the newer is judged"
                );
            }
            wanted.insert(
                client_id,
                Wanted {
                    order,
                    revision: *revision,
                    policy: policy.clone(),
                },
            );
        }
        Ok(wanted)
    }
}

async fn compiled(
    cases: &Cases,
    order: i64,
    client: i64,
) -> Result<Option<Arc<CompiledPolicy>>, JudgeError> {
    let policy = match cases.policy(order).await {
        Ok(Some(policy)) => policy,
        Ok(None) => return Ok(None),
        // Gone or changed between the two reads: looked at again next time.
        Err(cases::CasesError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    match policy.compile() {
        Ok(compiled) => Ok(Some(Arc::new(compiled))),
        Err(error) => {
            // Cases compile every order's terms before storing them; this is a bug or a
            // record changed behind their back, and no reason to stop judging the others.
            tracing::error!(client_id = client, order_id = order, %error, "an active order's policy does not compile");
            Ok(None)
        }
    }
}
