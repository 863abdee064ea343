//! Figures on the page: drawn from rectangles and labels strip by strip (an axis, then a row
//! per item), broken across pages between strips with the axis repeated, and tagged as one
//! Figure carrying the words that say what it shows; and their legends.

use super::{BOTTOM, Bar, LEFT, Layout, Mark, Op, RIGHT, Role, SMALL};

/// A word or number drawn as part of a figure (an axis's hours, a row's date), its baseline
/// in points from the figure's top left corner: read out through the figure's words.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// From the figure's left edge.
    pub x: f32,
    /// The baseline, from the figure's top edge.
    pub y: f32,
    /// The text's size.
    pub size: f32,
    /// What it says.
    pub text: String,
}

/// A horizontal strip of a figure: an axis, or one row of bands. A figure longer than a page
/// breaks between strips, its first strip (the axis) repeated at the top of each page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Strip {
    /// How high it is.
    pub height: f32,
    /// Its rectangles, from its top left corner.
    pub bars: Vec<Bar>,
    /// Its labels, from its top left corner.
    pub labels: Vec<Label>,
}

impl Strip {
    /// `other` below this strip.
    fn append(&mut self, other: &Strip) {
        let dy = self.height;
        self.bars
            .extend(other.bars.iter().map(|b| Bar { y: b.y + dy, ..*b }));
        self.labels.extend(other.labels.iter().map(|t| Label {
            y: t.y + dy,
            ..t.clone()
        }));
        self.height += other.height;
    }
}

impl Layout {
    /// A figure across the text's width, drawn from rectangles and labels: `head` (an axis)
    /// then `rows` strip by strip, broken across pages between rows with `head` repeated at
    /// the top of each, and kept with its heading and first rows. It carries the words that
    /// say what it shows, which is all a screen reader reads of it, so they must carry its
    /// whole meaning.
    pub fn figure(&mut self, alt: String, head: &Strip, rows: &[Strip]) {
        let first: f32 = rows.iter().take(3).map(|r| r.height).sum();
        self.keep(head.height + first);
        self.begin(Role::Figure(alt));
        // `y` is where the next line's baseline goes: the figure's top is a small line above
        // it, and the next line's baseline as far below its foot.
        let mut top = self.y - SMALL;
        let mut part = head.clone();
        for row in rows {
            if top + part.height + row.height > BOTTOM && part.height > head.height {
                self.figure_part(top, std::mem::replace(&mut part, head.clone()));
                self.new_page();
                top = self.y - SMALL;
            }
            part.append(row);
        }
        let height = part.height;
        self.figure_part(top, part);
        self.y = top + height + SMALL + 3.0;
        self.end();
    }

    /// A figure's part on this page, at `top`.
    fn figure_part(&mut self, top: f32, part: Strip) {
        let leaf = self.leaf();
        self.page().push(Op::Figure {
            x: LEFT,
            y: top,
            bars: part.bars,
            labels: part.labels,
            leaf,
        });
    }

    /// How wide `text` is set in the regular face at `size`, for a figure's labels.
    pub fn text_width(&self, text: &str, size: f32) -> f32 {
        self.measure.width(text, size, false)
    }

    /// Width of the text area, for figures.
    pub fn width(&self) -> f32 {
        RIGHT - LEFT
    }

    /// A figure's legend: each swatch (rectangles within a small square: decoration, the words
    /// beside it say what it stands for), then its words, all one paragraph.
    pub fn legend(&mut self, items: &[(Vec<Bar>, String)]) {
        let line = SMALL + 3.0;
        self.keep(line);
        self.begin(Role::P);
        let mut x = LEFT;
        for (i, (swatch, words)) in items.iter().enumerate() {
            // Words apart in the text read out, as on the page.
            let words = if i + 1 < items.len() {
                format!("{words} ")
            } else {
                words.clone()
            };
            let width = self.measure.width(&words, SMALL, false);
            if x + SMALL + 3.0 + width > RIGHT {
                self.y += line;
                x = LEFT;
            }
            let y = self.y - SMALL + 1.0;
            for b in swatch {
                self.rect(x + b.x, y + b.y, b.w, b.h, b.colour);
            }
            x += SMALL + 2.0;
            let mark = Mark::Content(self.leaf());
            self.text(x, SMALL, false, words, mark);
            x += width + 6.0;
        }
        self.y += line;
        self.end();
    }
}
