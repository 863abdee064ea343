//! The summary's sections as the court reads them, laid out in order below the running header:
//! apart from the page machinery (`layout.rs`) and the document's frame (`render`). Every word
//! is in the summary's language: codes the records store (kinds, reasons, frame types, zone
//! placeholders) are named through `text` and `reading`, never printed.

use rules::policy::Watched;

use super::chart;
use super::layout::{BODY, Col, Layout, SMALL};
use super::reading::{frame_type, gap, reading};
use crate::model::{EpisodePart, Report};
use crate::nights::Hours;
use crate::text::{self, T};

/// Everything below the running header, in order.
pub(super) fn body(
    l: &mut Layout,
    r: &Report,
    tz: chrono_tz::Tz,
    digest: &str,
    signer: &crate::seal::Signer,
) {
    let lang = l.lang;
    let time = |t: rules::Timestamp| text::time(t, tz, lang);
    l.y += 6.0;
    l.heading(1, text::TITLE.get(lang));
    l.para(text::SUBTITLE.get(lang), 10.0, false);
    l.y += 8.0;
    let terms = &r.order.terms;
    l.fields(&[
        (
            text::CLIENT.get(lang),
            format!("{} (#{})", r.client.name, r.client.id),
        ),
        (text::COURT.get(lang), r.order.court.clone()),
        (text::CASE.get(lang), r.order.case_number.clone()),
        (
            text::DECISION.get(lang),
            text::date(terms.decision_date, lang),
        ),
        (
            text::BASIS.get(lang),
            text::legal_basis(terms.legal_basis, lang).to_string(),
        ),
        (
            text::MONITORED.get(lang),
            format!("{} – {}", time(terms.starts), time(terms.ends)),
        ),
        (
            text::STATUS.get(lang),
            format!(
                "{} · {} {}",
                text::status(r.order.status, lang),
                text::REVISION.get(lang),
                r.order.revision
            ),
        ),
        (
            text::PERIOD.get(lang),
            format!(
                "{} – {}",
                text::date(r.params.from, lang),
                text::date(r.params.to, lang)
            ),
        ),
        (
            text::HEARD_UNTIL.get(lang),
            r.heard_until
                .map_or_else(|| text::NONE.get(lang).to_string(), time),
        ),
        (
            text::BREACH_TIME.get(lang),
            format!(
                "{} ({})",
                text::duration(r.breach_time.total_ms),
                text::COUNTED_ONCE.get(lang)
            ),
        ),
        (text::TIME_ZONE.get(lang), r.time_zone.clone()),
        (text::DIGEST.get(lang), digest.to_string()),
    ]);
    l.y += 4.0;
    if let Some(as_of) = r.params.as_of {
        l.para(&text::as_of(&time(as_of), lang), BODY, true);
    }
    l.para(text::TIMES_NOTE.get(lang), SMALL, false);

    conditions(l, r, tz);
    revisions(l, r, tz);
    days(l, r, tz);

    l.heading(2, text::ABSENCES.get(lang));
    if r.absences.is_empty() {
        l.para(text::NONE.get(lang), BODY, false);
    } else {
        let rows: Vec<Vec<String>> = r
            .absences
            .iter()
            .map(|a| {
                let mut reason = text::absence_reason(a.reason, lang).to_string();
                if !a.details.is_empty() {
                    reason = format!("{reason}: {}", a.details);
                }
                if let Some(c) = a.cancelled_ms {
                    reason = format!(
                        "{reason} ({} {})",
                        text::CANCELLED.get(lang),
                        time(rules::Timestamp(c))
                    );
                }
                vec![time(a.from), time(a.until), reason]
            })
            .collect();
        l.table(
            &[
                Col(text::START.get(lang), 150.0),
                Col(text::END.get(lang), 150.0),
                Col(T("Iemesls", "Reason").get(lang), 211.0),
            ],
            &rows,
            BODY,
        );
    }

    l.heading(2, text::BREACHES.get(lang));
    if r.breaches.is_empty() {
        l.para(text::NO_BREACHES.get(lang), BODY, false);
    }
    for e in &r.breaches {
        episode(l, r, e, tz);
    }

    l.heading(2, text::DEVICE_EVENTS.get(lang));
    if r.device_events.is_empty() {
        l.para(text::NONE.get(lang), BODY, false);
    } else {
        let rows: Vec<Vec<String>> = r
            .device_events
            .iter()
            .map(|e| {
                vec![
                    format!(
                        "{} ({})",
                        text::kind(e.kind, lang),
                        text::condition(&e.condition, terms, lang)
                    ),
                    time(e.start),
                    e.end.map_or(text::GOING_ON.get(lang).to_string(), time),
                    e.duration_ms.map_or_else(|| "–".into(), text::duration),
                    text::episode_state(e.state, lang).to_string(),
                ]
            })
            .collect();
        l.table(
            &[
                Col(text::KIND.get(lang), 145.0),
                Col(text::START.get(lang), 132.0),
                Col(text::END.get(lang), 132.0),
                Col(text::DURATION.get(lang), 42.0),
                Col(text::STATE.get(lang), 60.0),
            ],
            &rows,
            SMALL,
        );
    }

    l.heading(2, text::FITTINGS.get(lang));
    let rows: Vec<Vec<String>> = r
        .fittings
        .iter()
        .map(|f| {
            vec![
                f.device_id.to_string(),
                f.address
                    .as_deref()
                    .map_or_else(String::new, |a| street(r, a)),
                time(f.installed),
                f.removed.map_or_else(|| "–".into(), time),
            ]
        })
        .collect();
    l.table(
        &[
            Col(text::DEVICE.get(lang), 60.0),
            Col(text::ADDRESS.get(lang), 150.0),
            Col(text::FITTED.get(lang), 150.0),
            Col(text::REMOVED.get(lang), 151.0),
        ],
        &rows,
        BODY,
    );

    l.heading(2, text::NOTES.get(lang));
    if r.notes.is_empty() {
        l.para(text::NONE.get(lang), BODY, false);
    }
    for n in &r.notes {
        l.ensure(3.0 * (BODY + 3.0));
        l.para(
            &format!(
                "{} · {} · {}",
                text::NOTE_MARK.get(lang),
                n.author,
                time(n.created)
            ),
            SMALL,
            true,
        );
        l.para(&text::quoted(&n.text, lang), BODY, false);
        l.y += 4.0;
    }

    l.heading(2, text::DIGEST.get(lang));
    l.para(digest, BODY, true);
    l.para(text::DIGEST_NOTE.get(lang), SMALL, false);

    // Who signed, so that a court can compare the fingerprint with the one the service gave it.
    l.heading(2, text::SIGNATURE.get(lang));
    l.fields(&[
        (text::SIGNER.get(lang), signer.subject.clone()),
        (
            text::FINGERPRINT.get(lang),
            format!("SHA-256 {}", signer.fingerprint),
        ),
    ]);
    l.para(text::SIGNATURE_NOTE.get(lang), SMALL, false);
    l.flush();
}

