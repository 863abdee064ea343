//! The report as a PDF for the court: A4, DejaVu Sans embedded (subset) so Latvian letters show
//! on any machine, tables paginated with their header repeated, the order and period at the top
//! of each page and "page x of y" with the digest at the foot.
//!
//! An archival and accessible document: PDF/A-3a (PDF/A-3 because it carries the exchange JSON,
//! level a because it is tagged) and PDF/UA-1, both checked by krilla as the file is written. The
//! tag tree follows the drawing order: the title H1, sections H2, episodes H3, paragraphs P,
//! tables with header cells, figures with their words; the running header and footer, shading,
//! rules and repeated table headers are artifacts. The outline lists the headings.
//!
//! The file is a pure function of the report: no clock, no random ids (krilla derives the file
//! id from the content digest given as the document id), and the date PDF/A asks for is the
//! latest moment the report records (`document_date`), so the same data give the same bytes.
//! The exchange JSON (`json.rs`) is embedded uncompressed as `compliance-summary.json`, which is
//! what `verify` reads back.
//!
//! Laid out in two passes: first into pages of drawing operations with the structure beside
//! them (`layout.rs`, so the page count is known), then drawn with the header and footer.

use chrono::{Datelike, Timelike};
use krilla::color::rgb;
use krilla::configure::{Accessibility, Archival, ConfigurationBuilder};
use krilla::destination::XyzDestination;
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, Node, SpanTag, TableHeaderScope, Tag, TagGroup,
    TagKind, TagTree,
};
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};
use rules::Timestamp;

use crate::ReportError;
use crate::file::{CERTIFICATE, DOCUMENT, SIGNATURE};
use crate::model::Report;
use crate::seal::Seal;
use crate::text::{self, T};

mod chart;
mod layout;
mod measure;
mod reading;
mod sections;
#[cfg(test)]
mod tests;

use layout::{
    BOLD, Child, LEFT, Layout, Mark, Op, PAGE_H, PAGE_W, REGULAR, RIGHT, Rgb, Role, SMALL,
};
use sections::body;

