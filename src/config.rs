//! Configuration: command-line flags, `SARGS_*` environment variables and a TOML file.
//!
//! Precedence is flag, then environment (clap reads both), then the file, then the default.
//! The file uses the flags' names (`data-dir = "..."`) and rejects unknown keys, so a typo is an
//! error at start-up rather than a setting silently ignored.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ingest::mqtt::BrokerAddress;
use ingest::serial::SerialSpec;
use ingest::writer::WriterOptions;
use serde::Deserialize;
use store::StoreLocation;

pub const DEFAULT_DATA_DIR: &str = "./sargs-data";
pub const DEFAULT_MQTT_LISTEN: &str = "127.0.0.1:1883";
pub const DEFAULT_HTTP: &str = "127.0.0.1:8080";

/// The configuration file. Every key is optional and named as its flag.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub mqtt_listen: Option<SocketAddr>,
    pub mqtt_url: Option<String>,
    pub serial: Option<Vec<String>>,
    pub teltonika_listen: Option<SocketAddr>,
    pub osmand_listen: Option<SocketAddr>,
    pub traccar_listen: Option<SocketAddr>,
    pub traccar_token: Option<String>,
    pub http: Option<SocketAddr>,
    pub max_batch: Option<usize>,
    pub seq_gap_timeout: Option<u64>,
    pub secure_cookies: Option<bool>,
    pub map_tiles: Option<String>,
    pub log: Option<String>,
    pub signing_certificate: Option<PathBuf>,
    pub signing_key: Option<PathBuf>,
    /// The `[alerts]` table: severities, escalation, duty leads, the wearer's notices.
    pub alerts: Option<alerts::AlertsConfig>,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        FileConfig::parse(&text).with_context(|| format!("invalid config file {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<FileConfig> {
        Ok(toml::from_str(text)?)
    }
}

/// `--data-dir` / `--database-url`, taken by every command that touches storage.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct StorageArgs {
    /// Directory of the embedded SQLite database [default: ./sargs-data]
    #[arg(long, global = true, env = "SARGS_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Use this database instead (postgres://USER@HOST/DB, or sqlite://FILE)
    #[arg(
        long,
        global = true,
        env = "SARGS_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
}

impl StorageArgs {
    pub fn location(&self, file: &FileConfig) -> anyhow::Result<StoreLocation> {
        let dir = self.data_dir.clone();
        let url = self.database_url.clone();
        match (dir, url) {
            (Some(_), Some(_)) => bail!("give either --data-dir or --database-url, not both"),
            (Some(dir), None) => Ok(StoreLocation::DataDir(dir)),
            (None, Some(url)) => Ok(StoreLocation::Url(url)),
            (None, None) => match (&file.data_dir, &file.database_url) {
                (Some(_), Some(_)) => {
                    bail!("the config file sets both data-dir and database-url; keep one")
                }
                (Some(dir), None) => Ok(StoreLocation::DataDir(dir.clone())),
                (None, Some(url)) => Ok(StoreLocation::Url(url.clone())),
                (None, None) => Ok(StoreLocation::DataDir(PathBuf::from(DEFAULT_DATA_DIR))),
            },
        }
    }
}

