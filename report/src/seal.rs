//! The summary's seal: the service's signature over the exact bytes of the exchange JSON a PDF
//! carries, and the X.509 certificate of the key that made it. The key is Ed25519 (what sargs
//! makes, and deterministic: the same data give the same bytes) or ECDSA P-256 with SHA-256
//! (what an agency's certificate authority commonly issues; its signatures are randomised, so
//! two files of the same summary differ in their signature bytes).
//!
//! A court checks a summary with nothing but the file and the service's public key (or the
//! certificate of the authority that issued the service's certificate): the signature shows
//! the JSON is the service's and unchanged, and the PDF, being a pure function of that JSON,
//! shows the same. Ed25519 signatures are deterministic, so the same data still give the same
//! bytes. The same checks can be made with openssl alone (docs/report.md).
//!
//! Pure: no files and no clock; the binary reads or writes the key files and passes the time
//! a new certificate starts.

use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, ED25519, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair as _, UnparsedPublicKey, VerificationAlgorithm,
};
use sha2::{Digest as _, Sha256};
use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_SIG_ED25519};
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::SubjectPublicKeyInfo;

/// Why a key could not be used, or a seal does not hold.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// A key or certificate that cannot be read or used.
    #[error("{0}")]
    Key(String),
    /// The signature is not the named key's over this document.
    #[error(
        "the signature does not hold: the summary was changed after it was signed, or it was signed by another key"
    )]
    BadSignature,
    /// The signer is not the key or authority the verifier trusts.
    #[error("{0}")]
    Untrusted(String),
}

/// The service's signing key with its certificate.
pub struct SigningKey {
    pair: Pair,
    certificate_pem: String,
    certificate_der: Vec<u8>,
    /// Who the certificate names, read once.
    signer: Signer,
}

/// The private key, of one of the kinds a seal may be made with.
enum Pair {
    Ed25519(Ed25519KeyPair),
    EcdsaP256(EcdsaKeyPair, SystemRandom),
}