/// The PDF of `report`, with `document` (its exchange JSON) and its `seal` embedded and
/// `digest` shown.
pub fn render(
    report: &Report,
    document: &[u8],
    digest: &str,
    seal: &Seal,
) -> Result<Vec<u8>, ReportError> {
    let lang = report.params.lang;
    let tz: chrono_tz::Tz = report.time_zone.parse().unwrap_or(chrono_tz::Europe::Riga);
    let mut l = Layout::new(lang)?;
    let signer = seal
        .signer()
        .map_err(|e| ReportError::Pdf(format!("the signer's certificate: {e}")))?;
    body(&mut l, report, tz, digest, &signer);

    let regular = Font::new(REGULAR.into(), 0).ok_or_else(|| ReportError::Pdf("font".into()))?;
    let bold = Font::new(BOLD.into(), 0).ok_or_else(|| ReportError::Pdf("font".into()))?;
    let fonts = [regular, bold];
    let header = l.printable(&format!(
        "{} · {} {} ({}, {}) · {} {} – {}",
        text::TITLE.get(lang),
        text::ORDER.get(lang),
        report.order.id,
        report.order.court,
        report.order.case_number,
        text::PERIOD.get(lang),
        text::date(report.params.from, lang),
        text::date(report.params.to, lang),
    ));
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A3_A)
        .with_accessibility_validator(Accessibility::UA1)
        .finish()
        .map_err(|e| ReportError::Pdf(format!("{e:?}")))?;
    let mut doc = Document::new_with(SerializeSettings {
        configuration,
        enable_tagging: true,
        ..SerializeSettings::default()
    });
    // What each piece of content was marked as when drawn, by its leaf number.
    let mut ids: Vec<Option<Identifier>> = vec![None; l.leaves];
    let total = l.pages.len();
    for (i, ops) in l.pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| ReportError::Pdf("page size".into()))?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        surface.start_tagged(artifact(ArtifactType::Header));
        draw_text(&mut surface, &fonts[0], LEFT, 36.0, SMALL, &header, 70);
        draw_rect(&mut surface, LEFT, 42.0, RIGHT - LEFT, 0.5, Rgb::grey(150));
        surface.end_tagged();
        // In order: shading comes before the text that lies on it, and the content is drawn
        // in the order it is read.
        for op in ops {
            match op {
                Op::Rect { x, y, w, h, colour } => {
                    surface.start_tagged(artifact(ArtifactType::Layout));
                    draw_rect(&mut surface, *x, *y, *w, *h, *colour);
                    surface.end_tagged();
                }
                Op::Text {
                    x,
                    y,
                    size,
                    bold,
                    text,
                    mark,
                } => {
                    let font = &fonts[usize::from(*bold)];
                    match mark {
                        Mark::Content(leaf) => {
                            let id = surface.start_tagged(ContentTag::Span(SpanTag::empty()));
                            draw_text(&mut surface, font, *x, *y, *size, text, 0);
                            surface.end_tagged();
                            ids[*leaf] = Some(id);
                        }
                        Mark::Artifact => {
                            surface.start_tagged(artifact(ArtifactType::PaginationOther));
                            draw_text(&mut surface, font, *x, *y, *size, text, 0);
                            surface.end_tagged();
                        }
                    }
                }
                Op::Figure {
                    x,
                    y,
                    bars,
                    labels,
                    leaf,
                } => {
                    let id = surface.start_tagged(ContentTag::Other);
                    for b in bars {
                        draw_rect(&mut surface, x + b.x, y + b.y, b.w, b.h, b.colour);
                    }
                    for t in labels {
                        let (x, y) = (x + t.x, y + t.y);
                        draw_text(&mut surface, &fonts[0], x, y, t.size, &t.text, 60);
                    }
                    surface.end_tagged();
                    ids[*leaf] = Some(id);
                }
            }
        }
        let footer = format!(
            "{} {} {} {} · SHA-256 {digest}",
            text::PAGE.get(lang),
            i + 1,
            text::OF.get(lang),
            total
        );
        surface.start_tagged(artifact(ArtifactType::Footer));
        draw_text(
            &mut surface,
            &fonts[0],
            LEFT,
            PAGE_H - 28.0,
            SMALL,
            &footer,
            70,
        );
        surface.end_tagged();
        surface.finish();
        page.finish();
    }
    let mut tree = TagTree::new().with_lang(Some(lang.as_str().to_string()));
    for child in &l.roots {
        tree.push(node(&l, *child, &ids)?);
    }
    doc.set_tag_tree(tree);
    doc.set_outline(outline(&l));

    let date = document_date(report);
    doc.set_metadata(
        Metadata::new()
            .title(format!(
                "{} – {} {}",
                text::TITLE.get(lang),
                text::ORDER.get(lang),
                report.order.id
            ))
            .language(lang.as_str().to_string())
            .creator("sargs".to_string())
            .keywords(vec![format!("sha256:{digest}")])
            .creation_date(date)
            .document_id(digest.to_string()),
    );

    // The embedded files: the exchange JSON, its signature and the signer's certificate, as
    // files any PDF reader (or `pdfdetach -saveall`) gives back as they are; uncompressed, so
    // the JSON can also be read with a text editor.
    let carried = [
        (
            DOCUMENT,
            "application/json",
            &text::TITLE,
            document.to_vec(),
            AssociationKind::Source,
        ),
        (
            SIGNATURE,
            "application/octet-stream",
            &SIGNATURE_FILE,
            seal.signature.clone(),
            AssociationKind::Supplement,
        ),
        (
            CERTIFICATE,
            "application/x-pem-file",
            &CERTIFICATE_FILE,
            seal.certificate_pem.clone().into_bytes(),
            AssociationKind::Supplement,
        ),
    ];
    for (name, mime, description, data, association_kind) in carried {
        let mime_type = MimeType::new(mime)
            .ok_or_else(|| ReportError::Pdf(format!("the media type of {name}")))?;
        doc.embed_file(EmbeddedFile {
            path: name.to_string(),
            mime_type: Some(mime_type),
            description: Some(description.get(lang).to_string()),
            association_kind,
            data: data.into(),
            modification_date: Some(date),
            compress: Some(false),
            location: None,
        })
        .ok_or_else(|| ReportError::Pdf(format!("embedding {name}")))?;
    }
    doc.finish().map_err(|e| ReportError::Pdf(format!("{e:?}")))
}

const SIGNATURE_FILE: T = T(
    "Dienesta paraksts par compliance-summary.json",
    "The service's signature over compliance-summary.json",
);
const CERTIFICATE_FILE: T = T(
    "Parakstītāja sertifikāts (publiskā atslēga)",
    "The signer's certificate (public key)",
);

fn artifact(kind: ArtifactType) -> ContentTag<'static> {
    ContentTag::Artifact(Artifact::with_kind(kind))
}

