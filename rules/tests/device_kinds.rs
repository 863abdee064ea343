//! Each kind of device is judged only for what it can evidence: over every kind a client's order
//! may list and every heartbeat the protocol can carry (all 256 combinations of the status bits),
//! a clear bit opens a breach exactly when the kind can tell it. An off-the-shelf tracker, whose
//! heartbeats carry no strap, case, skin or RF bit, is judged as a tag for everything it can
//! tell: zones, curfew by its fixes, battery, communication. A phone is a victim's, never the
//! client's.

use std::collections::BTreeSet;
use std::sync::Arc;

use rules::memory::MemoryJudge;
use rules::observation::{FixSource, Heartbeat};
use rules::policy::{Capability, DeviceKind};
use rules::{BreachKind, MonitoringPolicy, Observation, PolicyError, Reading, Span, Timestamp};

const CLIENT: u64 = 1;
const DEVICE: u64 = 1001;
const HOME_UNIT: u64 = 5001;

/// The kinds a client's order may list (a phone is refused: see below), each in the policy's
/// words.
const LISTED: [(DeviceKind, &str); 4] = [
    (DeviceKind::Tag, "tag"),
    (DeviceKind::RfTag, "rf_tag"),
    (DeviceKind::HomeUnit, "home_unit"),
    (DeviceKind::Tracker, "tracker"),
];

fn start() -> Timestamp {
    "2026-03-02T12:00:00+02:00".parse().expect("a time")
}

fn policy(text: &str) -> MonitoringPolicy {
    toml::from_str(text).expect("the test policy parses")
}

fn judge(policy: MonitoringPolicy) -> MemoryJudge {
    let mut judge = MemoryJudge::new();
    judge
        .add_client(Arc::new(policy.compile().expect("compiles")))
        .expect("added");
    judge
}

fn observation(device: u64, seq: u32, t: Timestamp, reading: Reading) -> Observation {
    Observation {
        device,
        seq,
        device_time: t,
        received: t,
        stored: false,
        reading,
    }
}

/// The heartbeat of status bits `bits` (PROTOCOL.md's order: strap, case, skin, charging, RF
/// home, GNSS fix, mains power, motion), the battery well above every threshold.
fn heartbeat(bits: u8) -> Heartbeat {
    let bit = |n: u8| bits & (1 << n) != 0;
    Heartbeat {
        battery_pct: 80,
        strap_closed: bit(0),
        case_closed: bit(1),
        skin_contact: bit(2),
        charging: bit(3),
        rf_home: bit(4),
        gnss_fix: bit(5),
        mains_power: bit(6),
        motion: bit(7),
    }
}

fn kinds_opened(judge: &MemoryJudge) -> BTreeSet<BreachKind> {
    judge.episodes(CLIENT).into_iter().map(|e| e.kind).collect()
}

/// Every kind, every heartbeat: a clear bit opens its breach exactly when the kind can tell it,
/// and nothing else opens (the battery is fine, the device talks, no curfew or zone).
#[test]
fn a_clear_bit_is_a_breach_only_where_the_kind_can_tell_it() {
    let watched = [
        (Capability::Strap, BreachKind::StrapOpened, 0),
        (Capability::Case, BreachKind::CaseOpened, 1),
        (Capability::SkinContact, BreachKind::SkinContactLost, 2),
        (Capability::MainsPower, BreachKind::MainsPowerLost, 6),
    ];
    for (kind, name) in LISTED {
        let can = kind.capabilities();
        for bits in 0..=u8::MAX {
            let mut judge = judge(policy(&format!(
                "client = {CLIENT}\nrevision = 1\ndevices = [{{ id = {DEVICE}, kind = \"{name}\" }}]\n"
            )));
            // Three heartbeats a minute apart, as a device sends them.
            for i in 0..3 {
                let t = start().saturating_add(Span::minutes(i));
                let reading = Reading::Heartbeat(heartbeat(bits));
                judge.observe(observation(DEVICE, i as u32 + 1, t, reading));
            }
            let expected: BTreeSet<BreachKind> = watched
                .iter()
                .filter(|(capability, _, bit)| can.can(*capability) && bits & (1 << bit) == 0)
                .map(|(_, breach, _)| *breach)
                .collect();
            assert_eq!(
                kinds_opened(&judge),
                expected,
                "{kind:?}, status bits {bits:#010b}"
            );
        }
    }
}

