//! What the summary shows beyond its tables, as the court and its tools see it: the nights as
//! a band chart (a Figure with its words, on as many pages as it needs), why the evidence skips
//! seqs, a period not ended yet, the time in breach counted once, and who acted on an alert.

use super::super::layout::{Child, Layout, Mark, Op, Role};
use super::super::sections::body;
use super::{assert_no_codes, at, owners, report, tool, words, written};
use crate::model::{Lang, Report};

/// The laid-out pages of `r`, as `render` draws them.
fn laid_out(r: &Report) -> Layout {
    let mut l = Layout::new(r.params.lang).expect("layout");
    let signer = crate::seal::Signer {
        subject: "CN=sargs test".into(),
        fingerprint: "AB:CD".into(),
    };
    body(&mut l, r, chrono_tz::Europe::Riga, "digest", &signer);
    l
}

/// The band chart: the one Figure whose words speak of nights.
fn chart(l: &Layout) -> (usize, &str) {
    l.elems
        .iter()
        .enumerate()
        .find_map(|(i, e)| match &e.role {
            Role::Figure(alt) => Some((i, alt.as_str())),
            _ => None,
        })
        .expect("a figure")
}

/// The pages a structure element's content is drawn on.
fn pages_of(l: &Layout, elem: usize) -> Vec<usize> {
    let owner = owners(l);
    let mut pages = Vec::new();
    for (p, page) in l.pages.iter().enumerate() {
        let here = page.iter().any(|op| match op {
            Op::Figure { leaf, .. } => owner[*leaf] == elem,
            _ => false,
        });
        if here {
            pages.push(p);
        }
    }
    pages
}

#[test]
fn the_nights_band_chart_is_a_figure_whose_words_give_each_segment() {
    let l = laid_out(&report(Lang::Lv, 4, 3));
    let (figure, alt) = chart(&l);
    // Each night 22:00 to 06:00: at home 5 h, an hour's breach, 5 minutes within grace.
    for expected in [
        "20.11.2026.: 22:00–03:00 mājās (ievērots), 03:00–04:00 pārkāpums, \
         04:00–04:05 prom pieļaujamās nokavēšanās robežās, 04:05–06:00 nav datu",
        "23.11.2026.: 22:00–03:00",
    ] {
        assert!(alt.contains(expected), "{expected:?} is not in {alt:?}");
    }
    assert_eq!(pages_of(&l, figure).len(), 1, "four nights fit one page");
    let en = laid_out(&report(Lang::En, 4, 3));
    let (_, alt) = chart(&en);
    assert!(
        alt.contains("20 Nov 2026: 22:00–03:00 at home (kept), 03:00–04:00 breach"),
        "{alt}"
    );
}

#[test]
fn a_long_chart_goes_on_over_pages_with_its_heading_kept() {
    let l = laid_out(&report(Lang::En, 200, 3));
    let (figure, alt) = chart(&l);
    let pages = pages_of(&l, figure);
    // 200 rows of 10 points: three pages at least, one after another, each a part of it.
    assert!(pages.len() >= 3, "{pages:?}");
    assert!(pages.windows(2).all(|w| w[1] == w[0] + 1), "{pages:?}");
    assert!(
        alt.contains("7 Jun 2027: 22:00–03:00"),
        "the last night is said"
    );
    // The section's heading is on the page where the chart starts.
    let heading = l
        .elems
        .iter()
        .position(|e| matches!(&e.role, Role::Heading(2, t) if t == "Curfew by night (hours)"))
        .expect("the heading");
    let owner = owners(&l);
    let heading_page = l.pages.iter().position(|page| {
        page.iter().any(|op| match op {
            Op::Text {
                mark: Mark::Content(leaf),
                ..
            } => owner[*leaf] == heading,
            _ => false,
        })
    });
    assert_eq!(heading_page, Some(pages[0]));
    // The figure is one element, with one piece of content per page.
    let leaves = l.elems[figure]
        .children
        .iter()
        .filter(|c| matches!(c, Child::Leaf(_)))
        .count();
    assert_eq!(leaves, pages.len());
}

