//! How long the probation client was in breach, of any condition: the union of the breach
//! episodes' intervals, so that two episodes over the same minutes (a zone entered during a
//! curfew absence) count those minutes once, not twice. Each episode is still listed on its own
//! in the report; this is the time they cover together, in total and per local day.

use chrono::{Days, NaiveDate};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::spans::{Spans, day_start};

/// The time in breach of any condition within the period, each instant counted once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BreachTime {
    /// The union of the breach episodes (not withdrawn; device faults are not breaches) within
    /// the period, up to when the summary was made if the period had not ended then, in ms.
    pub total_ms: i64,
    /// The local days that had any, each with its part of the union.
    pub days: Vec<BreachDay>,
}

/// One local day's breach time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BreachDay {
    /// The local date.
    pub date: NaiveDate,
    /// The union of the breaches within that day, in ms.
    pub breach_ms: i64,
}

/// The union `breaches` (already a set: overlaps merged) over the local days `from` to `to`,
/// within `[from's start, until)`.
pub fn breach_time(
    tz: Tz,
    (from, to): (NaiveDate, NaiveDate),
    until: i64,
    breaches: &Spans,
) -> BreachTime {
    let within = breaches.clip(day_start(tz, from), until);
    let mut days = Vec::new();
    let mut date = from;
    while date <= to {
        let Some(next) = date.checked_add_days(Days::new(1)) else {
            break;
        };
        let breach_ms = within
            .clip(day_start(tz, date), day_start(tz, next))
            .total();
        if breach_ms > 0 {
            days.push(BreachDay { date, breach_ms });
        }
        date = next;
    }
    BreachTime {
        total_ms: days.iter().map(|d| d.breach_ms).sum(),
        days,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const M: i64 = 60_000;

    fn riga() -> Tz {
        rules::schedule::TimeZone::default().0
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_zone_entry_during_a_curfew_absence_is_31_minutes_not_62() {
        // 23:10-23:41 local on 5 May 2026 (20:10-20:41Z): the curfew absence and the zone
        // entry are the same 31 minutes.
        let start = day_start(riga(), date(2026, 5, 5)) + 23 * 60 * M + 10 * M;
        let curfew = (start, start + 31 * M);
        let zone = (start, start + 31 * M);
        let union = Spans::new(vec![curfew, zone]);
        let day = date(2026, 5, 5);
        let t = breach_time(
            riga(),
            (day, day),
            day_start(riga(), date(2026, 5, 6)),
            &union,
        );
        assert_eq!(t.total_ms, 31 * M);
        assert_eq!(
            t.days,
            [BreachDay {
                date: day,
                breach_ms: 31 * M
            }]
        );
    }

    #[test]
    fn a_breach_over_midnight_is_split_between_its_days_and_cut_at_the_end() {
        let day = date(2026, 5, 5);
        let midnight = day_start(riga(), date(2026, 5, 6));
        let union = Spans::new(vec![(midnight - 20 * M, midnight + 50 * M)]);
        let t = breach_time(riga(), (day, date(2026, 5, 6)), midnight + 30 * M, &union);
        assert_eq!(t.total_ms, 50 * M);
        assert_eq!(t.days[0].breach_ms, 20 * M);
        assert_eq!(t.days[1].breach_ms, 30 * M);
    }

    fn episodes() -> impl Strategy<Value = Vec<(i64, i64)>> {
        prop::collection::vec((0i64..6_000, 1i64..600), 0..8)
            .prop_map(|v| v.into_iter().map(|(s, l)| (s * M, (s + l) * M)).collect())
    }

    proptest! {
        /// The union never exceeds the sum of the episodes nor the period, and is the sum when
        /// the episodes are disjoint.
        #[test]
        fn the_union_is_at_most_the_sum_and_the_period(episodes in episodes()) {
            let (from, to) = (date(1970, 1, 1), date(1970, 1, 3));
            let end = day_start(chrono_tz::UTC, date(1970, 1, 4));
            let t = breach_time(chrono_tz::UTC, (from, to), end, &Spans::new(episodes.clone()));
            let clipped: Vec<i64> = episodes.iter().map(|&(s, e)| e.min(end) - s.min(end)).collect();
            let sum: i64 = clipped.iter().sum();
            prop_assert!(t.total_ms <= sum);
            prop_assert!(t.total_ms <= end);
            prop_assert_eq!(t.total_ms, t.days.iter().map(|d| d.breach_ms).sum::<i64>());
            let mut sorted = episodes.clone();
            sorted.sort_unstable();
            let disjoint = sorted.windows(2).all(|w| w[0].1 <= w[1].0);
            if disjoint {
                prop_assert_eq!(t.total_ms, sum);
            }
        }
    }
}