/// The same for the events a device may send about what it cannot tell: not its to say.
#[test]
fn an_event_about_what_the_kind_cannot_tell_is_not_judged() {
    use rules::DeviceEvent::*;
    let events = [
        (StrapOpened, BreachKind::StrapOpened, Capability::Strap),
        (CaseOpened, BreachKind::CaseOpened, Capability::Case),
        (
            SkinContactLost,
            BreachKind::SkinContactLost,
            Capability::SkinContact,
        ),
        (
            MainsPowerLost,
            BreachKind::MainsPowerLost,
            Capability::MainsPower,
        ),
    ];
    for (kind, name) in LISTED {
        for (event, breach, capability) in events {
            let mut judge = judge(policy(&format!(
                "client = {CLIENT}\nrevision = 1\ndevices = [{{ id = {DEVICE}, kind = \"{name}\" }}]\n"
            )));
            let reading = Reading::Event { event, value: 0 };
            judge.observe(observation(DEVICE, 1, start(), reading));
            let expected: BTreeSet<BreachKind> = kind
                .capabilities()
                .can(capability)
                .then_some(breach)
                .into_iter()
                .collect();
            assert_eq!(kinds_opened(&judge), expected, "{kind:?}, {event:?}");
        }
    }
}

/// A curfew at home with a home unit: a tag that no longer hears the home unit is away, and
/// breaches once the grace is over; a tracker has no radio to hear it with, so its clear bit
/// says nothing, and its fixes at home keep the curfew.
#[test]
fn a_trackers_clear_rf_bit_is_no_absence_and_its_fixes_keep_the_curfew() {
    let curfew = |kind: &str| {
        policy(&format!(
            r#"
client = {CLIENT}
revision = 1
devices = [{{ id = {DEVICE}, kind = "{kind}" }}, {{ id = {HOME_UNIT}, kind = "home_unit" }}]
addresses = [{{ id = "home", home_unit = {HOME_UNIT}, zone = {{ type = "circle", centre = [24.1052, 56.9496], radius_m = 60.0 }} }}]
[curfew]
timetable = [{{ address = "home", slots = [{{ day = "mon", start = "12:00", end = "14:00" }}] }}]
"#
        ))
    };
    let night = |judge: &mut MemoryJudge, with_fixes: bool| {
        let mut seq = 0;
        for minute in 0..120 {
            let t = start().saturating_add(Span::minutes(minute));
            seq += 1;
            judge.observe(observation(
                DEVICE,
                seq,
                t,
                Reading::Heartbeat(heartbeat(0b0000_0111)),
            ));
            if with_fixes {
                seq += 1;
                let fix = Reading::Location {
                    lat: 56.9496,
                    lon: 24.1052,
                    accuracy_m: Some(10.0),
                    source: FixSource::Gnss,
                };
                judge.observe(observation(DEVICE, seq, t, fix));
            }
        }
        judge.tick(start().saturating_add(Span::minutes(121)));
    };
    let curfew_breaches = |judge: &MemoryJudge| {
        judge
            .episodes(CLIENT)
            .into_iter()
            .filter(|e| e.condition == rules::ConditionRef::Curfew)
            .count()
    };

    let mut tag = judge(curfew("tag"));
    night(&mut tag, false);
    assert!(curfew_breaches(&tag) > 0, "{:?}", tag.episodes(CLIENT));

    let mut tracker = judge(curfew("tracker"));
    night(&mut tracker, false);
    assert_eq!(
        curfew_breaches(&tracker),
        0,
        "{:?}",
        tracker.episodes(CLIENT)
    );

    let mut tracker = judge(curfew("tracker"));
    night(&mut tracker, true);
    assert_eq!(
        curfew_breaches(&tracker),
        0,
        "{:?}",
        tracker.episodes(CLIENT)
    );
}

