//! The document's words in Latvian and English (the glossary's terms: "probation client",
//! "pārskats par pienākumu izpildi"), and dates, times, hours and durations written as each
//! language writes them, in the order's time zone.

use alerts::lifecycle::{AlertAction, AlertState, Resolution};
use cases::{LegalBasis, Obligation, OrderStatus, OrderTerms};
use chrono::{Datelike, NaiveDate, TimeZone as _, Weekday};
use chrono_tz::Tz;
use firmware_proto::DeviceKind;
use judge::EpisodeState;
use rules::policy::{Watched, ZoneKind};
use rules::schedule::AbsenceReason;
use rules::{BreachKind, ConditionRef, Timestamp};

use crate::model::Lang;

/// One phrase in both languages.
pub(crate) struct T(pub &'static str, pub &'static str);

impl T {
    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Lv => self.0,
            Lang::En => self.1,
        }
    }
}

pub(crate) const TITLE: T = T("Pārskats par pienākumu izpildi", "Compliance summary");
pub(crate) const SUBTITLE: T = T(
    "Elektroniskā uzraudzība: tiesas nolēmuma pienākumu izpilde",
    "Electronic monitoring: compliance with the court order",
);
pub(crate) const ORDER: T = T("Tiesas nolēmums", "Court order");
pub(crate) const COURT: T = T("Tiesa", "Court");
pub(crate) const CASE: T = T("Lietas numurs", "Case number");
pub(crate) const CLIENT: T = T("Probācijas klients", "Probation client");
pub(crate) const DECISION: T = T("Nolēmuma datums", "Date of decision");
pub(crate) const BASIS: T = T("Pamats", "Legal basis");
pub(crate) const MONITORED: T = T("Uzraudzības periods", "Monitored period");
pub(crate) const PERIOD: T = T("Pārskata periods", "Period of this summary");
pub(crate) const TIME_ZONE: T = T("Laika josla", "Time zone");
/// The last observation within the period: curfew time after it is no data.
pub(crate) const HEARD_UNTIL: T = T("Dati saņemti līdz", "Data received up to");
pub(crate) const STATUS: T = T("Statuss", "Status");
pub(crate) const CONDITIONS: T = T("Pienākumi", "Conditions");
pub(crate) const CURFEW: T = T(
    "Aizliegums atstāt dzīvesvietu noteiktā diennakts laikā",
    "Curfew (ban on leaving the residence at specified times of day)",
);
pub(crate) const ZONES: T = T("Zonas", "Zones");
pub(crate) const PROXIMITY: T = T("Tuvošanās cietušajam", "Victim proximity");
/// A victim the order protects, as a proximity condition names them.
pub(crate) const VICTIM: T = T("cietušais", "victim");
pub(crate) const OTHER_OBLIGATIONS: T = T("Citi pienākumi", "Other obligations");
/// The conditions the devices worn could not evidence, under the conditions.
pub(crate) const NOT_EVIDENCED: T = T(
    "Ko uzstādītās ierīces nevarēja pierādīt",
    "What the devices fitted could not evidence",
);
pub(crate) const NOT_EVIDENCED_NOTE: T = T(
    "Ierīce ziņo tikai to, ko tā spēj noteikt. Šo pienākumu izpilde norādītajā laikā no ierīču datiem nav zināma: tā nav ne apstiprināta, ne noliegta, un pārkāpumu neesamība par to neliecina.",
    "A device reports only what it can tell. Whether these conditions were kept over the times given is not known from the devices' data: neither shown nor disproved, and the absence of breaches says nothing of it.",
);
pub(crate) const REVISIONS: T = T("Nolēmuma redakcijas", "Revisions of the order");
pub(crate) const POLICY_REVISIONS: T = T(
    "Uzraudzības noteikumu versijas, pēc kurām vērtēti pārkāpumi",
    "Policy revisions the episodes were judged by",
);
/// What the two numbers called revisions are, side by side in the summary.
pub(crate) const REVISION: T = T("nolēmuma redakcija", "order revision");
pub(crate) const POLICY_REVISION: T = T("uzraudzības noteikumu versija", "policy revision");
pub(crate) const REVISIONS_NOTE: T = T(
    "Nolēmuma redakcija ir tiesas nolēmuma teksts ar visiem tā grozījumiem; uzraudzības noteikumu versija ir noteikumu kopums, pēc kura sistēma vērtēja pārkāpumu, un tā mainās arī tad, kad uzstāda ierīci vai reģistrē prombūtni.",
    "An order revision is the court's text of the order as varied; a policy revision is the version of the monitoring rules the engine judged an episode by, which changes also when a device is fitted or an absence recorded.",
);
/// The first revision's reason: the order recorded as the court made it.
pub(crate) const FIRST_REVISION: T = T("nolēmums reģistrēts", "order recorded");
pub(crate) const STATUS_CHANGES: T = T(
    "Statusa izmaiņas (kamēr nolēmums nav spēkā, mājas režīms netiek prasīts)",
    "Status changes (no curfew is required while the order is not active)",
);
pub(crate) const ABSENCES: T = T("Atļautas prombūtnes", "Authorised absences");
pub(crate) const DAYS: T = T(
    "Mājas režīms pa naktīm (stundas)",
    "Curfew by night (hours)",
);
pub(crate) const DATE: T = T("Datums", "Date");
/// The union of the breach episodes: two over the same minutes count them once.
pub(crate) const BREACH_TIME: T = T("Laiks pārkāpumā", "Time in breach");
pub(crate) const COUNTED_ONCE: T = T(
    "katrs brīdis skaitīts vienreiz",
    "each instant counted once",
);
pub(crate) const BREACH_TIME_BY_DAY: T = T(
    "Laiks pārkāpumā pa dienām (jebkurš pienākums; katrs brīdis skaitīts vienreiz)",
    "Time in breach by day (any condition; each instant counted once)",
);
/// Who did what sargs does by itself (raising, escalating) in an alert's history.
pub(crate) const AUTOMATIC: T = T("automātiski (sargs)", "automatically (sargs)");
pub(crate) const REQUIRED: T = T("Noteikts", "Required");
pub(crate) const KEPT: T = T("Ievērots", "Kept");
pub(crate) const BREACH: T = T("Pārkāpums", "Breach");
pub(crate) const GRACE: T = T("Pieļaujamā nokavēšanās", "Within grace");
pub(crate) const NO_DATA: T = T("Nav datu", "No data");
pub(crate) const EXCUSED: T = T("Prombūtne", "Absence");
pub(crate) const TOTAL: T = T("Kopā", "Total");
pub(crate) const DAY_LENGTH: T = T("Ilgums", "Length");
pub(crate) const BREACHES: T = T("Pārkāpumi", "Breaches");
pub(crate) const NO_BREACHES: T = T(
    "Periodā nav konstatēts neviens pārkāpums.",
    "No breach was found in the period.",
);
pub(crate) const DEVICE_EVENTS: T = T(
    "Ierīču kļūmes un sakaru pārtraukumi (nav pārkāpumi)",
    "Device faults and communication gaps (not breaches)",
);
pub(crate) const NONE: T = T("Nav.", "None.");
pub(crate) const START: T = T("Sākums", "Start");
pub(crate) const END: T = T("Beigas", "End");
pub(crate) const DURATION: T = T("Ilgums", "Duration");
pub(crate) const KIND: T = T("Veids", "Kind");
pub(crate) const STATE: T = T("Stāvoklis", "State");
pub(crate) const GOING_ON: T = T("turpinās", "going on");
pub(crate) const EVIDENCE: T = T("Pierādījumi (novērojumi)", "Evidence (observations)");
pub(crate) const DEVICE: T = T("Ierīce", "Device");
pub(crate) const DEVICE_TIME: T = T("Ierīces laiks", "Device time");
pub(crate) const READING: T = T("Rādījums", "Reading");
pub(crate) const MISSING: T = T("nav glabātuvē", "not in the store");
pub(crate) const ALERT: T = T("Trauksme", "Alert");
pub(crate) const NO_ALERT: T = T("trauksme nav celta", "no alert raised");
pub(crate) const RESOLUTION: T = T("Atrisinājums", "Resolution");
pub(crate) const UNRESOLVED: T = T("nav atrisināta", "not resolved");
pub(crate) const FITTINGS: T = T("Uzstādītās ierīces", "Devices fitted");
pub(crate) const FITTED: T = T("Uzstādīta", "Fitted");
pub(crate) const REMOVED: T = T("Noņemta", "Removed");
pub(crate) const ADDRESS: T = T("Adrese", "Address");
pub(crate) const NOTES: T = T("Probācijas darbinieku piezīmes", "Officers' notes");
pub(crate) const NOTE_MARK: T = T(
    "Piezīme (darbinieka vārdi, nevis ierīces dati)",
    "Note (the officer's words, not device data)",
);
pub(crate) const CANCELLED: T = T("atsaukta", "called off");
pub(crate) const DIGEST: T = T("Satura SHA-256", "Content SHA-256");
pub(crate) const DIGEST_NOTE: T = T(
    "Pārskats ir atkārtojams: tie paši dati dod to pašu dokumentu. Tā saturs (ar visiem pierādījumiem) ir iegults šajā PDF kā JSON; \"sargs report verify\" to pārrēķina no glabātajiem datiem un parāda, vai kas mainījies.",
    "This summary is reproducible: the same data give the same document. Its content (with every piece of evidence) is embedded in this PDF as JSON; \"sargs report verify\" computes it again from the stored data and shows whether anything differs.",
);
pub(crate) const SIGNATURE: T = T("Elektroniskais paraksts", "Electronic signature");
pub(crate) const SIGNER: T = T("Parakstītājs", "Signed by");
pub(crate) const FINGERPRINT: T = T("Sertifikāta nospiedums", "Certificate fingerprint");
pub(crate) const SIGNATURE_NOTE: T = T(
    "Dienests ir parakstījis šī pārskata saturu (iegulto JSON) ar savu atslēgu (Ed25519 vai ECDSA P-256); paraksts un parakstītāja sertifikāts ir iegulti šajā PDF. Tiesa to var pārbaudīt ar dienesta publisko atslēgu: \"sargs report verify --file-only --public-key ATSLĒGA FAILS\" pārbauda arī, vai lapas saka to pašu, ko JSON; bez sargs ar pdfdetach un openssl (sargs docs/report.md).",
    "The service signed this summary's content (the embedded JSON) with its key (Ed25519 or ECDSA P-256); the signature and the signer's certificate are embedded in this PDF. A court checks it with the service's public key: \"sargs report verify --file-only --public-key KEY FILE\" also checks that the pages say what the JSON says; without sargs, with pdfdetach and openssl (sargs docs/report.md).",
);
pub(crate) const PAGE: T = T("Lapa", "Page");
pub(crate) const OF: T = T("no", "of");
pub(crate) const TIMES_NOTE: T = T(
    "Laiki norādīti nolēmuma laika joslā; glabāti UTC. Stundas bez datiem nav uzskatītas par pārkāpumu.",
    "Times are shown in the order's time zone; stored in UTC. Hours without data are not counted as breaches.",
);

