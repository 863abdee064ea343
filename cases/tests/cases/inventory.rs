//! The inventory as a technician looks through it: filters and a search that holds no pattern
//! characters of its own, and the firmware across the fleet.

use cases::{DeviceStatus, InventoryChange, InventoryFilter};
use firmware_proto::DeviceKind;
use store::Store;
use store::testing::test_databases;

use super::{add_devices, sys, world};

#[tokio::test]
async fn the_inventory_is_searched_and_filtered_and_firmware_counted_by_state() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store).await;
        let cases = &w.cases;
        add_devices(
            cases,
            &[
                (501, "GT-100%", DeviceKind::GpsTag),
                (502, "GT-1002", DeviceKind::GpsTag),
                (503, "HU-77", DeviceKind::HomeUnit),
                (504, "gt_9", DeviceKind::GpsTag),
            ],
        )
        .await;
        let change = InventoryChange {
            firmware: Some("2.0".into()),
            status: Some(DeviceStatus::Faulty),
        };
        cases
            .update_inventory_device(&sys(), 502, &change)
            .await
            .expect("updated");
        let ids = async |filter: InventoryFilter| -> Vec<u64> {
            let page = cases.inventory(&filter, 500, 100).await.expect("a page");
            page.iter().map(|d| d.device_id).collect()
        };
        let q = |q: &str| InventoryFilter {
            q: Some(q.into()),
            ..InventoryFilter::default()
        };
        // Any case; part of a serial; '%' and '_' are only themselves.
        assert_eq!(ids(q("gt-")).await, vec![501, 502], "{}", db.name);
        assert_eq!(ids(q("%")).await, vec![501], "{}", db.name);
        assert_eq!(ids(q("_")).await, vec![504], "{}", db.name);
        // An id, a firmware; blank is no search at all.
        assert_eq!(ids(q("503")).await, vec![503], "{}", db.name);
        assert_eq!(ids(q("2.0")).await, vec![502], "{}", db.name);
        // (With the world's two victims' devices.)
        assert_eq!(
            ids(q("  ")).await,
            vec![501, 502, 503, 504, 9001, 9002],
            "{}",
            db.name
        );
        assert_eq!(
            ids(q("nothing like it")).await,
            Vec::<u64>::new(),
            "{}",
            db.name
        );
        let kind = InventoryFilter {
            kind: Some(DeviceKind::HomeUnit),
            ..InventoryFilter::default()
        };
        assert_eq!(ids(kind).await, vec![503], "{}", db.name);
        let faulty = InventoryFilter {
            status: Some(DeviceStatus::Faulty),
            q: Some("gt".into()),
            ..InventoryFilter::default()
        };
        assert_eq!(ids(faulty).await, vec![502], "{}", db.name);

        let fleet = cases.firmware_across_fleet().await.expect("firmware");
        let x1 = |kind: DeviceKind, firmware: &str| {
            fleet
                .iter()
                .find(|f| {
                    f.kind == kind && f.model == "X1" && f.firmware.as_deref() == Some(firmware)
                })
                .unwrap_or_else(|| panic!("{kind:?} {firmware} in {fleet:?}"))
        };
        let old = x1(DeviceKind::GpsTag, "1.0");
        assert!(old.devices >= 2, "{old:?}");
        assert_eq!(old.by_status.values().sum::<u64>(), old.devices);
        let new = x1(DeviceKind::GpsTag, "2.0");
        assert_eq!(new.devices, 1);
        assert_eq!(new.by_status.get(&DeviceStatus::Faulty), Some(&1));
        // Most widespread first.
        assert!(
            fleet.windows(2).all(|p| p[0].devices >= p[1].devices),
            "{fleet:?}"
        );
    }
}
