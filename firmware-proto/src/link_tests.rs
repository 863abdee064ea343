//! Tests of the engine-side link: the rules of the window, the gaps and the ACK numbering,
//! stepped by hand and by property, with no database and no clock.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

const ACK: Flags = Flags::ACK_REQUESTED;

fn stored(link: &mut EngineLink, seq: u32) -> Received {
    link.receive(seq, Flags::empty())
}

fn expire(link: &mut EngineLink, now_ms: i64, timeout_ms: i64) -> Option<Gap> {
    link.end_batch(now_ms, timeout_ms).gap
}

#[test]
fn in_order_frames_advance_the_watermark() {
    let mut w = EngineLink::restore(0, [], 0);
    for seq in 1..=5 {
        assert_eq!(stored(&mut w, seq), Received::New);
        assert_eq!(w.acked_through(), seq);
    }
    assert!(!w.has_hole());
}

#[test]
fn a_hole_holds_the_watermark_until_filled() {
    let mut w = EngineLink::restore(0, [], 0);
    stored(&mut w, 1);
    stored(&mut w, 3);
    stored(&mut w, 4);
    assert_eq!(w.acked_through(), 1);
    assert!(w.has_hole());
    assert_eq!(stored(&mut w, 2), Received::New);
    assert_eq!(w.acked_through(), 4);
    assert!(!w.has_hole());
}

#[test]
fn duplicates_and_old_seqs_change_nothing() {
    let mut w = EngineLink::restore(10, [], 0);
    assert_eq!(stored(&mut w, 3), Received::Duplicate);
    assert_eq!(stored(&mut w, 10), Received::Duplicate);
    assert_eq!(w.acked_through(), 10);
    assert!(!w.has_hole());
    assert_eq!(stored(&mut w, 12), Received::New);
    assert_eq!(stored(&mut w, 12), Received::Duplicate);
    assert_eq!(w.acked_through(), 10);
}

#[test]
fn a_hole_is_given_up_only_after_the_timeout() {
    let mut w = EngineLink::restore(0, [], 0);
    stored(&mut w, 1);
    stored(&mut w, 5);
    assert_eq!(expire(&mut w, 1_000, 60_000), None);
    stored(&mut w, 6);
    assert_eq!(expire(&mut w, 60_999, 60_000), None);
    assert_eq!(
        expire(&mut w, 61_000, 60_000),
        Some(Gap {
            first_seq: 2,
            last_seq: 4
        })
    );
    assert_eq!(w.acked_through(), 6);
    assert_eq!(expire(&mut w, 200_000, 60_000), None);
    // A frame of the gap that turns up after all is behind the watermark.
    assert_eq!(stored(&mut w, 3), Received::Duplicate);
}

#[test]
fn filling_a_hole_restarts_the_timer_for_the_next() {
    let mut w = EngineLink::restore(0, [], 0);
    stored(&mut w, 2);
    stored(&mut w, 4);
    assert_eq!(expire(&mut w, 0, 100), None);
    stored(&mut w, 1); // fills the first hole; 3 is now missing
    assert_eq!(w.acked_through(), 2);
    assert_eq!(expire(&mut w, 50, 100), None);
    assert_eq!(expire(&mut w, 149, 100), None);
    assert_eq!(
        expire(&mut w, 150, 100),
        Some(Gap {
            first_seq: 3,
            last_seq: 3
        })
    );
}

#[test]
fn restored_state_advances_over_what_is_stored() {
    let w = EngineLink::restore(4, [5, 6, 8], 9);
    assert_eq!(w.acked_through(), 6);
    assert!(w.has_hole());
    assert_eq!(
        w.state(),
        LinkState {
            acked_through: 6,
            down_seq: 9
        }
    );
}

#[test]
fn the_top_of_the_sequence_space_does_not_overflow() {
    let mut w = EngineLink::restore(u32::MAX - 1, [], 0);
    stored(&mut w, u32::MAX);
    assert_eq!(w.acked_through(), u32::MAX);
    stored(&mut w, u32::MAX);
    assert_eq!(w.acked_through(), u32::MAX);
}

