//! The curfew nights as a band chart above the night table: one band per night from its
//! segments (at home, away within grace, breach, no data, excused, not required, not reached),
//! all on one local time axis so that the nights line up by the clock, with the night's date
//! at the left. A court sees at a glance when in the night things happened, which the table's
//! hours cannot show. The colours differ in lightness as well as hue, and the two kinds that
//! are not curfew time are drawn thin (solid, or dotted), so the chart reads in greyscale print.
//! Its words (the figure's alternative text) give every segment's times and kind.

use chrono::{NaiveTime, TimeZone as _};
use chrono_tz::Tz;

use super::layout::{Bar, Label, Layout, Rgb, SMALL, SWATCH, Strip};
use crate::model::Report;
use crate::nights::{Night, SegmentKind};
use crate::text::{self, T};

const HOUR: i64 = 3_600_000;
/// The width of the dates' column at the left.
const DATES: f32 = 64.0;
/// A row's height, and its band's top and height within it.
const ROW: f32 = 10.0;
const BAND_TOP: f32 = 1.5;
const BAND: f32 = 7.0;
/// The axis's height: the hours, then their ticks.
const AXIS: f32 = 13.0;
/// The least room between two hour labels.
const LABEL_ROOM: f32 = 30.0;

/// How a kind of segment is drawn: full height in a colour, or thin (not curfew time).
#[derive(Clone, Copy)]
enum Style {
    Full(Rgb),
    /// The band's full height, light, with a darker frame: no data either way.
    Framed(Rgb, Rgb),
    Thin(Rgb),
    Dotted(Rgb),
}

/// The kinds in the legend's order.
const ORDER: [SegmentKind; 7] = [
    SegmentKind::Kept,
    SegmentKind::Grace,
    SegmentKind::Breach,
    SegmentKind::Unknown,
    SegmentKind::Excused,
    SegmentKind::NotRequired,
    SegmentKind::NotReached,
];

/// A kind's words and how it is drawn. By lightness, darkest first: breach, at home, excused,
/// within grace, no data (framed); the two that are not curfew time thin.
fn look(kind: SegmentKind) -> (T, Style) {
    match kind {
        SegmentKind::Kept => (
            T("mājās (ievērots)", "at home (kept)"),
            Style::Full(Rgb(56, 142, 60)),
        ),
        SegmentKind::Grace => (
            T("prom pieļaujamās nokavēšanās robežās", "away within grace"),
            Style::Full(Rgb(255, 193, 7)),
        ),
        SegmentKind::Breach => (T("pārkāpums", "breach"), Style::Full(Rgb(150, 20, 20))),
        SegmentKind::Unknown => (
            T("nav datu", "no data"),
            Style::Framed(Rgb::grey(232), Rgb::grey(140)),
        ),
        SegmentKind::Excused => (
            T("atļauta prombūtne", "authorised absence"),
            Style::Full(Rgb(100, 150, 220)),
        ),
        SegmentKind::NotRequired => (
            T(
                "nav prasīts (nolēmums nebija spēkā)",
                "not required (order not active)",
            ),
            Style::Thin(Rgb::grey(110)),
        ),
        SegmentKind::NotReached => (
            T("vēl nebija pienācis", "not reached yet"),
            Style::Dotted(Rgb::grey(110)),
        ),
    }
}

/// The rectangles of a piece `w` wide at `x`, in a band whose top is `top`.
fn shapes(style: Style, x: f32, w: f32, top: f32, band: f32) -> Vec<Bar> {
    let bar = |x, y, w, h, colour| Bar { x, y, w, h, colour };
    let thin = band * 0.3;
    let middle = top + (band - thin) / 2.0;
    match style {
        Style::Full(c) => vec![bar(x, top, w, band, c)],
        Style::Framed(fill, frame) => {
            let t = 0.5;
            vec![
                bar(x, top, w, band, fill),
                bar(x, top, w, t, frame),
                bar(x, top + band - t, w, t, frame),
                bar(x, top, t, band, frame),
                bar(x + w - t, top, t, band, frame),
            ]
        }
        Style::Thin(c) => vec![bar(x, middle, w, thin, c)],
        Style::Dotted(c) => {
            let step = 3.0;
            let count = (w / step).ceil().max(1.0) as usize;
            (0..count)
                .map(|i| {
                    let dx = i as f32 * step;
                    bar(x + dx, middle, (w - dx).min(step / 2.0), thin, c)
                })
                .collect()
        }
    }
}

