//! The page machinery: text measured and wrapped in DejaVu Sans, laid out top to bottom into A4
//! pages of drawing operations, and with it the document's logical structure (headings,
//! paragraphs, tables, figures) that `render` turns into the PDF's tag tree, so that a screen
//! reader reads what the page shows, in the order drawn.
//!
//! Two rules keep a page readable: a heading waits for the block that follows it and goes to
//! the next page with it (a table's header and first row, a paragraph's first two lines, a
//! short list of fields whole), and a table broken across pages repeats its header on each
//! (drawn again as an artifact: the structure has it once).

use super::measure::Measure;

mod figure;

use crate::ReportError;
use crate::model::Lang;
pub(super) use figure::{Label, Strip};

pub(super) const PAGE_W: f32 = 595.0;
pub(super) const PAGE_H: f32 = 842.0;
pub(super) const LEFT: f32 = 42.0;
pub(super) const RIGHT: f32 = PAGE_W - 42.0;
const TOP: f32 = 78.0;
const BOTTOM: f32 = PAGE_H - 52.0;
pub(super) const BODY: f32 = 9.0;
pub(super) const SMALL: f32 = 7.5;
/// The side of a legend's swatch.
pub(super) const SWATCH: f32 = SMALL - 1.0;

pub(super) static REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
pub(super) static BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

/// A colour of shading, rules and figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// A grey of the given lightness.
    pub const fn grey(level: u8) -> Rgb {
        Rgb(level, level, level)
    }
}

/// A rectangle of a figure, in points from the figure's top left corner.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    /// From the figure's left edge.
    pub x: f32,
    /// From the figure's top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
    /// Fill.
    pub colour: Rgb,
}

/// What a piece of text is in the document's structure: the content of a structure element
/// (a leaf of the tag tree, by number), or an artifact (a table header repeated on a new page).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Mark {
    Content(usize),
    Artifact,
}

pub(super) enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
        mark: Mark,
    },
    /// Shading and rules: artifacts, drawn before the text that lies on them.
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        colour: Rgb,
    },
    /// A figure's rectangles and labels (its part on one page), at (x, y), as a piece of
    /// content of one Figure element.
    Figure {
        x: f32,
        y: f32,
        bars: Vec<Bar>,
        labels: Vec<Label>,
        leaf: usize,
    },
}

/// Whose header a table cell is: its column's (a table's title row) or its row's (a label).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Scope {
    Column,
    Row,
}

/// A structure element's role, as the tag tree names it.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Role {
    /// A heading of a level (1 the document's title) and its text.
    Heading(u16, String),
    P,
    Table,
    THead,
    TBody,
    TR,
    TH(Scope),
    TD,
    /// A figure and the words that say what it shows.
    Figure(String),
}

/// A child of a structure element, in reading order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Child {
    Elem(usize),
    Leaf(usize),
}

pub(super) struct Elem {
    pub role: Role,
    pub children: Vec<Child>,
}

/// A heading in the outline: level, text, page index and its top on the page.
pub(super) struct Entry {
    pub level: u16,
    pub text: String,
    pub page: usize,
    pub y: f32,
}

/// A column of a table: its title and width in points.
pub(super) struct Col<'a>(pub &'a str, pub f32);

/// How a heading level is set: size, the space above its first baseline, line height, whether
/// a rule underlines it, and the space below.
struct HeadingStyle {
    size: f32,
    before: f32,
    line: f32,
    rule: bool,
    after: f32,
}

fn heading_style(level: u16) -> HeadingStyle {
    match level {
        1 => HeadingStyle {
            size: 18.0,
            before: 0.0,
            line: 21.0,
            rule: false,
            after: 0.0,
        },
        2 => HeadingStyle {
            size: 11.5,
            before: 14.0,
            line: 14.0,
            rule: true,
            after: 12.0,
        },
        3 => HeadingStyle {
            size: BODY + 0.5,
            before: 4.0,
            line: BODY + 3.5,
            rule: false,
            after: 0.0,
        },
        _ => HeadingStyle {
            size: SMALL,
            before: 2.0,
            line: SMALL + 3.0,
            rule: false,
            after: 0.0,
        },
    }
}

pub(super) struct Layout {
    measure: Measure,
    pub lang: Lang,
    pub pages: Vec<Vec<Op>>,
    /// Every structure element, each once, children in reading order.
    pub elems: Vec<Elem>,
    /// The top of the structure, in reading order.
    pub roots: Vec<Child>,
    /// The headings, for the document's outline.
    pub outline: Vec<Entry>,
    /// How many leaves (pieces of content) the structure has.
    pub leaves: usize,
    /// The elements being filled, innermost last.
    open: Vec<usize>,
    /// Headings waiting for the block that follows them.
    pending: Vec<(u16, String)>,
    pub y: f32,
}

