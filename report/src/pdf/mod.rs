//! The report as a PDF for the court: A4, DejaVu Sans embedded (subset) so Latvian letters show
//! on any machine, tables paginated with their header repeated, the order and period at the top
//! of each page and "page x of y" with the digest at the foot.
//!
//! The file is a pure function of the report: no clock, no random ids (krilla derives the file
//! id from the content digest given as the document id), so the same data give the same bytes.
//! The exchange JSON (`json.rs`) is embedded uncompressed as `compliance-summary.json`, which is
//! what `verify` reads back.
//!
//! Laid out in two passes: first into pages of drawing operations (so the page count is known),
//! then drawn with the header and footer.

use krilla::Document;
use krilla::color::rgb;
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};
use ttf_parser::Face;

use crate::ReportError;
use crate::model::{EpisodePart, Lang, Report};
use crate::nights::Hours;
use crate::text::{self, T};

mod sections;
use sections::body;

/// The name of the embedded exchange document.
pub const EMBEDDED_NAME: &str = "compliance-summary.json";

static REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const LEFT: f32 = 42.0;
const RIGHT: f32 = PAGE_W - 42.0;
const TOP: f32 = 78.0;
const BOTTOM: f32 = PAGE_H - 52.0;
const BODY: f32 = 9.0;
const SMALL: f32 = 7.5;

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    /// A filled rectangle: table header shading and rules.
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        grey: u8,
    },
}

struct Measure {
    regular: Face<'static>,
    bold: Face<'static>,
}

impl Measure {
    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let face = if bold { &self.bold } else { &self.regular };
        let units: u32 = text
            .chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .map_or(600, u32::from)
            })
            .sum();
        units as f32 * size / f32::from(face.units_per_em())
    }

    /// Lines of at most `width`, broken at spaces, and inside words too long for one line.
    fn wrap(&self, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split(' ') {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, size, bold) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                for c in word.chars() {
                    line.push(c);
                    if self.width(&line, size, bold) > width {
                        line.pop();
                        lines.push(std::mem::take(&mut line));
                        line.push(c);
                    }
                }
            }
            lines.push(line);
        }
        lines
    }
}