pub(crate) fn kind(k: BreachKind, lang: Lang) -> &'static str {
    let t = match k {
        BreachKind::LateArrival => T("novēlota ierašanās", "late arrival"),
        BreachKind::EarlyDeparture => T("priekšlaicīga aiziešana", "early departure"),
        BreachKind::AbsentDuringCurfew => T("prombūtne mājas režīma laikā", "absent during curfew"),
        BreachKind::AbsentEntireCurfew => T(
            "prombūtne visu mājas režīma laiku",
            "absent for the whole curfew",
        ),
        BreachKind::ExclusionZoneEntered => {
            T("ieiešana aizliegtajā zonā", "exclusion zone entered")
        }
        BreachKind::InclusionZoneLeft => T("atļautās zonas atstāšana", "inclusion zone left"),
        BreachKind::ExclusionZoneApproached => {
            T("tuvošanās aizliegtajai zonai", "exclusion zone approached")
        }
        BreachKind::InclusionZoneEdge => T("atļautās zonas mala", "inclusion zone edge"),
        BreachKind::VictimProximity => T("tuvošanās cietušajam", "victim proximity"),
        BreachKind::VictimProximityWarning => T(
            "tuvošanās cietušajam (brīdinājums)",
            "victim proximity (warning)",
        ),
        BreachKind::CommunicationLost => T("sakari zuduši", "communication lost"),
        BreachKind::StrapOpened => T("siksniņa atvērta", "strap opened"),
        BreachKind::CaseOpened => T("korpuss atvērts", "case opened"),
        BreachKind::SkinContactLost => T("zudis kontakts ar ādu", "skin contact lost"),
        BreachKind::BatteryLow => T("zems akumulatora līmenis", "battery low"),
        BreachKind::BatteryCritical => T("kritisks akumulatora līmenis", "battery critical"),
        BreachKind::NotCharged => T("akumulators netiek uzlādēts", "not charged"),
        BreachKind::JammingSuspected => T("aizdomas par signāla slāpēšanu", "jamming suspected"),
        BreachKind::ShieldingSuspected => T("aizdomas par ekranēšanu", "shielding suspected"),
        BreachKind::MainsPowerLost => T("zudusi tīkla strāva", "mains power lost"),
        BreachKind::MotionWithoutFix => T("kustība bez atrašanās vietas", "motion without a fix"),
        BreachKind::ClockSkewed => T("ierīces pulkstenis nobīdījies", "device clock skewed"),
    };
    t.get(lang)
}