/// Where in its night an instant lies on the common axis: the night's start as a time of day
/// on its date's clock (so nights line up by the clock), plus the time elapsed since (so a
/// night the clocks change in is drawn an hour shorter or longer, as it was).
fn offset(n: &Night, tz: Tz, t: i64) -> i64 {
    let midnight = n.date.and_time(NaiveTime::MIN);
    let start = tz
        .timestamp_millis_opt(n.start.0)
        .single()
        .map_or(0, |s| (s.naive_local() - midnight).num_milliseconds());
    start + (t - n.start.0)
}

/// The nights as a band chart with its legend: nothing when there are no nights.
pub(super) fn nights(l: &mut Layout, r: &Report, tz: Tz) {
    let lang = l.lang;
    let Some(first) = r.nights.first() else {
        return;
    };
    let mut from = offset(first, tz, first.start.0);
    let mut until = from;
    for n in &r.nights {
        from = from.min(offset(n, tz, n.start.0));
        until = until.max(offset(n, tz, n.end.0));
    }
    let from = from.div_euclid(HOUR) * HOUR;
    let until = (until + HOUR - 1).div_euclid(HOUR) * HOUR;
    let span = (until - from).max(HOUR);
    let width = l.width() - DATES;
    let x = |ms: i64| DATES + width * (ms - from) as f32 / span as f32;

    // The axis: hours of the day, as many as have room, and a tick under each.
    let hours = span / HOUR;
    let step = [1, 2, 3, 4, 6, 12, 24]
        .into_iter()
        .find(|s| width * *s as f32 / hours as f32 >= LABEL_ROOM)
        .unwrap_or(24);
    let mut head = Strip {
        height: AXIS,
        ..Strip::default()
    };
    let mut h = from;
    while h <= until {
        let text = format!("{:02}:00", (h / HOUR).rem_euclid(24));
        let w = l.text_width(&text, SMALL - 0.5);
        head.labels.push(Label {
            x: x(h) - w / 2.0,
            y: SMALL,
            size: SMALL - 0.5,
            // Apart from the next, as in the text read out of the file.
            text: format!("{text} "),
        });
        head.bars.push(Bar {
            x: x(h) - 0.25,
            y: SMALL + 2.0,
            w: 0.5,
            h: AXIS - SMALL - 2.0,
            colour: Rgb::grey(120),
        });
        h += step * HOUR;
    }

    let mut rows = Vec::with_capacity(r.nights.len());
    let mut said = Vec::with_capacity(r.nights.len());
    let mut used = Vec::new();
    for n in &r.nights {
        let mut row = Strip {
            height: ROW,
            ..Strip::default()
        };
        // The hour lines, faint, seen between the bands.
        let mut h = from;
        while h <= until {
            row.bars.push(Bar {
                x: x(h) - 0.2,
                y: 0.0,
                w: 0.4,
                h: ROW,
                colour: Rgb::grey(220),
            });
            h += step * HOUR;
        }
        row.labels.push(Label {
            x: 0.0,
            y: BAND_TOP + BAND - 0.5,
            size: SMALL - 0.5,
            text: format!("{} ", text::date(n.date, lang)),
        });
        let mut pieces = Vec::with_capacity(n.segments.len());
        for s in &n.segments {
            let (a, b) = (x(offset(n, tz, s.start.0)), x(offset(n, tz, s.end.0)));
            let (words, style) = look(s.kind);
            row.bars
                .extend(shapes(style, a, (b - a).max(0.3), BAND_TOP, BAND));
            if !used.contains(&s.kind) {
                used.push(s.kind);
            }
            pieces.push(format!(
                "{}–{} {}",
                clock(s.start.0, tz),
                clock(s.end.0, tz),
                words.get(lang)
            ));
        }
        said.push(format!(
            "{}: {}",
            text::date(n.date, lang),
            pieces.join(", ")
        ));
        rows.push(row);
    }
    let alt = format!(
        "{}. {}.",
        T(
            "Mājas režīma naktis joslās uz kopīgas vietējā laika ass; katrā naktī pēc kārtas",
            "The curfew nights as bands on one local time axis; each night in order"
        )
        .get(lang),
        said.join("; ")
    );
    l.figure(alt, &head, &rows);
    let legend: Vec<(Vec<Bar>, String)> = ORDER
        .into_iter()
        .filter(|k| used.contains(k))
        .map(|k| {
            let (words, style) = look(k);
            let swatch = shapes(style, 0.0, SWATCH, 0.0, SWATCH);
            (swatch, words.get(lang).to_string())
        })
        .collect();
    l.legend(&legend);
}

/// An instant's local time of day, to the minute.
fn clock(t: i64, tz: Tz) -> String {
    tz.timestamp_millis_opt(t)
        .single()
        .map_or_else(String::new, |l| l.format("%H:%M").to_string())
}