/// The street of one of the client's addresses, by its id in the order.
fn street(r: &Report, id: &str) -> String {
    r.client
        .addresses
        .iter()
        .find(|(a, _)| a == id)
        .map_or(id, |(_, s)| s.as_str())
        .to_string()
}

/// What the order requires: the curfew timetable, zones, victims and other obligations; then
/// which of them the devices worn could not evidence, and when, if any.
fn conditions(l: &mut Layout, r: &Report, tz: chrono_tz::Tz) {
    let lang = l.lang;
    let terms = &r.order.terms;
    l.heading(2, text::CONDITIONS.get(lang));
    if let Some(curfew) = &terms.curfew {
        l.heading(3, text::CURFEW.get(lang));
        for a in &curfew.timetable {
            let slots: Vec<String> = a
                .slots
                .iter()
                .map(|s| {
                    format!(
                        "{} {}–{}",
                        text::weekday(s.day, lang),
                        s.start.format("%H:%M"),
                        s.end.format("%H:%M")
                    )
                })
                .collect();
            let line = format!("{}: {}", street(r, &a.address), slots.join("; "));
            l.para(&line, BODY, false);
        }
    }
    if !terms.zones.is_empty() {
        l.heading(3, text::ZONES.get(lang));
        for z in &terms.zones {
            let kind = text::zone_kind(z.kind, lang);
            l.para(&text::condition_name(kind, &z.id, lang), BODY, false);
        }
    }
    if !terms.proximity.is_empty() {
        l.heading(3, text::PROXIMITY.get(lang));
        for p in &terms.proximity {
            let victim = text::condition_name(text::VICTIM.get(lang), &p.id, lang);
            let alarm = text::metres(p.alarm_m, lang);
            let line = format!(
                "{victim}: {} {alarm}",
                T("trauksme tuvāk par", "alarm closer than").get(lang)
            );
            l.para(&line, BODY, false);
        }
    }
    if !terms.obligations.is_empty() {
        l.heading(3, text::OTHER_OBLIGATIONS.get(lang));
        for o in &terms.obligations {
            l.para(&text::obligation(o, lang), BODY, false);
        }
    }
    if !r.not_evidenced.is_empty() {
        l.heading(3, text::NOT_EVIDENCED.get(lang));
        for p in &r.not_evidenced {
            let mut line = text::not_evidenced(p.condition, &p.kinds, lang);
            // When, unless over the whole period.
            if p.from != r.period.start || p.until != r.period.end {
                let time = |t: rules::Timestamp| text::time(t, tz, lang);
                line = format!("{line} ({} – {})", time(p.from), time(p.until));
            }
            l.para(&line, BODY, false);
        }
        l.para(text::NOT_EVIDENCED_NOTE.get(lang), SMALL, false);
    }
}