impl Pair {
    /// A PKCS#8 key of either kind.
    fn from_pkcs8(der: &[u8]) -> Result<Pair, SealError> {
        if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Ok(Pair::Ed25519(pair));
        }
        let rng = SystemRandom::new();
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der, &rng)
            .map(|pair| Pair::EcdsaP256(pair, rng))
            .map_err(|_| {
                SealError::Key(
                    "the key is neither an Ed25519 nor an ECDSA P-256 private key".into(),
                )
            })
    }

    fn public_key(&self) -> &[u8] {
        match self {
            Pair::Ed25519(pair) => pair.public_key().as_ref(),
            Pair::EcdsaP256(pair, _) => pair.public_key().as_ref(),
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SealError> {
        match self {
            Pair::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            Pair::EcdsaP256(pair, rng) => pair
                .sign(rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| SealError::Key("the ECDSA key could not sign".into())),
        }
    }
}

/// How signatures by the key a certificate names are checked, if it is of a kind seals use.
fn verification(key: &SubjectPublicKeyInfo<'_>) -> Option<&'static dyn VerificationAlgorithm> {
    let algorithm = &key.algorithm;
    if algorithm.algorithm == OID_SIG_ED25519 {
        return Some(&ED25519);
    }
    let curve = algorithm.parameters.as_ref()?.as_oid().ok()?;
    (algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY && curve == OID_EC_P256)
        .then_some(&ECDSA_P256_SHA256_ASN1 as &'static dyn VerificationAlgorithm)
}

/// A signature with the certificate of the key that made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seal {
    /// The raw signature over the exchange JSON's bytes: Ed25519's 64 bytes, or ECDSA's DER
    /// (as `openssl dgst -sha256 -sign` writes it).
    pub signature: Vec<u8>,
    /// The signer's certificate, PEM.
    pub certificate_pem: String,
}

impl Seal {
    /// Who made it, as its certificate says (not checked: see [`check`]).
    pub fn signer(&self) -> Result<Signer, SealError> {
        signer_of(&certificate_der(&self.certificate_pem)?)
    }
}

/// What a verifier trusts.
#[derive(Clone, Copy, Debug)]
pub enum Trust<'a> {
    /// The service's public key, PEM (`-----BEGIN PUBLIC KEY-----`, as served and printed).
    PublicKey(&'a str),
    /// A certificate, PEM: the signer's own, or that of the authority that issued it.
    Anchor(&'a str),
}

/// Who signed, as a verifier reports it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Signer {
    /// The certificate's subject, as text.
    pub subject: String,
    /// The SHA-256 fingerprint of the certificate, as `openssl x509 -fingerprint -sha256`
    /// prints it.
    pub fingerprint: String,
}

impl SigningKey {
    /// The key of a PEM certificate and its PKCS#8 private key (`-----BEGIN PRIVATE KEY-----`,
    /// as `openssl genpkey -algorithm ed25519` writes it); refused unless the certificate is
    /// the key's.
    pub fn from_pem(certificate_pem: &str, key_pem: &str) -> Result<SigningKey, SealError> {
        let key = pem::parse(key_pem).map_err(|e| SealError::Key(format!("the key: {e}")))?;
        if key.tag() != "PRIVATE KEY" {
            return Err(SealError::Key(format!(
                "the key is a {:?}, not a PKCS#8 PRIVATE KEY",
                key.tag()
            )));
        }
        let pair = Pair::from_pkcs8(key.contents())?;
        let certificate_der = certificate_der(certificate_pem)?;
        let (_, cert) = X509Certificate::from_der(&certificate_der)
            .map_err(|e| SealError::Key(format!("the certificate: {e}")))?;
        if cert.public_key().subject_public_key.data.as_ref() != pair.public_key() {
            return Err(SealError::Key(
                "the certificate is not the private key's: it names another public key".into(),
            ));
        }
        Ok(SigningKey {
            pair,
            certificate_pem: pem_text("CERTIFICATE", certificate_der.clone()),
            signer: signer_of(&certificate_der)?,
            certificate_der,
        })
    }

    /// A new key with a self-signed certificate naming `subject`, valid for ten years from
    /// `not_before_s` (seconds since the epoch); with the key's PKCS#8 PEM, to keep.
    pub fn generate(subject: &str, not_before_s: i64) -> Result<(SigningKey, String), SealError> {
        let fail = |e: rcgen::Error| SealError::Key(format!("making a key: {e}"));
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(fail)?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, subject);
        let start = rcgen::date_time_ymd(1970, 1, 1)
            + std::time::Duration::from_secs(not_before_s.max(0).unsigned_abs());
        params.not_before = start;
        params.not_after = start + std::time::Duration::from_secs(10 * 366 * 86_400);
        let cert = params.self_signed(&key).map_err(fail)?;
        let key_pem = key.serialize_pem();
        Ok((SigningKey::from_pem(&cert.pem(), &key_pem)?, key_pem))
    }

    /// Signs the exchange JSON's bytes.
    pub fn sign(&self, document: &[u8]) -> Result<Seal, SealError> {
        Ok(Seal {
            signature: self.pair.sign(document)?,
            certificate_pem: self.certificate_pem.clone(),
        })
    }

    /// The signature's algorithm, as the API names it: `Ed25519` or `ECDSA P-256 SHA-256`.
    pub fn algorithm(&self) -> &'static str {
        match self.pair {
            Pair::Ed25519(_) => "Ed25519",
            Pair::EcdsaP256(..) => "ECDSA P-256 SHA-256",
        }
    }

    /// The certificate, PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The public key, PEM (SubjectPublicKeyInfo), as `--public-key` takes it.
    pub fn public_key_pem(&self) -> Result<String, SealError> {
        let (_, cert) = X509Certificate::from_der(&self.certificate_der)
            .map_err(|e| SealError::Key(format!("the certificate: {e}")))?;
        Ok(pem_text("PUBLIC KEY", cert.public_key().raw.to_vec()))
    }

    /// Who signs with this key.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }
}

