//! `sargs report`: the court compliance summary of one order over a period, as a PDF or as
//! JSON, and `sargs report verify`, which says whether a summary still matches the stored data.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use report::{Lang, Params};

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
    /// pdf or json [default: from the file's extension, else pdf]
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Where to write it
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Build the summary in a PDF (or its JSON) again from the stored data and say whether anything differs;
    /// exits non-zero if it does or the file was altered
    Verify {
        file: PathBuf,
        /// Print the verdict as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Pdf,
    Json,
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
    format.unwrap_or_else(|| match out.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
        _ => Format::Pdf,
    })
}

pub async fn run(
    cases: &cases::Cases,
    store: &ingest::store::Telemetry,
    args: ReportArgs,
) -> anyhow::Result<()> {
    if let Some(ReportCommand::Verify { file, json }) = args.command {
        return verify(cases, store, &file, json).await;
    }
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
        Format::Pdf => report::to_pdf(&built)?,
        Format::Json => report::json::document(&built)?,
    };
    std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    tracing::info!(order_id = order, digest = %digest, "compliance summary written");
    println!("{} (SHA-256 {digest})", out.display());
    Ok(())
}

async fn verify(
    cases: &cases::Cases,
    store: &ingest::store::Telemetry,
    file: &Path,
    json: bool,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let verdict = report::verify(store, cases, &bytes)
        .await
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
        if verdict.identical {
            println!("identical: the stored data give this document byte for byte");
        } else {
            if verdict.file_digest != verdict.stored_digest {
                println!(
                    "digest mismatch: the stored data now give {}",
                    verdict.stored_digest
                );
            }
            for d in &verdict.differences {
                println!("  {}: {}", d.place, d.what);
            }
        }
    }
    if !verdict.identical {
        bail!(
            "{} does not match the stored data ({} difference(s))",
            file.display(),
            verdict.differences.len()
        );
    }
    Ok(())
}