/// The flags of `sargs serve`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ServeArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Address of the embedded MQTT broker [default: 127.0.0.1:1883]; port 0 picks a free port
    #[arg(long, env = "SARGS_MQTT_LISTEN", value_name = "ADDR")]
    pub mqtt_listen: Option<SocketAddr>,
    /// Use an external broker instead of the embedded one (mqtt://HOST:PORT)
    #[arg(long, env = "SARGS_MQTT_URL", value_name = "URL")]
    pub mqtt_url: Option<String>,
    /// Read frames from a serial line, PATH[@BAUD] (repeatable; baud defaults to 115200)
    #[arg(
        long = "serial",
        env = "SARGS_SERIAL",
        value_name = "PATH[@BAUD]",
        value_delimiter = ','
    )]
    pub serial: Vec<String>,
    /// Take Teltonika trackers' TCP connections (Codec 8 and 8 Extended) on this address
    /// [default: off]; trackers are registered by IMEI (`sargs devices add --imei`)
    #[arg(long, env = "SARGS_TELTONIKA_LISTEN", value_name = "ADDR")]
    pub teltonika_listen: Option<SocketAddr>,
    /// Take OsmAnd positions over HTTP (Traccar Client on phones, many trackers) on this
    /// address [default: off]; devices are registered with an id and a token
    /// (`sargs devices add --osmand-id`)
    #[arg(long, env = "SARGS_OSMAND_LISTEN", value_name = "ADDR")]
    pub osmand_listen: Option<SocketAddr>,
    /// Take positions forwarded by a Traccar server (forward.type=json to /positions,
    /// event.forward.type=json to /events) on this address [default: off]; needs
    /// --traccar-token
    #[arg(long, env = "SARGS_TRACCAR_LISTEN", value_name = "ADDR")]
    pub traccar_listen: Option<SocketAddr>,
    /// The token Traccar sends (forward.header = Authorization: Bearer TOKEN)
    #[arg(
        long,
        env = "SARGS_TRACCAR_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub traccar_token: Option<String>,
    /// Address of the HTTP server (/metrics) [default: 127.0.0.1:8080]; port 0 picks a free port
    #[arg(long, env = "SARGS_HTTP", value_name = "ADDR")]
    pub http: Option<SocketAddr>,
    /// Most frames in one commit [default: 4096]
    #[arg(long, env = "SARGS_MAX_BATCH", value_name = "N")]
    pub max_batch: Option<usize>,
    /// Seconds a hole in a device's sequence may stay open before it is reported and skipped
    /// [default: 120]
    #[arg(long, env = "SARGS_SEQ_GAP_TIMEOUT", value_name = "SECONDS")]
    pub seq_gap_timeout: Option<u64>,
    /// Mark the console's session cookie Secure (HTTPS only): set it when TLS is in front
    #[arg(long, env = "SARGS_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// A raster tile server for the console's map, as a URL template with {z}, {x} and {y}
    /// (https://tiles.example/{z}/{x}/{y}.png) [default: none: zones and tracks on a plain
    /// background, no request leaves the machine]
    #[arg(long, env = "SARGS_MAP_TILES", value_name = "URL")]
    pub map_tiles: Option<String>,
    #[command(flatten)]
    pub signing: crate::signing::SigningArgs,
}

/// How to reach MQTT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MqttMode {
    Embedded(SocketAddr),
    External(BrokerAddress),
}

/// Everything `serve` needs, resolved and checked.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub storage: StoreLocation,
    pub mqtt: MqttMode,
    pub serial: Vec<SerialSpec>,
    /// Where Teltonika trackers connect, if anywhere.
    pub teltonika: Option<ingest::TeltonikaOptions>,
    /// Where OsmAnd positions come, if anywhere.
    pub osmand: Option<ingest::HttpOptions>,
    /// Where Traccar forwards positions, if anywhere, and the token it sends.
    pub traccar: Option<(ingest::HttpOptions, String)>,
    pub http: SocketAddr,
    pub writer: WriterOptions,
    /// The session cookie is sent over HTTPS only.
    pub secure_cookies: bool,
    pub alerts: alerts::AlertsConfig,
    /// The console map's tile URL template, checked.
    pub map_tiles: Option<crate::console::TileTemplate>,
    /// Where the key that signs compliance summaries is (or will be made).
    pub signing: crate::signing::SigningArgs,
}

fn default_addr(text: &str) -> SocketAddr {
    text.parse()
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)))
}