/// The condition an episode is about, in words: a zone by its kind and the name the order
/// gives it (the terms are the order's latest; a zone no longer in them is named as a zone).
pub(crate) fn condition(c: &ConditionRef, terms: &OrderTerms, lang: Lang) -> String {
    match c {
        ConditionRef::Curfew => T("mājas režīms", "curfew").get(lang).to_string(),
        ConditionRef::Zone { id } => {
            let kind = terms
                .zones
                .iter()
                .find(|z| z.id == *id)
                .map_or(T("zona", "zone").get(lang), |z| zone_kind(z.kind, lang));
            condition_name(kind, id, lang)
        }
        ConditionRef::Proximity { id } => condition_name(VICTIM.get(lang), id, lang),
        ConditionRef::Device { device } => {
            format!("{} {device}", T("ierīce", "device").get(lang))
        }
    }
}

/// A condition resting on the devices, as the line stating it begins.
pub(crate) fn watched(w: Watched, lang: Lang) -> &'static str {
    match w {
        Watched::Strap => T("Siksniņas stāvoklis", "Strap state"),
        Watched::SkinContact => T("Kontakts ar ādu", "Skin contact"),
        Watched::Case => T("Korpusa stāvoklis", "Case state"),
        Watched::Curfew => T("Mājas režīms", "Curfew"),
        Watched::Zones => T("Zonas", "Zones"),
        Watched::Proximity => T("Tuvošanās cietušajam", "Victim proximity"),
    }
    .get(lang)
}

