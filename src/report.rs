//! `sargs report`: the court compliance summary of one order over a period, as a signed PDF or
//! as JSON, and `sargs report verify`, which checks a summary's signature and that its pages
//! say what its JSON says, from the file alone, and, with the store, whether it still matches
//! the stored data.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use report::seal::Trust;
use report::verify::SignatureCheck;
use report::{Lang, Params};
use store::StoreLocation;

use crate::config::FileConfig;
use crate::signing::SigningArgs;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: Option<ReportCommand>,
    /// The order
    #[arg(long)]
    order: Option<i64>,
    /// The first day (YYYY-MM-DD, in the order's time zone)
    #[arg(long)]
    from: Option<String>,
    /// The last day, inclusive
    #[arg(long)]
    to: Option<String>,
    /// lv or en
    #[arg(long, default_value = "lv", value_parser = parse_lang)]
    lang: Lang,
    /// pdf, json or case [default: from the file's name: .case.json, .json, else pdf]
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Where to write it
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Check a summary: its signature, that its pages are what its JSON gives, and (unless
    /// --file-only) that the stored data still give the same report; exits non-zero if any
    /// check fails
    Verify {
        file: PathBuf,
        /// The service's public key (PEM) to check the signature with, before any trust anchor
        /// [default: the certificate of this service's own signing key]
        #[arg(long, value_name = "PEM")]
        public_key: Option<PathBuf>,
        /// A certificate (PEM) the signer's certificate must be, or be issued by: the
        /// agency's certificate authority, configured once by the environment
        #[arg(long, env = "SARGS_TRUST_ANCHOR", value_name = "PEM")]
        trust_anchor: Option<PathBuf>,
        /// Check the file alone, without the store
        #[arg(long)]
        file_only: bool,
        /// Print the verdict as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The signed PDF for the court
    Pdf,
    /// The exchange JSON the PDF carries
    Json,
    /// The figures for case systems (E-lieta), docs/case-export.schema.json
    Case,
}

fn parse_lang(text: &str) -> Result<Lang, String> {
    Lang::parse(text).ok_or_else(|| "lv or en".to_string())
}

fn parse_date(flag: &str, text: Option<&str>) -> anyhow::Result<NaiveDate> {
    let text = text.with_context(|| format!("--{flag} is required (YYYY-MM-DD)"))?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("invalid --{flag} {text:?}: expected a date as YYYY-MM-DD"))
}

fn format_of(format: Option<Format>, out: &Path) -> Format {
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    format.unwrap_or(if name.ends_with(".case.json") {
        Format::Case
    } else if name.ends_with(".json") {
        Format::Json
    } else {
        Format::Pdf
    })
}

/// What `sargs report` needs besides its flags: the store (opened by the caller only when the
/// command needs it) and the signing key.
pub struct Needs<'a> {
    pub storage: &'a StoreLocation,
    pub file: &'a FileConfig,
    pub signing: &'a SigningArgs,
}

/// Whether the command reads the store: all but `verify --file-only`.
pub fn needs_store(args: &ReportArgs) -> bool {
    !matches!(
        args.command,
        Some(ReportCommand::Verify {
            file_only: true,
            ..
        })
    )
}

pub async fn run(
    stores: Option<(&cases::Cases, &ingest::store::Telemetry)>,
    needs: Needs<'_>,
    args: ReportArgs,
) -> anyhow::Result<()> {
    if let Some(ReportCommand::Verify {
        file,
        public_key,
        trust_anchor,
        file_only: _,
        json,
    }) = args.command
    {
        let own = needs.signing.find(needs.file, needs.storage, false)?;
        let read = |path: &Path| {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
        };
        let public_key = public_key.as_deref().map(read).transpose()?;
        let anchor = match (&trust_anchor, &public_key, &own) {
            (Some(path), _, _) => Some(read(path)?),
            (None, None, Some(own)) => Some(own.certificate_pem().to_string()),
            _ => None,
        };
        let trust = match (&public_key, &anchor) {
            (Some(key), _) => Some(Trust::PublicKey(key)),
            (None, Some(anchor)) => Some(Trust::Anchor(anchor)),
            (None, None) => None,
        };
        return verify(stores, &file, trust, json).await;
    }
    let (cases, store) = stores.context("the store is needed to build a summary")?;
    let order = args.order.context("--order is required")?;
    let out = args.out.context("--out FILE is required")?;
    let params = Params {
        order_id: order,
        from: parse_date("from", args.from.as_deref())?,
        to: parse_date("to", args.to.as_deref())?,
        lang: args.lang,
        as_of: Some(store.store().now()),
    };
    let built = report::build(store, cases, &params).await?;
    let (bytes, digest) = match format_of(args.format, &out) {
        Format::Pdf => {
            let key = needs.signing.load(needs.file, needs.storage)?;
            let (pdf, digest) = report::to_pdf(&built, &key)?;
            // Given out from the command line too: kept in the register like the API's.
            let issued = report::issued::record(
                store.store(),
                &report::issued::NewIssued {
                    params: &built.params,
                    digest: &digest,
                    signer_fingerprint: &key.signer().fingerprint,
                    issued_by: None,
                    pdf: &pdf,
                },
            )
            .await?;
            tracing::info!(
                order_id = order,
                summary_id = issued.id,
                "signed summary recorded"
            );
            (pdf, digest)
        }
        Format::Json => report::json::document(&built)?,
        Format::Case => {
            let (export, bytes) = report::export::export(&built)?;
            (bytes, export.summary_digest)
        }
    };
    std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    tracing::info!(order_id = order, digest = %digest, "compliance summary written");
    println!("{} (SHA-256 {digest})", out.display());
    Ok(())
}

async fn verify(
    stores: Option<(&cases::Cases, &ingest::store::Telemetry)>,
    file: &Path,
    trust: Option<Trust<'_>>,
    json: bool,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let verdict = match stores {
        Some((cases, store)) => report::verify(store, cases, &bytes, trust).await,
        None => report::verify::check_file(&bytes, trust),
    }
    .with_context(|| format!("{}", file.display()))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&verdict)?);
    } else {
        let p = &verdict.params;
        println!(
            "{}: order {}, {} to {} ({}), digest {}",
            file.display(),
            p.order_id,
            p.from,
            p.to,
            p.lang.as_str(),
            verdict.file_digest
        );
        match &verdict.signature {
            SignatureCheck::Holds { signer } => println!(
                "signature: holds, signed by {} (certificate SHA-256 {})",
                signer.subject, signer.fingerprint
            ),
            SignatureCheck::Fails { reason } => println!("signature: FAILS: {reason}"),
            SignatureCheck::Unsigned => println!("signature: none"),
            SignatureCheck::NotChecked => {
                println!("signature: not checked (give --public-key or --trust-anchor)")
            }
        }
        match verdict.pages_match_json {
            Some(true) => println!("pages: what the summary's JSON gives, byte for byte"),
            Some(false) => println!("pages: NOT what the summary's JSON gives"),
            None => {}
        }
        if let Some(stored) = &verdict.stored_digest {
            if *stored == verdict.file_digest {
                println!("stored data: give this summary again (digest {stored})");
            } else {
                println!("stored data: now give digest {stored}");
            }
        }
        for d in &verdict.differences {
            println!("  {}: {}", d.place(), d.what);
        }
        if verdict.identical {
            println!("verified");
        }
    }
    if !verdict.identical {
        bail!(
            "{} did not pass ({} finding(s))",
            file.display(),
            verdict.differences.len()
        );
    }
    Ok(())
}