#[test]
fn the_chart_is_tagged_as_a_figure_in_the_file() {
    let r = report(Lang::Lv, 4, 3);
    let file = written(&r, "figure");
    // The file's objects as qpdf reads them: the structure elements, with their alternative
    // text as the tag tree carries it (`u:` marks a text string).
    let args = ["--json", "--json-stream-data=none", &file.path];
    let Some(out) = tool("qpdf", &args) else {
        return;
    };
    assert!(out.status.success(), "qpdf --json");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("qpdf's JSON");
    let objects = json["qpdf"][1].as_object().expect("the objects");
    let figures: Vec<&str> = objects
        .values()
        .filter_map(|o| {
            let value = &o["value"];
            (value["/S"] == "/Figure" && value["/Type"] == "/StructElem")
                .then(|| value["/Alt"].as_str().unwrap_or(""))
        })
        .collect();
    assert_eq!(figures.len(), 1, "{figures:?}");
    assert!(
        figures[0].starts_with("u:Mājas režīma naktis joslās")
            && figures[0]
                .contains("20.11.2026.: 22:00–03:00 mājās (ievērots), 03:00–04:00 pārkāpums"),
        "{figures:?}"
    );
}

/// The text with every run of white space one space, so that a sentence pdftotext breaks
/// over lines reads whole.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn gaps_a_period_not_ended_and_who_acted_read_in_words() {
    let mut lv = report(Lang::Lv, 4, 3);
    lv.params.as_of = Some(at("2026-11-23T10:00:00Z"));
    let mut en = lv.clone();
    en.params.lang = Lang::En;
    let Some(lv_text) = words(&lv, "gaps-lv") else {
        return;
    };
    let en_text = words(&en, "gaps-en").expect("pdftotext ran once");
    for (text, expected, logins) in [
        (
            lv_text,
            [
                "Ierīce 1001: pēc Nr. 32 nākamais pierādījums ir Nr. 46: Nr. 33 nav saņemts; \
                 Nr. 34 — statusa ziņojums (nav atrašanās vieta); Nr. 35 — atrašanās vieta \
                 ±500 m, pārāk neprecīza, lai noteiktu pusi (līdz robežai 120,5 m); Nr. 36 — \
                 atrašanās vieta ±8 m, ārpus adreses, neizšķīra",
                "Nr. 37 — atrašanās vietas ziņojums bez derīgām koordinātām; Nr. 38 — \
                 atrašanās vieta ±12 m (šo pienākumu nevērtē pēc robežas); vēl 7 nav uzskaitīti.",
                "Periods vēl nebija beidzies, kad pārskats sagatavots (23.11.2026. 12:00:00 \
                 (+02:00)): mājas režīma laiks pēc šī brīža nav ne noteikts, ne trūkstošs.",
                "Laiks pārkāpumā 1:31:00 (katrs brīdis skaitīts vienreiz)",
                "22.11.2026. 0:31:00",
                "automātiski (sargs)",
                "atrisināta · Ilze Ozola",
            ],
            "ilze.ozola",
        ),
        (
            en_text,
            [
                "Device 1001: after seq 32 the next evidence is seq 46: seq 33 not received; \
                 seq 34 — heartbeat (not a location); seq 35 — location ±500 m, too \
                 inaccurate to place on either side (the edge is 120.5 m away); seq 36 — \
                 location ±8 m, away from the address, did not decide",
                "seq 37 — a location report without a usable position; seq 38 — location \
                 ±12 m (this condition is not judged by an edge); 7 more not listed.",
                "The period had not ended when this summary was made (23 Nov 2026 12:00:00 \
                 (+02:00)): curfew time after that is neither required nor missing.",
                "Time in breach 1:31:00 (each instant counted once)",
                "22 Nov 2026 0:31:00",
                "automatically (sargs)",
                "resolved · Ilze Ozola",
            ],
            "ilze.ozola",
        ),
    ] {
        assert_no_codes(&text);
        let text = flat(&text);
        for code in ["not_received", "not_a_fix", "too_inaccurate", logins] {
            assert!(!text.contains(code), "{code:?} is in the text");
        }
        for expected in expected {
            let expected = flat(expected);
            assert!(text.contains(&expected), "{expected:?} is not in:\n{text}");
        }
    }
}

#[test]
fn a_period_not_ended_is_dated_when_it_was_made() {
    let mut r = report(Lang::En, 4, 3);
    let finished = written(&r, "dated-finished");
    r.params.as_of = Some(at("2026-11-23T10:00:00Z"));
    let running = written(&r, "dated-running");
    let Some(out) = tool("pdfinfo", &["-isodates", &running.path]) else {
        return;
    };
    let info = String::from_utf8_lossy(&out.stdout);
    assert!(info.contains("2026-11-23T10:00:00"), "{info}");
    // Without it, the latest moment the report records: the suspension.
    let out = tool("pdfinfo", &["-isodates", &finished.path]).expect("pdfinfo ran once");
    let info = String::from_utf8_lossy(&out.stdout);
    assert!(info.contains("2026-11-25T10:00:00"), "{info}");
}