#[test]
fn an_ack_is_numbered_only_when_asked_for_and_something_is_stored() {
    let mut w = EngineLink::restore(0, [], 7);
    w.receive(1, Flags::empty());
    assert_eq!(w.end_batch(0, 100).ack, None);
    assert_eq!(w.down_seq(), 7);
    w.receive(2, ACK);
    let end = w.end_batch(0, 100);
    assert_eq!(
        end.ack,
        Some(AckToSend {
            down_seq: 8,
            acked_seq: 2
        })
    );
    assert_eq!(
        end.state,
        LinkState {
            acked_through: 2,
            down_seq: 8
        }
    );
    // The request was the batch's: the next batch asks again or gets none.
    w.receive(3, Flags::empty());
    assert_eq!(w.end_batch(0, 100).ack, None);
    // Nothing stored yet: nothing to acknowledge.
    let mut empty = EngineLink::restore(0, [], 0);
    empty.receive(2, ACK);
    assert_eq!(empty.end_batch(0, 100).ack, None);
}

#[test]
fn a_duplicate_asking_for_an_ack_is_acked_again() {
    let mut w = EngineLink::restore(5, [], 1);
    assert_eq!(w.receive(5, ACK), Received::Duplicate);
    assert_eq!(
        w.end_batch(0, 100).ack,
        Some(AckToSend {
            down_seq: 2,
            acked_seq: 5
        })
    );
}

#[test]
fn acks_and_commands_share_one_counter_that_skips_zero() {
    let mut w = EngineLink::restore(0, [], u32::MAX - 1);
    let seq = w.next_command_seq();
    assert_eq!(seq, u32::MAX);
    w.command_sent(seq);
    assert_eq!(w.next_command_seq(), 1);
    w.receive(1, ACK);
    assert_eq!(w.end_batch(0, 100).ack.map(|a| a.down_seq), Some(1));
    assert_eq!(w.next_command_seq(), 2);
}

#[test]
fn the_ack_frame_is_the_protocols() {
    // PROTOCOL.md's test vector: ACK to device 1001, downlink seq 1, acked seq 3.
    let ack = AckToSend {
        down_seq: 1,
        acked_seq: 3,
    };
    let (header, message) = ack.frame(1001, 1_767_225_623_000);
    let bytes = crate::encode_to_vec(&header, &message, None).expect("encodes");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "0181000000000000000003e9000000010000019b76db01d8000400000003e0df"
    );
    // A time before the epoch is sent as 0, as before.
    assert_eq!(ack.frame(1, -5).0.time_ms, 0);
}

/// One step of a device's traffic as the engine sees it.
#[derive(Clone, Debug)]
enum Step {
    Frame { seq: u32, ack: bool },
    EndBatch { advance_ms: i64 },
    Command,
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        6 => (1u32..=40, any::<bool>()).prop_map(|(seq, ack)| Step::Frame { seq, ack }),
        2 => (0i64..=80).prop_map(|advance_ms| Step::EndBatch { advance_ms }),
        1 => Just(Step::Command),
    ];
    proptest::collection::vec(step, 0..120)
}