/// A kind of device as the subject of a sentence ("a GPS tracker cannot tell").
pub(crate) fn device_kind(k: DeviceKind, lang: Lang) -> &'static str {
    match k {
        DeviceKind::GpsTag => T("GPS kājas aproce", "a GPS ankle tag"),
        DeviceKind::RfTag => T("RF kājas aproce", "an RF ankle tag"),
        DeviceKind::HomeUnit => T("mājas bāzes iekārta", "a home unit"),
        DeviceKind::GpsTracker => T("GPS izsekotājs", "a GPS tracker"),
        DeviceKind::Phone => T("tālrunis", "a phone"),
    }
    .get(lang)
}

/// That a condition is unknown, and which kinds of device cannot tell it: "Siksniņas stāvoklis:
/// nav zināms — GPS izsekotājs to nenosaka", "Strap state: unknown — a GPS tracker cannot tell".
pub(crate) fn not_evidenced(w: Watched, kinds: &[DeviceKind], lang: Lang) -> String {
    let kinds: Vec<&str> = kinds.iter().map(|k| device_kind(*k, lang)).collect();
    let kinds = match lang {
        Lang::Lv => kinds.join(" un "),
        Lang::En => kinds.join(" and "),
    };
    match lang {
        Lang::Lv => format!("{}: nav zināms — {kinds} to nenosaka", watched(w, lang)),
        Lang::En => format!("{}: unknown — {kinds} cannot tell", watched(w, lang)),
    }
}