/// What `device` cannot tell, which its heartbeats leave clear: a home unit (fitted at an
/// address) has no strap and touches no skin; a device the summary names as not evidencing a
/// condition cannot tell it.
fn cannot_tell(r: &Report, device: u64) -> Vec<Watched> {
    let mut cannot: Vec<Watched> = r
        .not_evidenced
        .iter()
        .filter(|p| p.devices.contains(&device))
        .map(|p| p.condition)
        .collect();
    if r.fittings
        .iter()
        .any(|f| f.device_id == device && f.address.is_some())
    {
        cannot.extend([Watched::Strap, Watched::SkinContact]);
    }
    cannot
}

/// The order's revisions, the policy revisions used, what the two are, and status changes.
fn revisions(l: &mut Layout, r: &Report, tz: chrono_tz::Tz) {
    let lang = l.lang;
    let time = |t: rules::Timestamp| text::time(t, tz, lang);
    l.heading(2, text::REVISIONS.get(lang));
    let rows: Vec<Vec<String>> = r
        .revisions
        .iter()
        .map(|v| {
            // The first revision's reason is the records' own words for an order made.
            let reason = if v.revision == 1 {
                text::FIRST_REVISION.get(lang).to_string()
            } else {
                v.reason.clone()
            };
            vec![
                v.revision.to_string(),
                time(v.created),
                time(v.takes_effect.unwrap_or(v.created)),
                reason,
            ]
        })
        .collect();
    l.table(
        &[
            Col(T("Nr.", "No.").get(lang), 30.0),
            Col(T("Reģistrēta", "Recorded").get(lang), 150.0),
            Col(T("Stājas spēkā", "Takes effect").get(lang), 150.0),
            Col(T("Iemesls", "Reason").get(lang), 181.0),
        ],
        &rows,
        BODY,
    );
    let used: Vec<String> = r.policy_revisions.iter().map(u32::to_string).collect();
    l.para(
        &format!(
            "{}: {}",
            text::POLICY_REVISIONS.get(lang),
            if used.is_empty() {
                "–".to_string()
            } else {
                used.join(", ")
            }
        ),
        BODY,
        false,
    );
    l.para(text::REVISIONS_NOTE.get(lang), SMALL, false);

    if !r.status_changes.is_empty() {
        let changes: Vec<String> = r
            .status_changes
            .iter()
            .map(|(at, status)| format!("{} {}", time(*at), text::status(*status, lang)))
            .collect();
        l.para(
            &format!("{}: {}", text::STATUS_CHANGES.get(lang), changes.join("; ")),
            BODY,
            false,
        );
    }
}