impl ServeArgs {
    pub fn resolve(&self, file: &FileConfig) -> anyhow::Result<ServeConfig> {
        let storage = self.storage.location(file)?;
        let listen = self.mqtt_listen.or(file.mqtt_listen);
        let url = self.mqtt_url.clone().or_else(|| file.mqtt_url.clone());
        let mqtt = match (listen, url) {
            (Some(_), Some(_)) => bail!(
                "give either --mqtt-listen (embedded broker) or --mqtt-url (external broker), not both"
            ),
            (_, Some(url)) => MqttMode::External(BrokerAddress::parse(&url)?),
            (listen, None) => {
                MqttMode::Embedded(listen.unwrap_or_else(|| default_addr(DEFAULT_MQTT_LISTEN)))
            }
        };
        let serial_specs = if self.serial.is_empty() {
            file.serial.clone().unwrap_or_default()
        } else {
            self.serial.clone()
        };
        let serial = serial_specs
            .iter()
            .map(|s| s.parse::<SerialSpec>().map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let defaults = WriterOptions::default();
        let max_batch = self
            .max_batch
            .or(file.max_batch)
            .unwrap_or(defaults.max_batch);
        if !(1..=100_000).contains(&max_batch) {
            bail!("--max-batch must be between 1 and 100000, not {max_batch}");
        }
        let gap_timeout_s = self
            .seq_gap_timeout
            .or(file.seq_gap_timeout)
            .map_or(defaults.gap_timeout_ms / 1000, |s| s as i64);
        if !(1..=86_400).contains(&gap_timeout_s) {
            bail!("--seq-gap-timeout must be between 1 and 86400 seconds, not {gap_timeout_s}");
        }
        let traccar_token = self
            .traccar_token
            .clone()
            .or_else(|| file.traccar_token.clone());
        let traccar = match (self.traccar_listen.or(file.traccar_listen), traccar_token) {
            (None, _) => None,
            (Some(_), None) => bail!(
                "--traccar-listen needs --traccar-token (or SARGS_TRACCAR_TOKEN): a position \
                 anyone could have posted is evidence of nothing"
            ),
            (Some(_), Some(token)) if token.trim().len() < 16 => {
                bail!("--traccar-token must be at least 16 characters")
            }
            (Some(listen), Some(token)) => {
                Some((ingest::HttpOptions::new(listen), token.trim().to_string()))
            }
        };
        let mut alerts = file.alerts.clone().unwrap_or_default();
        alerts_secrets_from_env(&mut alerts, |name| std::env::var(name).ok());
        alerts.validate()?;
        Ok(ServeConfig {
            storage,
            mqtt,
            serial,
            teltonika: self
                .teltonika_listen
                .or(file.teltonika_listen)
                .map(ingest::TeltonikaOptions::new),
            osmand: self
                .osmand_listen
                .or(file.osmand_listen)
                .map(ingest::HttpOptions::new),
            traccar,
            http: self
                .http
                .or(file.http)
                .unwrap_or_else(|| default_addr(DEFAULT_HTTP)),
            writer: WriterOptions {
                max_batch,
                gap_timeout_ms: gap_timeout_s * 1000,
                ..WriterOptions::default()
            },
            secure_cookies: self.secure_cookies || file.secure_cookies.unwrap_or(false),
            alerts,
            map_tiles: self
                .map_tiles
                .clone()
                .or_else(|| file.map_tiles.clone())
                .map(|url| url.parse())
                .transpose()
                .context("--map-tiles")?,
            signing: crate::signing::SigningArgs {
                signing_certificate: self
                    .signing
                    .signing_certificate
                    .clone()
                    .or_else(|| file.signing_certificate.clone()),
                signing_key: self
                    .signing
                    .signing_key
                    .clone()
                    .or_else(|| file.signing_key.clone()),
            },
        })
    }
}

/// The channels' secrets may come from the environment rather than the file, so that the file
/// can be readable by more than the service: `SARGS_SMTP_PASSWORD`, `SARGS_WEBHOOK_SECRET`,
/// `SARGS_SMS_AUTHORIZATION`. Each fills in its channel's secret when that channel is
/// configured.
fn alerts_secrets_from_env(
    alerts: &mut alerts::AlertsConfig,
    env: impl Fn(&str) -> Option<String>,
) {
    let channels = &mut alerts.channels;
    if let (Some(email), Some(password)) = (&mut channels.email, env("SARGS_SMTP_PASSWORD")) {
        email.password = Some(password);
    }
    if let (Some(webhook), Some(secret)) = (&mut channels.webhook, env("SARGS_WEBHOOK_SECRET")) {
        webhook.secret = secret;
    }
    if let (Some(sms), Some(authorization)) = (&mut channels.sms, env("SARGS_SMS_AUTHORIZATION")) {
        sms.authorization = Some(authorization);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_nothing() {
        let config = ServeArgs::default()
            .resolve(&FileConfig::default())
            .unwrap();
        assert!(
            matches!(config.storage, StoreLocation::DataDir(ref d) if d == Path::new(DEFAULT_DATA_DIR))
        );
        assert_eq!(
            config.mqtt,
            MqttMode::Embedded(DEFAULT_MQTT_LISTEN.parse().unwrap())
        );
        assert_eq!(config.http, DEFAULT_HTTP.parse().unwrap());
        assert!(config.serial.is_empty());
        assert!(!config.secure_cookies);
    }

    #[test]
    fn secure_cookies_from_the_file_or_the_flag() {
        let file = FileConfig::parse("secure-cookies = true").unwrap();
        assert!(ServeArgs::default().resolve(&file).unwrap().secure_cookies);
        let flag = ServeArgs {
            secure_cookies: true,
            ..ServeArgs::default()
        };
        assert!(flag.resolve(&FileConfig::default()).unwrap().secure_cookies);
        assert!(FileConfig::parse("secure-cookies = \"yes\"").is_err());
    }

    #[test]
    fn map_tiles_from_the_file_or_the_flag_checked() {
        let file =
            FileConfig::parse("map-tiles = \"https://tiles.example/{z}/{x}/{y}.png\"").unwrap();
        let from_file = ServeArgs::default().resolve(&file).unwrap().map_tiles;
        assert_eq!(
            from_file,
            "https://tiles.example/{z}/{x}/{y}.png".parse().ok()
        );
        let flag = ServeArgs {
            map_tiles: Some("http://127.0.0.1:8081/{z}/{x}/{y}.png".into()),
            ..ServeArgs::default()
        };
        assert_eq!(
            flag.resolve(&file).unwrap().map_tiles,
            "http://127.0.0.1:8081/{z}/{x}/{y}.png".parse().ok()
        );
        let bad = FileConfig::parse("map-tiles = \"https://tiles.example/{z}.png\"").unwrap();
        assert!(ServeArgs::default().resolve(&bad).is_err());
        assert_eq!(
            ServeArgs::default()
                .resolve(&FileConfig::default())
                .unwrap()
                .map_tiles,
            None
        );
    }

    #[test]
    fn flags_win_over_the_file() {
        let file = FileConfig::parse(
            "data-dir = \"/var/lib/sargs\"\nhttp = \"127.0.0.1:9000\"\nserial = [\"/dev/ttyS0@9600\"]\nmqtt-url = \"mqtt://broker:1884\"",
        )
        .unwrap();
        let args = ServeArgs {
            http: Some("127.0.0.1:9100".parse().unwrap()),
            ..ServeArgs::default()
        };
        let config = args.resolve(&file).unwrap();
        assert_eq!(config.http, "127.0.0.1:9100".parse().unwrap());
        assert!(
            matches!(config.storage, StoreLocation::DataDir(ref d) if d == Path::new("/var/lib/sargs"))
        );
        assert_eq!(config.serial[0].baud, 9600);
        assert_eq!(
            config.mqtt,
            MqttMode::External(BrokerAddress {
                host: "broker".into(),
                port: 1884
            })
        );
    }

    #[test]
    fn bad_configuration_is_a_clear_error() {
        for (text, expect) in [
            ("data-dirr = \"x\"", "unknown field"),
            ("http = \"nonsense\"", "invalid socket address"),
            ("max-batch = -1", "invalid value"),
            ("serial = \"/dev/x\"", "invalid type"),
            ("[[[", "invalid"),
        ] {
            let error = FileConfig::parse(text).unwrap_err().to_string();
            assert!(error.contains(expect), "{text}: {error}");
        }
        let both = ServeArgs {
            mqtt_listen: Some("127.0.0.1:1".parse().unwrap()),
            mqtt_url: Some("mqtt://h:1".into()),
            ..ServeArgs::default()
        };
        assert!(both.resolve(&FileConfig::default()).is_err());
        let file = FileConfig::parse("serial = [\"/dev/x@fast\"]").unwrap();
        let error = ServeArgs::default().resolve(&file).unwrap_err().to_string();
        assert!(error.contains("invalid baud rate"), "{error}");
        for batch in [0, 100_001] {
            let args = ServeArgs {
                max_batch: Some(batch),
                ..ServeArgs::default()
            };
            assert!(args.resolve(&FileConfig::default()).is_err());
        }
        let storage = StorageArgs {
            data_dir: Some("a".into()),
            database_url: Some("postgres://x".into()),
        };
        assert!(storage.location(&FileConfig::default()).is_err());
    }

    #[test]
    fn the_alerts_table_is_read_and_secrets_come_from_the_environment() {
        let file = FileConfig::parse(
            "[alerts]\nduty-leads = [\"lead\"]\n\
             [alerts.escalate-after]\ncritical = 60\n\
             [alerts.channels.webhook]\nurl = \"https://centre.example/hook\"\nsecret = \"\"\n",
        )
        .expect("parses");
        let mut alerts = file.alerts.expect("an alerts table");
        assert_eq!(alerts.duty_leads, ["lead"]);
        super::alerts_secrets_from_env(&mut alerts, |name| {
            (name == "SARGS_WEBHOOK_SECRET").then(|| "from the environment".to_string())
        });
        let webhook = alerts.channels.webhook.expect("webhook");
        assert_eq!(webhook.secret, "from the environment");
        assert!(alerts.channels.email.is_none());
        let typo = FileConfig::parse("[alerts]\nescalate-afterr = 3\n").expect_err("refused");
        assert!(format!("{typo:#}").contains("unknown field"), "{typo:#}");
    }
}