pub(crate) fn episode_state(s: EpisodeState, lang: Lang) -> &'static str {
    match s {
        EpisodeState::Open => T("turpinās", "open"),
        EpisodeState::Closed => T("beidzies", "closed"),
        EpisodeState::Withdrawn => T(
            "atsaukts (vēlāki dati: nav pārkāpuma)",
            "withdrawn (later data: no breach)",
        ),
        EpisodeState::Superseded => T("aizstāts (nolēmums mainīts)", "superseded (order changed)"),
    }
    .get(lang)
}

pub(crate) fn alert_state(s: AlertState, lang: Lang) -> &'static str {
    match s {
        AlertState::Open => T("atvērta", "open"),
        AlertState::Acknowledged => T("saņemšana apstiprināta", "acknowledged"),
        AlertState::Resolved => T("atrisināta", "resolved"),
    }
    .get(lang)
}

pub(crate) fn resolution(r: Resolution, lang: Lang) -> &'static str {
    match r {
        Resolution::ConfirmedBreach => T("pārkāpums apstiprināts", "confirmed breach"),
        Resolution::AuthorisedAbsence => T("atļauta prombūtne", "authorised absence"),
        Resolution::ReasonableExcuse => T("attaisnojošs iemesls", "reasonable excuse"),
        Resolution::TechnicalFault => T("tehniska kļūme", "technical fault"),
        Resolution::FalseAlarm => T("viltus trauksme", "false alarm"),
    }
    .get(lang)
}

pub(crate) fn action(a: AlertAction, lang: Lang) -> &'static str {
    match a {
        AlertAction::Raised => T("celta", "raised"),
        AlertAction::Updated => T("atjaunināta", "updated"),
        AlertAction::Continued => T("turpināta", "continued"),
        AlertAction::Withdrawn => T("atsaukta", "withdrawn"),
        AlertAction::Escalated => T("eskalēta", "escalated"),
        AlertAction::Acknowledged => T("saņemšana apstiprināta", "acknowledged"),
        AlertAction::Resolved => T("atrisināta", "resolved"),
        AlertAction::Noted => T("piezīme", "note"),
        AlertAction::LocateRequested => T("pieprasīta atrašanās vieta", "locate requested"),
        AlertAction::Taken => T("pārņemta darbā", "taken"),
        AlertAction::TakenOver => T("pārņemta no cita", "taken over"),
        AlertAction::Released => T("atbrīvota", "released"),
    }
    .get(lang)
}

pub(crate) fn legal_basis(b: LegalBasis, lang: Lang) -> &'static str {
    match b {
        LegalBasis::ConditionalEarlyRelease => T(
            "nosacīta pirmstermiņa atbrīvošana",
            "conditional early release",
        ),
        LegalBasis::ProbationSupervision => T("probācijas uzraudzība", "probation supervision"),
        LegalBasis::Other => T("cits pamats", "another basis"),
    }
    .get(lang)
}

pub(crate) fn status(s: OrderStatus, lang: Lang) -> &'static str {
    match s {
        OrderStatus::Active => T("spēkā", "active"),
        OrderStatus::Suspended => T("apturēts", "suspended"),
        OrderStatus::Revoked => T("atcelts", "revoked"),
        OrderStatus::Ended => T("beidzies", "ended"),
    }
    .get(lang)
}

pub(crate) fn absence_reason(r: AbsenceReason, lang: Lang) -> &'static str {
    match r {
        AbsenceReason::Work => T("darbs", "work"),
        AbsenceReason::Court => T("tiesa", "court"),
        AbsenceReason::Hospital => T("slimnīca", "hospital"),
        AbsenceReason::Programme => T("programma", "programme"),
        AbsenceReason::Other => T("cits iemesls", "another reason"),
    }
    .get(lang)
}

pub(crate) fn weekday(d: Weekday, lang: Lang) -> &'static str {
    match d {
        Weekday::Mon => T("pirmdiena", "Monday"),
        Weekday::Tue => T("otrdiena", "Tuesday"),
        Weekday::Wed => T("trešdiena", "Wednesday"),
        Weekday::Thu => T("ceturtdiena", "Thursday"),
        Weekday::Fri => T("piektdiena", "Friday"),
        Weekday::Sat => T("sestdiena", "Saturday"),
        Weekday::Sun => T("svētdiena", "Sunday"),
    }
    .get(lang)
}

