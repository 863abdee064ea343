//! The key the service signs compliance summaries with: the agency's own (a PEM certificate
//! and PKCS#8 Ed25519 or ECDSA P-256 key, by `--signing-certificate` and `--signing-key`), or one made on
//! first start and kept beside the database, so a court always receives signed summaries.
//!
//! A made key is printed once with its fingerprint, and served at
//! `GET /api/v1/report-signing`, for the probation service to give the courts.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use report::seal::SigningKey;
use store::StoreLocation;

use crate::config::{DEFAULT_DATA_DIR, FileConfig};

/// `--signing-certificate` / `--signing-key`, taken by `serve` and `report`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct SigningArgs {
    /// The certificate (PEM) of the key that signs compliance summaries [default: one made on
    /// first start, in the data directory's `signing/`]
    #[arg(long, env = "SARGS_SIGNING_CERTIFICATE", value_name = "FILE")]
    pub signing_certificate: Option<PathBuf>,
    /// Its private key (PKCS#8 PEM, Ed25519 or ECDSA P-256)
    #[arg(long, env = "SARGS_SIGNING_KEY", value_name = "FILE")]
    pub signing_key: Option<PathBuf>,
}

/// Where a key made on first start is kept.
const MADE_DIR: &str = "signing";
const CERTIFICATE_FILE: &str = "certificate.pem";
const KEY_FILE: &str = "key.pem";
/// Who a made certificate names.
const SUBJECT: &str = "sargs compliance summaries";

impl SigningArgs {
    /// The signing key: the configured one, else the one kept beside the data, made now if
    /// there is none yet.
    pub fn load(&self, file: &FileConfig, storage: &StoreLocation) -> anyhow::Result<SigningKey> {
        self.find(file, storage, true)?
            .context("no signing key is configured or kept")
    }

    /// The signing key, if one is configured or kept; made now only if `make`.
    pub fn find(
        &self,
        file: &FileConfig,
        storage: &StoreLocation,
        make: bool,
    ) -> anyhow::Result<Option<SigningKey>> {
        let certificate = self
            .signing_certificate
            .clone()
            .or_else(|| file.signing_certificate.clone());
        let key = self
            .signing_key
            .clone()
            .or_else(|| file.signing_key.clone());
        match (certificate, key) {
            (Some(certificate), Some(key)) => read(&certificate, &key).map(Some),
            (None, None) => {
                let dir = match storage {
                    StoreLocation::DataDir(dir) => dir.join(MADE_DIR),
                    _ => Path::new(DEFAULT_DATA_DIR).join(MADE_DIR),
                };
                kept_or_made(&dir, make)
            }
            _ => bail!("give both --signing-certificate and --signing-key, or neither"),
        }
    }
}

fn read(certificate: &Path, key: &Path) -> anyhow::Result<SigningKey> {
    let cert_text = std::fs::read_to_string(certificate)
        .with_context(|| format!("reading the signing certificate {}", certificate.display()))?;
    let key_text = std::fs::read_to_string(key)
        .with_context(|| format!("reading the signing key {}", key.display()))?;
    SigningKey::from_pem(&cert_text, &key_text).with_context(|| {
        format!(
            "the signing key {} with its certificate {}",
            key.display(),
            certificate.display()
        )
    })
}

fn kept_or_made(dir: &Path, make: bool) -> anyhow::Result<Option<SigningKey>> {
    let (certificate, key) = (dir.join(CERTIFICATE_FILE), dir.join(KEY_FILE));
    if certificate.exists() || key.exists() {
        return read(&certificate, &key).map(Some);
    }
    if !make {
        return Ok(None);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let (made, key_pem) = SigningKey::generate(SUBJECT, now)?;
    // Written beside, then moved into place whole: two processes starting together (two test
    // services on one database) end up with one key, the first to arrive, and neither ever
    // reads half a key.
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let beside = parent.join(format!(".{MADE_DIR}-{}", std::process::id()));
    std::fs::create_dir_all(&beside).with_context(|| format!("creating {}", beside.display()))?;
    write_private(&beside.join(KEY_FILE), &key_pem)?;
    std::fs::write(beside.join(CERTIFICATE_FILE), made.certificate_pem())
        .with_context(|| format!("writing {}", beside.display()))?;
    if std::fs::rename(&beside, dir).is_err() {
        // Another process made one first: use it.
        let _ = std::fs::remove_dir_all(&beside);
        return read(&certificate, &key).map(Some);
    }
    let signer = made.signer();
    // Printed, not only logged: whoever starts the service first gives this to the courts. On
    // stderr: stdout's first line is `serve`'s ready line, which scripts read.
    eprintln!(
        "sargs: made a key to sign compliance summaries, kept in {}\n\
         its certificate's SHA-256 fingerprint: {}\n{}",
        dir.display(),
        signer.fingerprint,
        made.public_key_pem()?
    );
    tracing::info!(fingerprint = %signer.fingerprint, dir = %dir.display(), "signing key made");
    Ok(Some(made))
}

/// Writes a private key readable by its owner only.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_then_kept() {
        let dir = tempfile::tempdir().unwrap();
        let storage = StoreLocation::DataDir(dir.path().to_path_buf());
        let args = SigningArgs::default();
        let file = FileConfig::default();
        assert!(args.find(&file, &storage, false).unwrap().is_none());
        let first = args.load(&file, &storage).unwrap();
        let again = args.load(&file, &storage).unwrap();
        assert_eq!(first.certificate_pem(), again.certificate_pem());
        let key = dir.path().join(MADE_DIR).join(KEY_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key is readable by its owner only");
        }
        // Configured files win; one without the other is an error.
        let configured = SigningArgs {
            signing_certificate: Some(dir.path().join(MADE_DIR).join(CERTIFICATE_FILE)),
            signing_key: Some(key.clone()),
        };
        let same = configured.load(&file, &storage).unwrap();
        assert_eq!(same.certificate_pem(), first.certificate_pem());
        let half = SigningArgs {
            signing_key: Some(key),
            ..SigningArgs::default()
        };
        assert!(half.load(&file, &storage).is_err());
        // A certificate without its key is not silently replaced.
        std::fs::remove_file(dir.path().join(MADE_DIR).join(KEY_FILE)).unwrap();
        assert!(args.load(&file, &storage).is_err());
    }
}