impl Layout {
    pub fn new(lang: Lang) -> Result<Layout, ReportError> {
        Ok(Layout {
            measure: Measure::new(REGULAR, BOLD)?,
            lang,
            pages: vec![Vec::new()],
            elems: Vec::new(),
            roots: Vec::new(),
            outline: Vec::new(),
            leaves: 0,
            open: Vec::new(),
            pending: Vec::new(),
            y: TOP,
        })
    }

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
    pub fn ensure(&mut self, h: f32) {
        if self.y + h > BOTTOM && self.y > TOP {
            self.new_page();
        }
    }

    /// Opens a structure element inside the one being filled.
    fn begin(&mut self, role: Role) -> usize {
        let id = self.elems.len();
        self.elems.push(Elem {
            role,
            children: Vec::new(),
        });
        self.attach(Child::Elem(id));
        self.open.push(id);
        id
    }

    fn end(&mut self) {
        self.open.pop();
    }

    fn attach(&mut self, child: Child) {
        match self.open.last() {
            Some(&parent) => self.elems[parent].children.push(child),
            None => self.roots.push(child),
        }
    }

    /// A new piece of content of the element being filled.
    fn leaf(&mut self) -> usize {
        let leaf = self.leaves;
        self.leaves += 1;
        self.attach(Child::Leaf(leaf));
        leaf
    }

    /// Text as the font can draw it (see [`Measure::printable`]).
    pub(super) fn printable(&self, text: &str) -> String {
        self.measure.printable(text, false)
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, text: String, mark: Mark) {
        let y = self.y;
        let text = self.measure.printable(&text, bold);
        self.page().push(Op::Text {
            x,
            y,
            size,
            bold,
            text,
            mark,
        });
    }

    /// Text that is content of the element being filled.
    fn content(&mut self, x: f32, size: f32, bold: bool, text: String) {
        let mark = Mark::Content(self.leaf());
        self.text(x, size, bold, text, mark);
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, colour: Rgb) {
        self.page().push(Op::Rect { x, y, w, h, colour });
    }

    /// A heading of `level` (1 is the document's title, 2 a section, 3 and 4 within one): set
    /// when the next block is, on the page where that block starts.
    pub fn heading(&mut self, level: u16, text: &str) {
        self.pending.push((level, text.to_string()));
    }

    fn heading_lines(&self, level: u16, text: &str) -> Vec<String> {
        let style = heading_style(level);
        self.measure.wrap(text, style.size, true, RIGHT - LEFT)
    }

    fn heading_height(&self, level: u16, text: &str) -> f32 {
        let style = heading_style(level);
        let lines = self.heading_lines(level, text).len() as f32;
        let rule = if style.rule { 4.0 } else { 0.0 };
        style.before
            + (lines - 1.0).max(0.0) * style.line
            + rule
            + style.after
            + if style.rule { 0.0 } else { style.line }
    }

    /// Starts a block whose first part is `first` points high: on this page if the headings
    /// waiting for it and that part fit, else on the next; then sets the headings.
    fn keep(&mut self, first: f32) {
        let headings: f32 = self
            .pending
            .iter()
            .map(|(level, text)| self.heading_height(*level, text))
            .sum();
        self.ensure(headings + first);
        for (level, text) in std::mem::take(&mut self.pending) {
            self.set_heading(level, text);
        }
    }