/// A tracker is judged as a tag is for what it can tell: its fixes in an exclusion zone, its
/// battery, its silence.
#[test]
fn a_tracker_is_judged_as_a_tag_for_zones_battery_and_silence() {
    let mut judge = judge(policy(&format!(
        r#"
client = {CLIENT}
revision = 1
devices = [{{ id = {DEVICE}, kind = "tracker" }}]
zones = [{{ id = "park", kind = "exclusion", shape = {{ type = "circle", centre = [24.1300, 56.9600], radius_m = 200.0 }} }}]
"#
    )));
    let mut seq = 0;
    for minute in 0..10 {
        let t = start().saturating_add(Span::minutes(minute));
        seq += 1;
        let fix = Reading::Location {
            lat: 56.9600,
            lon: 24.1300,
            accuracy_m: Some(10.0),
            source: FixSource::Gnss,
        };
        judge.observe(observation(DEVICE, seq, t, fix));
    }
    seq += 1;
    let low = Heartbeat {
        battery_pct: 5,
        ..heartbeat(0)
    };
    let t = start().saturating_add(Span::minutes(10));
    judge.observe(observation(DEVICE, seq, t, Reading::Heartbeat(low)));
    judge.tick(t.saturating_add(Span::minutes(16)));
    let opened = kinds_opened(&judge);
    for kind in [
        BreachKind::ExclusionZoneEntered,
        BreachKind::BatteryLow,
        BreachKind::BatteryCritical,
        BreachKind::CommunicationLost,
    ] {
        assert!(opened.contains(&kind), "{kind:?} not in {opened:?}");
    }
    for kind in [
        BreachKind::StrapOpened,
        BreachKind::CaseOpened,
        BreachKind::SkinContactLost,
    ] {
        assert!(!opened.contains(&kind), "{kind:?} in {opened:?}");
    }
}

/// A victim's phone in a proximity condition is watched; a phone among the client's own devices
/// is refused.
#[test]
fn a_phone_is_a_victims_never_the_clients() {
    let refused = policy(&format!(
        "client = {CLIENT}\nrevision = 1\ndevices = [{{ id = {DEVICE}, kind = \"tag\" }}, {{ id = 9001, kind = \"phone\" }}]\n"
    ))
    .compile()
    .map(|_| ());
    assert_eq!(refused, Err(PolicyError::PhoneAsClients(9001)));
    assert_eq!(
        PolicyError::PhoneAsClients(9001).code(),
        "policy_phone_as_clients"
    );
    assert!(!DeviceKind::Phone.on_body());
    assert!(DeviceKind::Phone.capabilities().can(Capability::Location));
}

/// The order wants the device charged every hour. A tag that never says it charges is "not
/// charged" after the hour; a tracker, which need not say whether it is on external power, is
/// not judged for it.
#[test]
fn a_tracker_is_not_judged_for_charging() {
    for (kind, expected) in [("tag", true), ("tracker", false)] {
        let mut judge = judge(policy(&format!(
            "client = {CLIENT}\nrevision = 1\ndevices = [{{ id = {DEVICE}, kind = \"{kind}\" }}]\n\
             [health]\ncharge_every = \"1h\"\n"
        )));
        for i in 0..12 {
            let t = start().saturating_add(Span::minutes(10 * i));
            let reading = Reading::Heartbeat(heartbeat(0b0000_0111));
            judge.observe(observation(DEVICE, i as u32 + 1, t, reading));
        }
        judge.tick(start().saturating_add(Span::minutes(121)));
        assert_eq!(
            kinds_opened(&judge).contains(&BreachKind::NotCharged),
            expected,
            "{kind}: {:?}",
            judge.episodes(CLIENT)
        );
    }
}
