//! Reading a summary file back: the files a PDF carries (the exchange JSON, its signature, the
//! signer's certificate), found through the PDF's own structure rather than by searching its
//! bytes, so that a file with another JSON slipped in elsewhere is not misread.
//!
//! Files come from outside (a court sends one back to be checked), so parsing is bounded: the
//! whole file, each attachment and the depth of the name tree have limits, and a parser panic
//! on a hostile file is caught and reported as an unreadable file.

use std::collections::BTreeMap;

use lopdf::{Document, LoadOptions, Object};

use crate::ReportError;
use crate::seal::Seal;

/// The embedded exchange document.
pub const DOCUMENT: &str = "compliance-summary.json";
/// Its raw Ed25519 signature (64 bytes), as `openssl pkeyutl -verify -sigfile` reads it.
pub const SIGNATURE: &str = "compliance-summary.json.sig";
/// The signer's certificate, PEM.
pub const CERTIFICATE: &str = "signer-certificate.pem";

/// The largest file read, and the largest attachment in it.
const MAX_FILE: usize = 256 << 20;
const MAX_ATTACHMENT: usize = 64 << 20;
/// How deep a name tree may nest (krilla writes one level).
const MAX_DEPTH: usize = 8;

/// What a sealed PDF carries.
pub struct Carried {
    /// The exchange JSON's bytes, as signed.
    pub document: Vec<u8>,
    /// The seal, if the file has one.
    pub seal: Option<Seal>,
}

/// Whether the bytes are a PDF.
pub fn is_pdf(file: &[u8]) -> bool {
    file.starts_with(b"%PDF-")
}

/// The exchange document and seal a PDF carries.
pub fn carried(pdf: &[u8]) -> Result<Carried, ReportError> {
    let mut files = attachments(pdf)?;
    let document = files.remove(DOCUMENT).ok_or_else(|| {
        ReportError::NotAReport(
            "this PDF carries no sargs compliance summary (no compliance-summary.json)".into(),
        )
    })?;
    let seal = match (files.remove(SIGNATURE), files.remove(CERTIFICATE)) {
        (Some(signature), Some(certificate)) => Some(Seal {
            signature,
            certificate_pem: String::from_utf8(certificate).map_err(|_| {
                ReportError::NotAReport("the signer's certificate is not text".into())
            })?,
        }),
        _ => None,
    };
    Ok(Carried { document, seal })
}

/// The files embedded in a PDF, by name.
pub fn attachments(pdf: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, ReportError> {
    if pdf.len() > MAX_FILE {
        return Err(ReportError::NotAReport("the file is too large".into()));
    }
    let unreadable = |what: String| ReportError::NotAReport(format!("unreadable PDF: {what}"));
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_ATTACHMENT),
        ..LoadOptions::default()
    };
    let loaded = std::panic::catch_unwind(|| Document::load_mem_with_options(pdf, options))
        .map_err(|_| unreadable("its structure is broken".into()))?;
    let doc = loaded.map_err(|e| unreadable(e.to_string()))?;
    let mut out = BTreeMap::new();
    let names = doc
        .catalog()
        .and_then(|c| c.get_deref(b"Names", &doc))
        .and_then(Object::as_dict)
        .and_then(|n| n.get_deref(b"EmbeddedFiles", &doc));
    if let Ok(tree) = names {
        collect(&doc, tree, 0, &mut out).map_err(|e| unreadable(e.to_string()))?;
    }
    Ok(out)
}

/// The leaves of a name tree: `Names` pairs, and `Kids` below.
fn collect(
    doc: &Document,
    node: &Object,
    depth: usize,
    out: &mut BTreeMap<String, Vec<u8>>,
) -> lopdf::Result<()> {
    if depth > MAX_DEPTH {
        return Err(lopdf::Error::ReferenceLimit);
    }
    let node = node.as_dict()?;
    if let Ok(kids) = node.get_deref(b"Kids", doc).and_then(Object::as_array) {
        for kid in kids {
            collect(doc, doc.dereference(kid)?.1, depth + 1, out)?;
        }
    }
    if let Ok(pairs) = node.get_deref(b"Names", doc).and_then(Object::as_array) {
        for pair in pairs.chunks(2) {
            let [name, spec] = pair else { continue };
            let name = text(doc.dereference(name)?.1.as_str()?);
            let spec = doc.dereference(spec)?.1.as_dict()?;
            let stream = spec
                .get_deref(b"EF", doc)?
                .as_dict()?
                .get_deref(b"F", doc)?
                .as_stream()?;
            let data = if stream.dict.get(b"Filter").is_ok() {
                stream.decompressed_content_with_limit(MAX_ATTACHMENT)?
            } else {
                stream.content.clone()
            };
            out.insert(name, data);
        }
    }
    Ok(())
}

/// A PDF text string: UTF-16BE after its byte order mark, else read as Latin-1 (names here
/// are ASCII).
fn text(bytes: &[u8]) -> String {
    match bytes {
        [0xFE, 0xFF, rest @ ..] => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_that_are_not_summaries_are_refused_without_a_panic() {
        for file in [
            &b""[..],
            b"%PDF-1.7\n",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog /Names 1 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
            b"{\"digest\":\"00\"}",
        ] {
            let answer = carried(file);
            assert!(matches!(answer, Err(ReportError::NotAReport(_))), "{file:?}");
        }
    }

    /// A small PDF carrying `data` as the summary's JSON, as krilla writes it.
    fn carrying(data: &[u8]) -> Vec<u8> {
        use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
        let mut doc = krilla::Document::new();
        let settings = krilla::page::PageSettings::from_wh(200.0, 200.0).expect("a size");
        doc.start_page_with(settings).finish();
        doc.embed_file(EmbeddedFile {
            path: DOCUMENT.to_string(),
            mime_type: MimeType::new("application/json"),
            description: None,
            association_kind: AssociationKind::Source,
            data: data.to_vec().into(),
            modification_date: None,
            compress: Some(true),
            location: None,
        })
        .expect("embedded");
        doc.finish().expect("a PDF")
    }

    #[test]
    fn attachments_are_found_through_the_structure_compressed_or_not() {
        let pdf = carrying(b"{\"digest\":\"ab\"}");
        let files = attachments(&pdf).expect("read");
        assert_eq!(
            files.get(DOCUMENT).map(Vec::as_slice),
            Some(&b"{\"digest\":\"ab\"}"[..])
        );
        let got = carried(&pdf).expect("carried");
        assert!(got.seal.is_none());
    }

    #[test]
    fn a_damaged_pdf_is_an_error_never_a_panic() {
        let pdf = carrying(&[b'x'; 3000]);
        // Cut short at many lengths, and bytes changed at many places.
        for len in (0..pdf.len()).step_by(37) {
            let _ = attachments(&pdf[..len]);
        }
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..400 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut damaged = pdf.clone();
            let at = usize::try_from(state % pdf.len() as u64).unwrap_or(0);
            damaged[at] = (state >> 32) as u8;
            let _ = attachments(&damaged);
        }
    }

    #[test]
    fn utf16_names_are_read() {
        assert_eq!(text(&[0xFE, 0xFF, 0, b'a', 0, b'b']), "ab");
        assert_eq!(text(b"compliance-summary.json"), DOCUMENT);
    }
}