/// The curfew nights as a band chart, their hours night by night with the totals, and the
/// time in breach day by day.
fn days(l: &mut Layout, r: &Report, tz: chrono_tz::Tz) {
    let lang = l.lang;
    l.heading(2, text::DAYS.get(lang));
    chart::nights(l, r, tz);
    let h = |ms: i64| text::hours(ms, lang);
    let row = |first: String, length: String, t: &Hours| {
        vec![
            first,
            length,
            h(t.required_ms),
            h(t.kept_ms),
            h(t.breach_ms),
            h(t.grace_ms),
            h(t.unknown_ms),
            h(t.excused_ms),
        ]
    };
    let mut rows: Vec<Vec<String>> = r
        .nights
        .iter()
        .map(|n| {
            let dates = text::dates(n.date, n.end_date, lang);
            row(dates, h(n.end.0 - n.start.0), &n.hours)
        })
        .collect();
    rows.push(row(
        text::TOTAL.get(lang).to_string(),
        String::new(),
        &r.totals,
    ));
    l.table(
        &[
            Col(text::DATE.get(lang), 112.0),
            Col(text::DAY_LENGTH.get(lang), 42.0),
            Col(text::REQUIRED.get(lang), 52.0),
            Col(text::KEPT.get(lang), 48.0),
            Col(text::BREACH.get(lang), 68.0),
            Col(text::GRACE.get(lang), 75.0),
            Col(text::NO_DATA.get(lang), 52.0),
            Col(text::EXCUSED.get(lang), 62.0),
        ],
        &rows,
        BODY,
    );

    l.heading(2, text::BREACH_TIME_BY_DAY.get(lang));
    if r.breach_time.days.is_empty() {
        l.para(text::NONE.get(lang), BODY, false);
    } else {
        let mut rows: Vec<Vec<String>> = r
            .breach_time
            .days
            .iter()
            .map(|d| vec![text::date(d.date, lang), text::duration(d.breach_ms)])
            .collect();
        rows.push(vec![
            text::TOTAL.get(lang).to_string(),
            text::duration(r.breach_time.total_ms),
        ]);
        l.table(
            &[
                Col(text::DATE.get(lang), 116.0),
                Col(text::DURATION.get(lang), 80.0),
            ],
            &rows,
            BODY,
        );
    }
}

fn episode(l: &mut Layout, r: &Report, e: &EpisodePart, tz: chrono_tz::Tz) {
    let lang = l.lang;
    let time = |t: rules::Timestamp| text::time(t, tz, lang);
    l.heading(
        3,
        &format!(
            "#{} · {} · {}",
            e.episode_id,
            text::kind(e.kind, lang),
            text::condition(&e.condition, &r.order.terms, lang)
        ),
    );
    let mut fields = vec![
        (text::START.get(lang), time(e.start)),
        (
            text::END.get(lang),
            e.end.map_or(text::GOING_ON.get(lang).to_string(), time),
        ),
        (
            text::DURATION.get(lang),
            e.duration_ms.map_or_else(|| "–".into(), text::duration),
        ),
        (
            text::STATE.get(lang),
            format!(
                "{} · {} {}",
                text::episode_state(e.state, lang),
                text::POLICY_REVISION.get(lang),
                e.policy_revision
            ),
        ),
    ];
    match &e.alert {
        None => fields.push((text::ALERT.get(lang), text::NO_ALERT.get(lang).to_string())),
        Some(a) => {
            fields.push((
                text::ALERT.get(lang),
                format!("#{} · {}", a.id, text::alert_state(a.state, lang)),
            ));
            fields.push((
                text::RESOLUTION.get(lang),
                a.resolution
                    .map_or(text::UNRESOLVED.get(lang), |r| text::resolution(r, lang))
                    .to_string(),
            ));
        }
    }
    l.fields(&fields);
    for ev in e.alert.iter().flat_map(|a| &a.history) {
        // A person by the name the report carries for them; sargs itself in words.
        let who = match ev.actor_id {
            Some(_) => ev.actor.as_str(),
            None => text::AUTOMATIC.get(lang),
        };
        let mut line = format!(
            "{} · {} · {who}",
            time(ev.at),
            text::action(ev.action, lang)
        );
        if !ev.note.is_empty() {
            line = format!("{line}: {}", text::quoted(&ev.note, lang));
        }
        l.para(&line, SMALL, false);
    }
    let rows: Vec<Vec<String>> = e
        .evidence
        .iter()
        .map(|o| {
            let (kind, read) = match (&o.frame_type, &o.reading) {
                (Some(ty), Some(value)) => (
                    frame_type(ty, lang).to_string(),
                    reading(ty, value, lang, &cannot_tell(r, o.device)),
                ),
                _ => ("–".to_string(), text::MISSING.get(lang).to_string()),
            };
            vec![
                o.device.to_string(),
                o.seq.to_string(),
                time(o.device_time),
                kind,
                read,
            ]
        })
        .collect();
    l.heading(4, text::EVIDENCE.get(lang));
    l.table(
        &[
            Col(text::DEVICE.get(lang), 40.0),
            Col(T("Nr.", "Seq").get(lang), 28.0),
            Col(text::DEVICE_TIME.get(lang), 126.0),
            Col(T("Tips", "Type").get(lang), 74.0),
            Col(text::READING.get(lang), 243.0),
        ],
        &rows,
        SMALL,
    );
    for g in &e.evidence_gaps {
        l.para(&gap(g, &e.condition, lang), SMALL, false);
        l.y += 3.0;
    }
}
