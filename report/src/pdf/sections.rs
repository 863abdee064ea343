//! The summary's sections as the court reads them, laid out in order below the running header:
//! apart from the page machinery (`Layout`) and the document's frame (`render`).

use super::*;

/// Everything below the running header, in order.
pub(super) fn body(l: &mut Layout, r: &Report, tz: chrono_tz::Tz, digest: &str) {
    let lang = l.lang;
    let time = |t: rules::Timestamp| text::time(t, tz, lang);
    l.y = TOP + 6.0;
    l.para(text::TITLE.get(lang), 18.0, true);
    l.para(text::SUBTITLE.get(lang), 10.0, false);
    l.y += 8.0;
    let terms = &r.order.terms;
    l.field(
        &text::CLIENT,
        &format!("{} (#{})", r.client.name, r.client.id),
    );
    l.field(&text::COURT, &r.order.court);
    l.field(&text::CASE, &r.order.case_number);
    l.field(&text::DECISION, &text::date(terms.decision_date, lang));
    l.field(
        &text::BASIS,
        &text::named(&text::name_of(&terms.legal_basis), lang),
    );
    l.field(
        &text::MONITORED,
        &format!("{} – {}", time(terms.starts), time(terms.ends)),
    );
    l.field(
        &text::STATUS,
        &format!(
            "{} · {} {}",
            text::named(r.order.status.as_str(), lang),
            T("redakcija", "revision").get(lang),
            r.order.revision
        ),
    );
    l.field(
        &text::PERIOD,
        &format!(
            "{} – {}",
            text::date(r.params.from, lang),
            text::date(r.params.to, lang)
        ),
    );
    l.field(
        &text::HEARD_UNTIL,
        &r.heard_until
            .map_or_else(|| text::NONE.get(lang).to_string(), time),
    );
    l.field(&text::TIME_ZONE, &r.time_zone);
    l.field(&text::DIGEST, digest);
    l.y += 4.0;
    l.para(text::TIMES_NOTE.get(lang), SMALL, false);

    l.heading(&text::CONDITIONS);
    if let Some(curfew) = &terms.curfew {
        l.para(text::CURFEW.get(lang), BODY, true);
        for a in &curfew.timetable {
            let street = r
                .client
                .addresses
                .iter()
                .find(|(id, _)| *id == a.address)
                .map_or(a.address.as_str(), |(_, s)| s.as_str());
            let slots: Vec<String> = a
                .slots
                .iter()
                .map(|s| {
                    format!(
                        "{} {}–{}",
                        text::named(&s.day.to_string().to_lowercase(), lang),
                        s.start.format("%H:%M"),
                        s.end.format("%H:%M")
                    )
                })
                .collect();
            l.para(&format!("{street}: {}", slots.join("; ")), BODY, false);
        }
    }
    if !terms.zones.is_empty() {
        l.para(text::ZONES.get(lang), BODY, true);
        for z in &terms.zones {
            let kind = match text::name_of(&z.kind).as_str() {
                "exclusion" => T("aizliegtā zona", "exclusion zone").get(lang),
                _ => T("atļautā zona", "inclusion zone").get(lang),
            };
            l.para(&format!("{} ({kind})", z.id), BODY, false);
        }
    }
    if !terms.proximity.is_empty() {
        l.para(text::PROXIMITY.get(lang), BODY, true);
        for p in &terms.proximity {
            l.para(&format!("{}: {} m", p.id, p.alarm_m), BODY, false);
        }
    }
    if !terms.obligations.is_empty() {
        l.para(text::OTHER_OBLIGATIONS.get(lang), BODY, true);
        for o in &terms.obligations {
            l.para(&format!("{}: {}", o.kind, o.description), BODY, false);
        }
    }

    l.heading(&text::REVISIONS);
    let rows: Vec<Vec<String>> = r
        .revisions
        .iter()
        .map(|v| {
            vec![
                v.revision.to_string(),
                time(v.created),
                time(v.takes_effect.unwrap_or(v.created)),
                v.reason.clone(),
            ]
        })
        .collect();
    l.table(
        &[
            Col(&T("Nr.", "No."), 40.0),
            Col(&T("Reģistrēta", "Recorded"), 135.0),
            Col(&T("Stājas spēkā", "Takes effect"), 135.0),
            Col(&T("Iemesls", "Reason"), 201.0),
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

    if !r.status_changes.is_empty() {
        let changes: Vec<String> = r
            .status_changes
            .iter()
            .map(|(at, status)| format!("{} {}", time(*at), text::named(status.as_str(), lang)))
            .collect();
        l.para(
            &format!("{}: {}", text::STATUS_CHANGES.get(lang), changes.join("; ")),
            BODY,
            false,
        );
    }

    l.heading(&text::DAYS);
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
            let dates = format!(
                "{}–{}",
                text::date(n.date, lang),
                text::date(n.end_date, lang)
            );
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
            Col(&text::DATE, 116.0),
            Col(&text::DAY_LENGTH, 48.0),
            Col(&text::REQUIRED, 52.0),
            Col(&text::KEPT, 48.0),
            Col(&text::BREACH, 58.0),
            Col(&text::GRACE, 75.0),
            Col(&text::NO_DATA, 52.0),
            Col(&text::EXCUSED, 62.0),
        ],
        &rows,
        BODY,
    );

    l.heading(&text::ABSENCES);
    if r.absences.is_empty() {
        l.para(text::NONE.get(lang), BODY, false);
    } else {
        let rows: Vec<Vec<String>> = r
            .absences
            .iter()
            .map(|a| {
                let mut reason = text::named(&text::name_of(&a.reason), lang);
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
                Col(&text::START, 150.0),
                Col(&text::END, 150.0),
                Col(&T("Iemesls", "Reason"), 211.0),
            ],
            &rows,
            BODY,
        );
    }

    l.heading(&text::BREACHES);
    if r.breaches.is_empty() {
        l.para(text::NO_BREACHES.get(lang), BODY, false);
    }
    for e in &r.breaches {
        episode(l, e, tz);
    }

    l.heading(&text::DEVICE_EVENTS);
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
                        text::condition(&e.condition, lang)
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
                Col(&text::KIND, 150.0),
                Col(&text::START, 120.0),
                Col(&text::END, 120.0),
                Col(&text::DURATION, 50.0),
                Col(&text::STATE, 71.0),
            ],
            &rows,
            SMALL,
        );
    }

    l.heading(&text::FITTINGS);
    let rows: Vec<Vec<String>> = r
        .fittings
        .iter()
        .map(|f| {
            vec![
                f.device_id.to_string(),
                f.address.clone().unwrap_or_default(),
                time(f.installed),
                f.removed.map_or_else(|| "–".into(), time),
            ]
        })
        .collect();
    l.table(
        &[
            Col(&text::DEVICE, 80.0),
            Col(&text::ADDRESS, 90.0),
            Col(&text::FITTED, 170.0),
            Col(&text::REMOVED, 171.0),
        ],
        &rows,
        BODY,
    );

    l.heading(&text::NOTES);
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

    l.heading(&text::DIGEST);
    l.para(digest, BODY, true);
    l.para(text::DIGEST_NOTE.get(lang), SMALL, false);
}

