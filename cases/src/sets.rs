//! Case records for a set of ids at once: the clients of a page of alerts, the orders of a page
//! of clients. A caseload or the fleet map shows hundreds of clients and the queue hundreds of
//! alerts; asking for each one by one is a round trip per row, which at an agency's scale (10 000
//! clients) is what makes a page slow. Each call here is one statement whatever the set's size.

use store::id_list;

use crate::clients::{CLIENT_SELECT, Client, ClientRow, client_of};
use crate::orders::{ORDER_SELECT, Order, OrderRow, order_of};
use crate::{Cases, CasesError, OrderStatus};

impl Cases {
    /// The clients of `ids` that are on record, in id order.
    pub async fn clients_by_ids(&self, ids: &[i64]) -> Result<Vec<Client>, CasesError> {
        let rows: Vec<ClientRow> = sqlx::query_as(&format!(
            "{CLIENT_SELECT} WHERE id IN ({}) ORDER BY id",
            id_list(ids.iter().copied())
        ))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(client_of).collect()
    }

    /// The orders of `ids` that are on record, in id order.
    pub async fn orders_by_ids(&self, ids: &[i64]) -> Result<Vec<Order>, CasesError> {
        let rows: Vec<OrderRow> = sqlx::query_as(&format!(
            "{ORDER_SELECT} WHERE o.id IN ({}) ORDER BY o.id",
            id_list(ids.iter().copied())
        ))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(order_of).collect()
    }

    /// The orders about any of `clients` in `status`, in id order.
    pub async fn orders_of_clients(
        &self,
        clients: &[i64],
        status: OrderStatus,
    ) -> Result<Vec<Order>, CasesError> {
        let rows: Vec<OrderRow> = sqlx::query_as(&format!(
            "{ORDER_SELECT} WHERE o.client_id IN ({}) AND o.status = $1 ORDER BY o.id",
            id_list(clients.iter().copied())
        ))
        .bind(status.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(order_of).collect()
    }
}