/// A column of a table: its title and width in points.
struct Col(&'static T, f32);

struct Layout {
    measure: Measure,
    lang: Lang,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Room for `h` more points on this page, or a new one.
    fn ensure(&mut self, h: f32) {
        if self.y + h > BOTTOM {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, text: String) {
        let y = self.y;
        self.page().push(Op::Text {
            x,
            y,
            size,
            bold,
            text,
        });
    }

    fn heading(&mut self, t: &T) {
        self.ensure(48.0);
        self.y += 14.0;
        self.text(LEFT, 11.5, true, t.get(self.lang).to_string());
        self.y += 4.0;
        let y = self.y;
        self.page().push(Op::Rect {
            x: LEFT,
            y,
            w: RIGHT - LEFT,
            h: 0.6,
            grey: 120,
        });
        self.y += 12.0;
    }

    fn para(&mut self, text: &str, size: f32, bold: bool) {
        for line in self.measure.wrap(text, size, bold, RIGHT - LEFT) {
            self.ensure(size + 3.0);
            self.text(LEFT, size, bold, line);
            self.y += size + 3.0;
        }
    }

    /// A label and its value beside it.
    fn field(&mut self, label: &T, value: &str) {
        let indent = 150.0;
        let lines = self.measure.wrap(value, BODY, false, RIGHT - LEFT - indent);
        self.ensure(BODY + 3.0);
        self.text(LEFT, BODY, true, label.get(self.lang).to_string());
        for line in lines {
            self.ensure(BODY + 3.0);
            self.text(LEFT + indent, BODY, false, line);
            self.y += BODY + 3.0;
        }
    }

    fn table_header(&mut self, cols: &[Col], size: f32) {
        // A long title takes two lines or more rather than being cut.
        let titles: Vec<Vec<String>> = cols
            .iter()
            .map(|Col(title, w)| self.measure.wrap(title.get(self.lang), size, true, w - 4.0))
            .collect();
        let lines = titles.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32;
        let line = size + 2.5;
        let height = size + (lines - 1.0) * line;
        let y = self.y - size;
        self.page().push(Op::Rect {
            x: LEFT,
            y: y - 2.0,
            w: RIGHT - LEFT,
            h: height + 6.0,
            grey: 225,
        });
        let top = self.y;
        let mut x = LEFT + 2.0;
        for (title, Col(_, w)) in titles.into_iter().zip(cols) {
            self.y = top;
            for t in title {
                self.text(x, size, true, t);
                self.y += line;
            }
            x += w;
        }
        self.y = top + height + 6.0;
    }

    /// A table; rows break across pages, and the header is repeated on each.
    fn table(&mut self, cols: &[Col], rows: &[Vec<String>], size: f32) {
        let line = size + 2.5;
        self.ensure(3.0 * line + 8.0);
        self.y += size;
        self.table_header(cols, size);
        for row in rows {
            let cells: Vec<Vec<String>> = cols
                .iter()
                .zip(row)
                .map(|(Col(_, w), cell)| self.measure.wrap(cell, size, false, w - 4.0))
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * line;
            if self.y + height > BOTTOM {
                self.new_page();
                self.y += size;
                self.table_header(cols, size);
            }
            let top = self.y;
            let mut x = LEFT + 2.0;
            for (cell, Col(_, w)) in cells.into_iter().zip(cols) {
                self.y = top;
                for l in cell {
                    self.text(x, size, false, l);
                    self.y += line;
                }
                x += w;
            }
            self.y = top + height;
            let y = self.y - line + 3.0;
            self.page().push(Op::Rect {
                x: LEFT,
                y,
                w: RIGHT - LEFT,
                h: 0.3,
                grey: 200,
            });
        }
        self.y += 6.0;
    }
}

/// The PDF of `report`, with `document` (its exchange JSON) embedded and `digest` shown.
pub fn render(report: &Report, document: &[u8], digest: &str) -> Result<Vec<u8>, ReportError> {
    let lang = report.params.lang;
    let tz: chrono_tz::Tz = report.time_zone.parse().unwrap_or(chrono_tz::Europe::Riga);
    let measure = Measure {
        regular: Face::parse(REGULAR, 0).map_err(|e| ReportError::Pdf(e.to_string()))?,
        bold: Face::parse(BOLD, 0).map_err(|e| ReportError::Pdf(e.to_string()))?,
    };
    let mut l = Layout {
        measure,
        lang,
        pages: Vec::new(),
        y: TOP,
    };
    body(&mut l, report, tz, digest);

    let regular = Font::new(REGULAR.into(), 0).ok_or_else(|| ReportError::Pdf("font".into()))?;
    let bold = Font::new(BOLD.into(), 0).ok_or_else(|| ReportError::Pdf("font".into()))?;
    let header = format!(
        "{} · {} {} ({}, {}) · {} {} – {}",
        text::TITLE.get(lang),
        text::ORDER.get(lang),
        report.order.id,
        report.order.court,
        report.order.case_number,
        text::PERIOD.get(lang),
        text::date(report.params.from, lang),
        text::date(report.params.to, lang),
    );
    let mut doc = Document::new();
    let total = l.pages.len();
    for (i, ops) in l.pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| ReportError::Pdf("page size".into()))?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        // Shading and rules first, so the text lies on them: the header's rule, then the body's.
        let rects = ops.iter().filter_map(|op| match op {
            Op::Rect { x, y, w, h, grey } => Some((*x, *y, *w, *h, *grey)),
            Op::Text { .. } => None,
        });
        let rule = std::iter::once((LEFT, 42.0, RIGHT - LEFT, 0.5, 150));
        for (x, y, w, h, grey) in rule.chain(rects) {
            let Some(rect) = Rect::from_xywh(x, y, w, h) else {
                continue;
            };
            let mut pb = PathBuilder::new();
            pb.push_rect(rect);
            if let Some(path) = pb.finish() {
                surface.set_fill(Some(fill(grey)));
                surface.draw_path(&path);
            }
        }
        let mut draw = |x: f32, y: f32, size: f32, bold_face: bool, s: &str, grey: u8| {
            surface.set_fill(Some(fill(grey)));
            let font = if bold_face { &bold } else { &regular };
            surface.draw_text(
                Point::from_xy(x, y),
                font.clone(),
                size,
                s,
                false,
                TextDirection::Auto,
            );
        };
        draw(LEFT, 36.0, SMALL, false, &header, 70);
        let footer = format!(
            "{} {} {} {} · SHA-256 {digest}",
            text::PAGE.get(lang),
            i + 1,
            text::OF.get(lang),
            total
        );
        draw(LEFT, PAGE_H - 28.0, SMALL, false, &footer, 70);
        for op in ops {
            if let Op::Text {
                x,
                y,
                size,
                bold,
                text,
            } = op
            {
                draw(*x, *y, *size, *bold, text, 0);
            }
        }
        surface.finish();
        page.finish();
    }
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
            .document_id(digest.to_string()),
    );
    doc.embed_file(EmbeddedFile {
        path: EMBEDDED_NAME.to_string(),
        mime_type: MimeType::new("application/json"),
        description: Some(text::TITLE.get(lang).to_string()),
        association_kind: AssociationKind::Source,
        data: document.to_vec().into(),
        modification_date: None,
        // Uncompressed, so that `verify` (and anyone with a text editor) can read it back.
        compress: Some(false),
        location: None,
    })
    .ok_or_else(|| ReportError::Pdf("embedding the JSON".into()))?;
    doc.finish().map_err(|e| ReportError::Pdf(format!("{e:?}")))
}

fn fill(grey: u8) -> Fill {
    Fill {
        paint: rgb::Color::new(grey, grey, grey).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}
