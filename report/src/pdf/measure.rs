//! Text measured as DejaVu Sans sets it (advance widths from the font itself, as krilla shapes
//! it), and wrapped into lines of a width.

use ttf_parser::Face;

use crate::ReportError;

pub(super) struct Measure {
    regular: Face<'static>,
    bold: Face<'static>,
}

impl Measure {
    pub fn new(regular: &'static [u8], bold: &'static [u8]) -> Result<Measure, ReportError> {
        let face = |data| Face::parse(data, 0).map_err(|e| ReportError::Pdf(e.to_string()));
        Ok(Measure {
            regular: face(regular)?,
            bold: face(bold)?,
        })
    }

    pub fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
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

    /// The text as the font can draw it: a character it has no glyph for (a control character,
    /// a script DejaVu Sans lacks, an unassigned code point in a hostile name) becomes the
    /// replacement character, so that the file stays valid PDF/A (which forbids drawing a
    /// missing glyph); the embedded JSON keeps the text as written.
    pub fn printable(&self, text: &str, bold: bool) -> String {
        let face = if bold { &self.bold } else { &self.regular };
        let has = |c: char| !c.is_control() && face.glyph_index(c).is_some();
        let substitute = if has('\u{FFFD}') { '\u{FFFD}' } else { '?' };
        text.chars()
            .map(|c| if has(c) { c } else { substitute })
            .collect()
    }

    /// Lines of at most `width`, broken at spaces, and inside words too long for one line. A
    /// line broken at a space keeps it at its end, so that the text read out of the file has
    /// its words apart (PDF/A-3a asks for explicit word boundaries).
    pub fn wrap(&self, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
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
                    line.push(' ');
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_the_font_lacks_are_replaced() {
        let m =
            Measure::new(super::super::layout::REGULAR, super::super::layout::BOLD).expect("fonts");
        for bold in [false, true] {
            let shown = m.printable("Bērziņš\u{2}\u{364c6}\u{d38f4}Ж\t", bold);
            assert!(shown.starts_with("Bērziņš"), "{shown}");
            assert_eq!(shown.chars().count(), 12, "{shown}");
            let face = if bold { &m.bold } else { &m.regular };
            assert!(
                shown.chars().all(|c| face.glyph_index(c).is_some()),
                "{shown}"
            );
        }
    }
}