proptest! {
    /// Whatever the arrival order and duplication, once every seq 1..=n is stored the
    /// watermark is n, and it never exceeds the highest seq with all below it stored.
    #[test]
    fn watermark_is_the_contiguous_prefix(
        order in Just((1u32..=60).collect::<Vec<_>>()).prop_shuffle(),
        dups in proptest::collection::vec(1u32..=60, 0..30),
    ) {
        let mut w = EngineLink::restore(0, [], 0);
        let mut seen = BTreeSet::new();
        for seq in order.iter().chain(dups.iter()) {
            w.receive(*seq, Flags::empty());
            seen.insert(*seq);
            let prefix = (1..).take_while(|s| seen.contains(s)).last().unwrap_or(0);
            prop_assert_eq!(w.acked_through(), prefix);
        }
        prop_assert_eq!(w.acked_through(), 60);
    }

    /// The link's rules under any traffic with batches, gap expiry and commands: no seq is
    /// new twice; the watermark never goes back; a gap covers only seqs never stored and is
    /// given up only after its hole was seen open for the timeout; every ACK covers the
    /// watermark, only when asked for; downlink seqs (ACKs and commands) are never reused.
    #[test]
    fn the_link_keeps_its_rules(steps in steps(), timeout_ms in 1i64..=200) {
        let mut w = EngineLink::restore(0, [], 0);
        let mut now = 0i64;
        let mut new = BTreeSet::new();
        let mut down = BTreeSet::new();
        let mut given_up = BTreeSet::new();
        let mut asked = false;
        // When the current hole was first seen at a batch end, by the test's own reckoning.
        let mut hole_seen: Option<i64> = None;
        for step in steps {
            let before = w.acked_through();
            match step {
                Step::Frame { seq, ack } => {
                    let flags = if ack { ACK } else { Flags::empty() };
                    asked |= ack;
                    let received = w.receive(seq, flags);
                    if received == Received::New {
                        prop_assert!(new.insert(seq), "seq {} new twice", seq);
                    } else {
                        prop_assert!(seq <= before || new.contains(&seq));
                    }
                    if !w.has_hole() || w.acked_through() != before {
                        hole_seen = None;
                    }
                }
                Step::EndBatch { advance_ms } => {
                    now += advance_ms;
                    let had_hole = w.has_hole();
                    let end = w.end_batch(now, timeout_ms);
                    if let Some(gap) = end.gap {
                        prop_assert!(had_hole);
                        let since = hole_seen.unwrap_or(now);
                        prop_assert!(now - since >= timeout_ms, "gap given up early");
                        prop_assert_eq!(gap.first_seq, before + 1);
                        prop_assert!(gap.first_seq <= gap.last_seq);
                        for seq in gap.first_seq..=gap.last_seq {
                            prop_assert!(!new.contains(&seq));
                            given_up.insert(seq);
                        }
                        hole_seen = None;
                    } else if had_hole {
                        hole_seen.get_or_insert(now);
                    }
                    match end.ack {
                        Some(ack) => {
                            prop_assert!(asked);
                            prop_assert_eq!(ack.acked_seq, w.acked_through());
                            prop_assert!(ack.acked_seq > 0);
                            prop_assert!(down.insert(ack.down_seq), "down seq reused");
                        }
                        None => prop_assert!(!asked || w.acked_through() == 0),
                    }
                    asked = false;
                    prop_assert_eq!(end.state, w.state());
                    if !w.has_hole() {
                        hole_seen = None;
                    }
                }
                Step::Command => {
                    let seq = w.next_command_seq();
                    prop_assert!(seq != 0);
                    prop_assert!(down.insert(seq), "down seq reused");
                    w.command_sent(seq);
                }
            }
            prop_assert!(w.acked_through() >= before, "the watermark went back");
            // Everything at or below the watermark was stored or given up as a gap.
            prop_assert!((1..=w.acked_through()).all(|s| new.contains(&s) || given_up.contains(&s)));
        }
    }

    /// A restored link answers as the one it was persisted from.
    #[test]
    fn restoring_keeps_the_window(seqs in proptest::collection::vec(1u32..=50, 0..80)) {
        let mut w = EngineLink::restore(0, [], 3);
        for seq in &seqs {
            w.receive(*seq, Flags::empty());
        }
        let above: Vec<u32> = seqs.iter().copied().filter(|s| *s > w.acked_through()).collect();
        let back = EngineLink::restore(w.acked_through(), above, w.down_seq());
        prop_assert_eq!(back.state(), w.state());
        prop_assert_eq!(back.has_hole(), w.has_hole());
        for seq in 1..=51 {
            prop_assert_eq!(back.clone().receive(seq, Flags::empty()), w.clone().receive(seq, Flags::empty()));
        }
    }
}