pub(crate) fn zone_kind(k: ZoneKind, lang: Lang) -> &'static str {
    match k {
        ZoneKind::Exclusion => T("aizliegtā zona", "exclusion zone"),
        ZoneKind::Inclusion => T("atļautā zona", "inclusion zone"),
    }
    .get(lang)
}

/// The kinds of other obligation with words of their own, by the code the console sends for
/// them (an obligation's kind is free text: the console offers these, and an officer may type
/// another).
const OBLIGATIONS: [(&str, T); 2] = [
    (
        "alcohol_ban",
        T(
            "aizliegums lietot alkoholu, narkotiskās vai citas apreibinošās vielas",
            "alcohol ban",
        ),
    ),
    (
        "programme",
        T(
            "dalība probācijas programmā",
            "attending a probation programme",
        ),
    ),
];

/// An other obligation as the summary states it: its kind in words, then the order's words.
/// A kind the summary has no words for is shown as the officer typed it, unless it is a code
/// (`some_kind`), which a court should not have to read: then the order's words stand alone.
pub(crate) fn obligation(o: &Obligation, lang: Lang) -> String {
    let known = OBLIGATIONS.iter().find(|(code, _)| *code == o.kind);
    match known {
        Some((_, t)) => format!("{}: {}", t.get(lang), o.description),
        None if o.kind.trim().is_empty() || is_code(&o.kind) => o.description.clone(),
        None => format!("{}: {}", o.kind, o.description),
    }
}

/// Whether a name is a machine's code rather than words: joined by `_`, or a placeholder the
/// console numbers (`zone-3`), with no space.
fn is_code(name: &str) -> bool {
    !name.contains(' ') && (name.contains('_') || placeholder_number(name).is_some())
}

/// The number of a name the console gives a new zone or victim until the officer names it
/// (`zone-3`, `exclusion-1`, `victim-2`).
fn placeholder_number(name: &str) -> Option<&str> {
    let (word, number) = name.rsplit_once('-')?;
    let generic = ["zone", "exclusion", "inclusion", "victim", "proximity"].contains(&word);
    (generic && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())).then_some(number)
}

/// A condition the order names (a zone, a victim), by its name: quoted as the order gives it,
/// or, for a placeholder the console made up (`exclusion-1`), by its number.
pub(crate) fn condition_name(kind: &str, name: &str, lang: Lang) -> String {
    match placeholder_number(name) {
        Some(n) => format!("{kind} {} {n}", T("Nr.", "no.").get(lang)),
        None => format!("{kind} {}", quoted(name, lang)),
    }
}

pub(crate) fn date(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Lv => d.format("%d.%m.%Y.").to_string(),
        Lang::En => d.format("%-d %b %Y").to_string(),
    }
}

/// The dates a night spans, as short as reads unambiguously: "04.–05.12.2026." and
/// "4–5 Dec 2026" within a month, the year once within a year, both whole across years
/// (spaced, so that a narrow column breaks the line there).
pub(crate) fn dates(from: NaiveDate, to: NaiveDate, lang: Lang) -> String {
    let year = from.year() == to.year();
    let month = year && from.month() == to.month();
    match (lang, month, year) {
        _ if from == to => date(from, lang),
        (Lang::Lv, true, _) => format!("{}–{}", from.format("%d."), date(to, lang)),
        (Lang::Lv, false, true) => format!("{}–{}", from.format("%d.%m."), date(to, lang)),
        (Lang::En, true, _) => format!("{}–{}", from.format("%-d"), date(to, lang)),
        (Lang::En, false, true) => format!("{} – {}", from.format("%-d %b"), date(to, lang)),
        (_, _, false) => format!("{} – {}", date(from, lang), date(to, lang)),
    }
}

/// A moment in the order's time zone, to the second, with its offset (so the autumn hour that
/// happens twice reads unambiguously).
pub(crate) fn time(t: Timestamp, tz: Tz, lang: Lang) -> String {
    let local = tz.timestamp_millis_opt(t.0).single().map(|l| {
        let date = date(l.date_naive(), lang);
        format!("{date} {} ({})", l.format("%H:%M:%S"), l.format("%:z"))
    });
    local.unwrap_or_else(|| t.to_string())
}