    fn set_heading(&mut self, level: u16, text: String) {
        let style = heading_style(level);
        let lines = self.heading_lines(level, &text);
        self.y += style.before;
        let page = self.pages.len() - 1;
        self.outline.push(Entry {
            level,
            text: text.clone(),
            page,
            y: self.y - style.size,
        });
        self.begin(Role::Heading(level, text));
        let count = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            self.content(LEFT, style.size, true, line);
            if i + 1 < count || !style.rule {
                self.y += style.line;
            }
        }
        self.end();
        if style.rule {
            self.y += 4.0;
            let y = self.y;
            self.rect(LEFT, y, RIGHT - LEFT, 0.6, Rgb::grey(120));
        }
        self.y += style.after;
    }

    /// Sets any heading still waiting (at the end of the document).
    pub fn flush(&mut self) {
        self.keep(0.0);
    }

    pub fn para(&mut self, text: &str, size: f32, bold: bool) {
        let lines = self.measure.wrap(text, size, bold, RIGHT - LEFT);
        let line = size + 3.0;
        self.keep(lines.len().min(2) as f32 * line);
        self.begin(Role::P);
        for l in lines {
            self.ensure(line);
            self.content(LEFT, size, bold, l);
            self.y += line;
        }
        self.end();
    }

    /// Labels and their values beside them: a table whose rows are headed by their labels.
    pub fn fields(&mut self, fields: &[(&str, String)]) {
        let indent = 150.0;
        let line = BODY + 3.0;
        let rows: Vec<(&str, Vec<String>)> = fields
            .iter()
            .map(|(label, value)| {
                let value = if value.is_empty() { "–" } else { value };
                let lines = self.measure.wrap(value, BODY, false, RIGHT - LEFT - indent);
                (*label, lines)
            })
            .collect();
        // A short list (an episode's facts) stays on one page; a long one keeps two rows.
        let all: usize = rows.iter().map(|(_, v)| v.len()).sum();
        let first = if all <= 12 {
            all
        } else {
            rows.iter().take(2).map(|(_, v)| v.len()).sum()
        };
        self.keep(first as f32 * line);
        self.begin(Role::Table);
        for (label, lines) in rows {
            self.ensure(lines.len() as f32 * line);
            self.begin(Role::TR);
            self.begin(Role::TH(Scope::Row));
            self.content(LEFT, BODY, true, label.to_string());
            self.end();
            self.begin(Role::TD);
            for l in lines {
                self.content(LEFT + indent, BODY, false, l);
                self.y += line;
            }
            self.end();
            self.end();
        }
        self.end();
    }

    /// The title row of a table: content the first time, an artifact when repeated.
    fn table_header(&mut self, cols: &[Col], size: f32, repeated: bool) {
        // A long title takes two lines or more rather than being cut.
        let titles: Vec<Vec<String>> = cols
            .iter()
            .map(|Col(title, w)| self.measure.wrap(title, size, true, w - 4.0))
            .collect();
        let height = self.header_height(&titles, size);
        let y = self.y - size;
        self.rect(LEFT, y - 2.0, RIGHT - LEFT, height + 6.0, Rgb::grey(225));
        if !repeated {
            self.begin(Role::THead);
            self.begin(Role::TR);
        }
        let top = self.y;
        let mut x = LEFT + 2.0;
        for (title, Col(_, w)) in titles.into_iter().zip(cols) {
            self.y = top;
            if !repeated {
                self.begin(Role::TH(Scope::Column));
            }
            for t in title {
                let mark = if repeated {
                    Mark::Artifact
                } else {
                    Mark::Content(self.leaf())
                };
                self.text(x, size, true, t, mark);
                self.y += size + 2.5;
            }
            if !repeated {
                self.end();
            }
            x += w;
        }
        if !repeated {
            self.end();
            self.end();
        }
        self.y = top + height + 6.0;
    }

    fn header_height(&self, titles: &[Vec<String>], size: f32) -> f32 {
        let lines = titles.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32;
        size + (lines - 1.0) * (size + 2.5)
    }

    fn cells(&self, cols: &[Col], row: &[String], size: f32) -> Vec<Vec<String>> {
        cols.iter()
            .zip(row)
            .map(|(Col(_, w), cell)| {
                let cell = if cell.is_empty() { "–" } else { cell };
                self.measure.wrap(cell, size, false, w - 4.0)
            })
            .collect()
    }

    /// A table; rows break across pages, and the header is repeated on each.
    pub fn table(&mut self, cols: &[Col], rows: &[Vec<String>], size: f32) {
        let line = size + 2.5;
        let titles: Vec<Vec<String>> = cols
            .iter()
            .map(|Col(title, w)| self.measure.wrap(title, size, true, w - 4.0))
            .collect();
        let header = size + self.header_height(&titles, size) + 6.0;
        let first = rows.first().map_or(0, |r| {
            self.cells(cols, r, size)
                .iter()
                .map(Vec::len)
                .max()
                .unwrap_or(1)
        });
        self.keep(header + first as f32 * line);
        self.begin(Role::Table);
        self.y += size;
        self.table_header(cols, size, false);
        self.begin(Role::TBody);
        for row in rows {
            let cells = self.cells(cols, row, size);
            let height = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * line;
            if self.y + height > BOTTOM {
                self.new_page();
                self.y += size;
                self.table_header(cols, size, true);
            }
            self.begin(Role::TR);
            let top = self.y;
            let mut x = LEFT + 2.0;
            for (cell, Col(_, w)) in cells.into_iter().zip(cols) {
                self.y = top;
                self.begin(Role::TD);
                for l in cell {
                    self.content(x, size, false, l);
                    self.y += line;
                }
                self.end();
                x += w;
            }
            self.end();
            self.y = top + height;
            let y = self.y - line + 3.0;
            self.rect(LEFT, y, RIGHT - LEFT, 0.3, Rgb::grey(200));
        }
        self.end();
        self.end();
        self.y += 6.0;
    }
}
