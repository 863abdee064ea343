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