/// Hours with one decimal, the language's decimal mark.
pub(crate) fn hours(ms: i64, lang: Lang) -> String {
    let tenths = (ms + 180_000) / 360_000;
    let text = format!("{}.{}", tenths / 10, tenths % 10);
    match lang {
        Lang::Lv => text.replace('.', ","),
        Lang::En => text,
    }
}

/// A number with `places` decimals and the language's decimal mark.
pub(crate) fn decimal(value: f64, places: usize, lang: Lang) -> String {
    let text = format!("{value:.places$}");
    match lang {
        Lang::Lv => text.replace('.', ","),
        Lang::En => text,
    }
}

/// A summary of a period not ended yet says so, and when it was made.
pub(crate) fn as_of(at: &str, lang: Lang) -> String {
    match lang {
        Lang::Lv => format!(
            "Periods vēl nebija beidzies, kad pārskats sagatavots ({at}): mājas režīma laiks pēc šī brīža nav ne noteikts, ne trūkstošs."
        ),
        Lang::En => format!(
            "The period had not ended when this summary was made ({at}): curfew time after that is neither required nor missing."
        ),
    }
}

/// A distance in metres: whole metres, or one decimal where it has one.
pub(crate) fn metres(m: f64, lang: Lang) -> String {
    let places = if m.fract() == 0.0 { 0 } else { 1 };
    format!("{} m", decimal(m, places, lang))
}

/// Someone's words, in the language's quotation marks.
pub(crate) fn quoted(words: &str, lang: Lang) -> String {
    match lang {
        Lang::Lv => format!("„{words}”"),
        Lang::En => format!("“{words}”"),
    }
}

/// A duration as hours, minutes and seconds: `2:05:09`.
pub(crate) fn duration(ms: i64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_device_cannot_tell_is_said_as_unknown() {
        assert_eq!(
            not_evidenced(Watched::Strap, &[DeviceKind::GpsTracker], Lang::Lv),
            "Siksniņas stāvoklis: nav zināms — GPS izsekotājs to nenosaka"
        );
        assert_eq!(
            not_evidenced(Watched::Strap, &[DeviceKind::GpsTracker], Lang::En),
            "Strap state: unknown — a GPS tracker cannot tell"
        );
        assert_eq!(
            not_evidenced(
                Watched::Zones,
                &[DeviceKind::RfTag, DeviceKind::GpsTracker],
                Lang::En
            ),
            "Zones: unknown — an RF ankle tag and a GPS tracker cannot tell"
        );
    }

    #[test]
    fn numbers_and_dates_follow_the_language() {
        assert_eq!(hours(9 * 3_600_000 + 1_800_000, Lang::Lv), "9,5");
        assert_eq!(hours(9 * 3_600_000 + 1_800_000, Lang::En), "9.5");
        let d = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(date(d, Lang::Lv), "29.03.2026.");
        assert_eq!(date(d, Lang::En), "29 Mar 2026");
        assert_eq!(duration(7_509_000), "2:05:09");
        let next = |d: NaiveDate, days| d + chrono::Days::new(days);
        assert_eq!(dates(d, next(d, 1), Lang::Lv), "29.–30.03.2026.");
        assert_eq!(dates(d, next(d, 1), Lang::En), "29–30 Mar 2026");
        assert_eq!(dates(d, next(d, 3), Lang::Lv), "29.03.–01.04.2026.");
        assert_eq!(dates(d, next(d, 3), Lang::En), "29 Mar – 1 Apr 2026");
        assert_eq!(
            dates(d, next(d, 300), Lang::Lv),
            "29.03.2026. – 23.01.2027."
        );
        assert_eq!(dates(d, d, Lang::En), "29 Mar 2026");
        // 01:30Z on 25 October 2026 is 03:30 summer time in Riga... and 02:30 in winter.
        let tz = rules::schedule::TimeZone::default().0;
        let t = Timestamp(
            NaiveDate::from_ymd_opt(2026, 10, 25)
                .unwrap()
                .and_hms_opt(0, 30, 0)
                .unwrap()
                .and_utc()
                .timestamp_millis(),
        );
        assert_eq!(time(t, tz, Lang::En), "25 Oct 2026 03:30:00 (+03:00)");
        assert_eq!(
            time(Timestamp(t.0 + 3_600_000), tz, Lang::Lv),
            "25.10.2026. 03:30:00 (+02:00)"
        );
    }
}