/// Checks that `seal` is a signature over `document` by a key `trust` accepts, and says whose.
pub fn check(document: &[u8], seal: &Seal, trust: Trust<'_>) -> Result<Signer, SealError> {
    let der = certificate_der(&seal.certificate_pem)?;
    let (_, cert) = X509Certificate::from_der(&der)
        .map_err(|e| SealError::Key(format!("the certificate in the file: {e}")))?;
    let key = cert.public_key();
    let algorithm = verification(key).ok_or_else(|| {
        SealError::Key("the certificate in the file is not of an Ed25519 or ECDSA P-256 key".into())
    })?;
    UnparsedPublicKey::new(algorithm, key.subject_public_key.data.as_ref())
        .verify(document, &seal.signature)
        .map_err(|_| SealError::BadSignature)?;
    match trust {
        Trust::PublicKey(text) => {
            let trusted = pem::parse(text)
                .map_err(|e| SealError::Key(format!("the public key given: {e}")))?;
            if trusted.tag() != "PUBLIC KEY" {
                return Err(SealError::Key(format!(
                    "the public key given is a {:?}, not a PUBLIC KEY",
                    trusted.tag()
                )));
            }
            if trusted.contents() != key.raw {
                return Err(SealError::Untrusted(
                    "signed by another key than the public key given".into(),
                ));
            }
        }
        Trust::Anchor(text) => {
            let anchor_der = certificate_der(text)?;
            let (_, anchor) = X509Certificate::from_der(&anchor_der)
                .map_err(|e| SealError::Key(format!("the trust anchor: {e}")))?;
            let issued = anchor_der == der
                || (cert.issuer() == anchor.subject()
                    && cert.verify_signature(Some(anchor.public_key())).is_ok());
            if !issued {
                return Err(SealError::Untrusted(
                    "the signer's certificate is neither the trust anchor nor issued by it".into(),
                ));
            }
        }
    }
    signer_of(&der)
}

/// The public key a PEM public key or certificate names, as SubjectPublicKeyInfo DER: to
/// compare keys given either way.
pub fn public_key_der(text: &str) -> Result<Vec<u8>, SealError> {
    let parsed = pem::parse(text).map_err(|e| SealError::Key(e.to_string()))?;
    match parsed.tag() {
        "PUBLIC KEY" => {
            SubjectPublicKeyInfo::from_der(parsed.contents())
                .map_err(|e| SealError::Key(e.to_string()))?;
            Ok(parsed.contents().to_vec())
        }
        "CERTIFICATE" => {
            let (_, cert) = X509Certificate::from_der(parsed.contents())
                .map_err(|e| SealError::Key(e.to_string()))?;
            Ok(cert.public_key().raw.to_vec())
        }
        other => Err(SealError::Key(format!(
            "a {other:?}, not a PUBLIC KEY or CERTIFICATE"
        ))),
    }
}

/// PEM as openssl writes it (LF line ends), so that a court can compare files with `cmp`.
fn pem_text(tag: &str, der: Vec<u8>) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(tag, der), config)
}

fn certificate_der(text: &str) -> Result<Vec<u8>, SealError> {
    let parsed = pem::parse(text).map_err(|e| SealError::Key(format!("a certificate: {e}")))?;
    if parsed.tag() != "CERTIFICATE" {
        return Err(SealError::Key(format!(
            "a {:?}, not a CERTIFICATE",
            parsed.tag()
        )));
    }
    Ok(parsed.into_contents())
}