fn fill(colour: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn draw_rect(surface: &mut Surface, x: f32, y: f32, w: f32, h: f32, colour: Rgb) {
    let Some(rect) = Rect::from_xywh(x, y, w, h) else {
        return;
    };
    let mut pb = PathBuilder::new();
    pb.push_rect(rect);
    if let Some(path) = pb.finish() {
        surface.set_fill(Some(fill(colour)));
        surface.draw_path(&path);
    }
}

fn draw_text(surface: &mut Surface, font: &Font, x: f32, y: f32, size: f32, s: &str, grey: u8) {
    surface.set_fill(Some(fill(Rgb::grey(grey))));
    surface.draw_text(
        Point::from_xy(x, y),
        font.clone(),
        size,
        s,
        false,
        TextDirection::Auto,
    );
}

/// A structure element (or a piece of content) of the layout as a node of the tag tree.
fn node(l: &Layout, child: Child, ids: &[Option<Identifier>]) -> Result<Node, ReportError> {
    let index = match child {
        Child::Leaf(leaf) => {
            let id = ids.get(leaf).copied().flatten();
            return id
                .map(Node::from)
                .ok_or_else(|| ReportError::Pdf(format!("content {leaf} was not drawn")));
        }
        Child::Elem(index) => index,
    };
    let elem = &l.elems[index];
    let tag: TagKind = match &elem.role {
        Role::Heading(level, title) => {
            let level = std::num::NonZeroU16::new(*level).unwrap_or(std::num::NonZeroU16::MIN);
            Tag::Hn(level, Some(title.clone())).into()
        }
        Role::P => Tag::P.into(),
        Role::Table => Tag::Table.into(),
        Role::THead => Tag::THead.into(),
        Role::TBody => Tag::TBody.into(),
        Role::TR => Tag::TR.into(),
        Role::TH(layout::Scope::Column) => Tag::TH(TableHeaderScope::Column).into(),
        Role::TH(layout::Scope::Row) => Tag::TH(TableHeaderScope::Row).into(),
        Role::TD => Tag::TD.into(),
        Role::Figure(alt) => Tag::Figure(Some(alt.clone())).into(),
    };
    let children = elem
        .children
        .iter()
        .map(|c| node(l, *c, ids))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TagGroup::with_children(tag, children).into())
}

/// The outline: the title, the sections under it, and what each section heads (episodes,
/// conditions), each leading to its heading's place.
fn outline(l: &Layout) -> Outline {
    let mut outline = Outline::new();
    let mut sections: Vec<OutlineNode> = Vec::new();
    let mut title: Option<OutlineNode> = None;
    let place = |e: &layout::Entry| XyzDestination::new(e.page, Point::from_xy(LEFT, e.y));
    for e in &l.outline {
        let entry = OutlineNode::new(e.text.clone(), place(e));
        match e.level {
            1 => title = Some(entry),
            2 => sections.push(entry),
            3 => match sections.last_mut() {
                Some(section) => section.push_child(entry),
                None => sections.push(entry),
            },
            // Smaller headings (an episode's evidence) would only repeat their parent's place.
            _ => {}
        }
    }
    if let Some(title) = title {
        outline.push_child(title);
    }
    for section in sections {
        outline.push_child(section);
    }
    outline
}

/// The date the PDF/A metadata and the embedded file's modification date must carry: when the
/// summary was made if its period had not ended then (`as_of`), else the latest moment the
/// report records (a revision, a status change, an alert's history, a note, a fitting, the
/// devices' last word), else the period's start. Not the clock: the same data give the same
/// file.
fn document_date(r: &Report) -> DateTime {
    if let Some(as_of) = r.params.as_of {
        return utc(as_of);
    }
    let moments = r
        .revisions
        .iter()
        .map(|v| v.created)
        .chain(r.status_changes.iter().map(|(at, _)| *at))
        .chain(r.notes.iter().map(|n| n.created))
        .chain(
            r.fittings
                .iter()
                .flat_map(|f| std::iter::once(f.installed).chain(f.removed)),
        )
        .chain(
            r.breaches
                .iter()
                .chain(&r.device_events)
                .flat_map(|e| e.alert.iter().flat_map(|a| a.history.iter().map(|h| h.at))),
        )
        .chain(r.heard_until);
    let latest = moments.max().unwrap_or(r.period.start);
    utc(latest)
}

fn utc(t: Timestamp) -> DateTime {
    let at = chrono::DateTime::from_timestamp_millis(t.0).unwrap_or_default();
    let small = |n: u32| u8::try_from(n).unwrap_or(0);
    DateTime::new(u16::try_from(at.year()).unwrap_or(1970))
        .month(small(at.month()))
        .day(small(at.day()))
        .hour(small(at.hour()))
        .minute(small(at.minute()))
        .second(small(at.second()))
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}