fn episode(l: &mut Layout, e: &EpisodePart, tz: chrono_tz::Tz) {
    let lang = l.lang;
    let time = |t: rules::Timestamp| text::time(t, tz, lang);
    l.ensure(6.0 * (BODY + 3.0));
    l.y += 4.0;
    l.para(
        &format!(
            "#{} · {} · {}",
            e.episode_id,
            text::kind(e.kind, lang),
            text::condition(&e.condition, lang)
        ),
        BODY + 0.5,
        true,
    );
    l.field(&text::START, &time(e.start));
    l.field(
        &text::END,
        &e.end.map_or(text::GOING_ON.get(lang).to_string(), time),
    );
    l.field(
        &text::DURATION,
        &e.duration_ms.map_or_else(|| "–".into(), text::duration),
    );
    l.field(
        &text::STATE,
        &format!(
            "{} · {} {}",
            text::episode_state(e.state, lang),
            T("noteikumu versija", "policy revision").get(lang),
            e.policy_revision
        ),
    );
    match &e.alert {
        None => l.field(&text::ALERT, text::NO_ALERT.get(lang)),
        Some(a) => {
            l.field(
                &text::ALERT,
                &format!("#{} · {}", a.id, text::alert_state(a.state, lang)),
            );
            l.field(
                &text::RESOLUTION,
                a.resolution
                    .map_or(text::UNRESOLVED.get(lang), |r| text::resolution(r, lang)),
            );
            for ev in &a.history {
                let who = if ev.actor.is_empty() {
                    "sargs"
                } else {
                    ev.actor.as_str()
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
        }
    }
    let rows: Vec<Vec<String>> = e
        .evidence
        .iter()
        .map(|o| {
            vec![
                o.device.to_string(),
                o.seq.to_string(),
                time(o.device_time),
                o.frame_type.clone().unwrap_or_default(),
                o.reading
                    .as_ref()
                    .map_or(text::MISSING.get(lang).to_string(), reading),
            ]
        })
        .collect();
    l.para(text::EVIDENCE.get(lang), SMALL, true);
    l.table(
        &[
            Col(&text::DEVICE, 40.0),
            Col(&T("Nr.", "Seq"), 30.0),
            Col(&text::DEVICE_TIME, 135.0),
            Col(&T("Tips", "Type"), 50.0),
            Col(&text::READING, 256.0),
        ],
        &rows,
        SMALL,
    );
}

/// A reading as a person reads it: `lat 56.96, lon 24.13, accuracy_m 8`, nulls left out.
fn reading(value: &serde_json::Value) -> String {
    match value.as_object() {
        Some(fields) => fields
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v.as_str() {
                Some(s) => format!("{k} {s}"),
                None => format!("{k} {v}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        None => value.to_string(),
    }
}