fn signer_of(der: &[u8]) -> Result<Signer, SealError> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| SealError::Key(format!("certificate: {e}")))?;
    let fingerprint = Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    Ok(Signer {
        subject: cert.subject().to_string(),
        fingerprint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_000_000;

    #[test]
    fn a_seal_holds_for_its_document_and_key_only() {
        let (key, key_pem) = SigningKey::generate("sargs test", NOW).unwrap();
        let seal = key.sign(b"{\"digest\":\"ab\"}").unwrap();
        let public = key.public_key_pem().unwrap();
        let signer = check(b"{\"digest\":\"ab\"}", &seal, Trust::PublicKey(&public)).unwrap();
        assert_eq!(signer.subject, "CN=sargs test");
        assert_eq!(signer.fingerprint.len(), 32 * 3 - 1);
        check(
            b"{\"digest\":\"ab\"}",
            &seal,
            Trust::Anchor(key.certificate_pem()),
        )
        .unwrap();
        // Another document, another key, a key that does not match its certificate.
        assert!(matches!(
            check(b"{\"digest\":\"ac\"}", &seal, Trust::PublicKey(&public)),
            Err(SealError::BadSignature)
        ));
        let (other, other_key_pem) = SigningKey::generate("sargs test", NOW).unwrap();
        let other_public = other.public_key_pem().unwrap();
        assert!(matches!(
            check(
                b"{\"digest\":\"ab\"}",
                &seal,
                Trust::PublicKey(&other_public)
            ),
            Err(SealError::Untrusted(_))
        ));
        assert!(matches!(
            check(
                b"{\"digest\":\"ab\"}",
                &seal,
                Trust::Anchor(other.certificate_pem())
            ),
            Err(SealError::Untrusted(_))
        ));
        assert!(SigningKey::from_pem(other.certificate_pem(), &key_pem).is_err());
        SigningKey::from_pem(other.certificate_pem(), &other_key_pem).unwrap();
        // Signatures are deterministic: the same data, the same bytes.
        assert_eq!(key.sign(b"x").unwrap(), key.sign(b"x").unwrap());
    }

    /// An agency's certificate authority of `alg`, as PEM, and a key of the same kind with a
    /// certificate it issued, for sargs to sign with.
    fn issued_by_an_agency_ca(alg: &'static rcgen::SignatureAlgorithm) -> (String, SigningKey) {
        let ca_key = rcgen::KeyPair::generate_for(alg).unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Probation service CA");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = rcgen::KeyPair::generate_for(alg).unwrap();
        let mut leaf_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        leaf_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "sargs");
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        let key = SigningKey::from_pem(&leaf.pem(), &leaf_key.serialize_pem()).unwrap();
        (ca.pem(), key)
    }

    #[test]
    fn a_certificate_issued_by_the_anchor_is_trusted() {
        let (ca, key) = issued_by_an_agency_ca(&rcgen::PKCS_ED25519);
        let seal = key.sign(b"doc").unwrap();
        check(b"doc", &seal, Trust::Anchor(&ca)).unwrap();
        // A self-made certificate with the CA's name is not the CA's.
        let (impostor, _) = SigningKey::generate("Probation service CA", NOW).unwrap();
        assert!(check(b"doc", &seal, Trust::Anchor(impostor.certificate_pem())).is_err());
    }

    #[test]
    fn an_ecdsa_p256_key_from_an_agency_ca_seals_too() {
        let (ca, key) = issued_by_an_agency_ca(&rcgen::PKCS_ECDSA_P256_SHA256);
        assert_eq!(key.algorithm(), "ECDSA P-256 SHA-256");
        let seal = key.sign(b"doc").unwrap();
        check(b"doc", &seal, Trust::Anchor(&ca)).unwrap();
        let public = key.public_key_pem().unwrap();
        check(b"doc", &seal, Trust::PublicKey(&public)).unwrap();
        assert!(matches!(
            check(b"dog", &seal, Trust::PublicKey(&public)),
            Err(SealError::BadSignature)
        ));
        // The court's openssl step for an ECDSA key, as docs/report.md gives it.
        let dir = std::env::temp_dir().join(format!("sargs-seal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("compliance-summary.json"), b"doc").unwrap();
        std::fs::write(dir.join("compliance-summary.json.sig"), &seal.signature).unwrap();
        std::fs::write(dir.join("service-public-key.pem"), &public).unwrap();
        let verified = std::process::Command::new("openssl")
            .args([
                "dgst",
                "-sha256",
                "-verify",
                "service-public-key.pem",
                "-signature",
                "compliance-summary.json.sig",
                "compliance-summary.json",
            ])
            .current_dir(&dir)
            .output();
        let _ = std::fs::remove_dir_all(&dir);
        match verified {
            Ok(out) => assert!(
                out.status.success()
                    && String::from_utf8_lossy(&out.stdout).contains("Verified OK"),
                "{out:?}"
            ),
            Err(e) => eprintln!("skipped the openssl step: openssl cannot be run ({e})"),
        }
    }

    #[test]
    fn keys_of_other_kinds_or_not_pem_are_refused() {
        let (key, _) = SigningKey::generate("sargs", NOW).unwrap();
        assert_eq!(key.algorithm(), "Ed25519");
        let p384 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
        assert!(SigningKey::from_pem(key.certificate_pem(), &p384.serialize_pem()).is_err());
        let p256 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        // A key that is not the certificate's.
        assert!(SigningKey::from_pem(key.certificate_pem(), &p256.serialize_pem()).is_err());
        assert!(SigningKey::from_pem("not pem", "not pem").is_err());
        assert!(public_key_der("-----BEGIN X-----\nAAAA\n-----END X-----\n").is_err());
        assert_eq!(
            public_key_der(key.certificate_pem()).unwrap(),
            public_key_der(&key.public_key_pem().unwrap()).unwrap()
        );
    }
}
