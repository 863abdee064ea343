//! The ways a test makes the storage refuse writes: a small file system that fills, a
//! PostgreSQL server of the test's own that stops, privileges revoked; and the helpers they share.

use super::*;

/// A tmpfs of `size_mb`, mounted for the test and unmounted after it.
pub(crate) struct SmallFs {
    pub(crate) mount: PathBuf,
    filler: PathBuf,
    _parent: tempfile::TempDir,
}

impl SmallFs {
    pub(crate) fn mount(size_mb: u32) -> Option<SmallFs> {
        let parent = tempfile::tempdir().expect("dir");
        let mount = parent.path().join("fs");
        std::fs::create_dir(&mount).expect("mount point");
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size_mb}m,mode=0777"),
                "tmpfs",
            ])
            .arg(&mount)
            .output()
            .is_ok_and(|out| out.status.success());
        if !mounted {
            eprintln!("cannot mount a small file system here (not root?): skipped");
            return None;
        }
        Some(SmallFs {
            filler: mount.join("filler"),
            mount,
            _parent: parent,
        })
    }

    /// Takes every byte left.
    pub(crate) fn fill(&self) {
        use std::io::Write;
        let mut file = std::fs::File::create(&self.filler).expect("filler");
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let _ = file.sync_all();
    }

    pub(crate) fn free(&self) {
        std::fs::remove_file(&self.filler).expect("filler removed");
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
    }
}

/// A PostgreSQL server of the test's own (initdb in a temporary directory, run as `postgres`, on
/// a free port), which the test may stop and start again: the shared test server must not be.
pub(crate) struct OwnServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl OwnServer {
    /// Where PostgreSQL's server programs are installed and `runuser` can run them as
    /// `postgres` (as root, as on CI); None elsewhere.
    pub(crate) fn start() -> Option<OwnServer> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
            .filter(|bin| bin.join("initdb").exists())
            .max()?;
        let dir = tempfile::tempdir().expect("dir");
        let owned = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        let server = OwnServer {
            dir,
            bin,
            port: free_port(),
        };
        let made = owned
            && server.as_postgres(
                "initdb",
                &[
                    "-D",
                    &server.data(),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                ],
            );
        if !(made && server.up()) {
            eprintln!("cannot run a PostgreSQL server of the test's own here: skipped");
            return None;
        }
        Some(server)
    }

    pub(crate) fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    pub(crate) fn as_postgres(&self, program: &str, args: &[&str]) -> bool {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join(program))
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    pub(crate) fn up(&self) -> bool {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.as_postgres(
            "pg_ctl",
            &[
                "start",
                "-w",
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
            ],
        )
    }

    /// Gone at once, as a crashed or unplugged server: no checkpoint, connections cut.
    pub(crate) fn down(&self) {
        assert!(
            self.as_postgres(
                "pg_ctl",
                &["stop", "-w", "-m", "immediate", "-D", &self.data()]
            ),
            "the test's own server stops"
        );
    }

    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.as_postgres("pg_ctl", &["stop", "-m", "immediate", "-D", &self.data()]);
    }
}

/// How a test makes the storage refuse writes, and take them again.
pub(crate) enum Fault {
    Disk(SmallFs),
    /// The PostgreSQL server goes down, and comes back.
    Outage(OwnServer),
    /// PostgreSQL revokes the service role's right to write, and grants it again.
    Privileges {
        admin_url: String,
        role: String,
    },
}

impl Fault {
    pub(crate) async fn start(&self) {
        match self {
            Fault::Disk(fs) => fs.fill(),
            Fault::Outage(server) => server.down(),
            Fault::Privileges { admin_url, role } => {
                pg_execute(
                    admin_url,
                    &format!(
                        "REVOKE INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public FROM {role}"
                    ),
                )
                .await
            }
        }
    }

    pub(crate) async fn end(&self) {
        match self {
            Fault::Disk(fs) => fs.free(),
            Fault::Outage(server) => assert!(server.up(), "the test's own server is back"),
            Fault::Privileges { admin_url, role } => {
                pg_execute(
                    admin_url,
                    &format!(
                        "GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
                    ),
                )
                .await
            }
        }
    }

    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Fault::Disk(_) => "full",
            Fault::Outage(_) => "unreachable",
            Fault::Privileges { .. } => "permission_denied",
        }
    }

    /// Whether the API can still answer: it needs the database to know who asks.
    pub(crate) fn api_answers(&self) -> bool {
        !matches!(self, Fault::Outage(_))
    }
}

pub(crate) async fn pg_execute(url: &str, sql: &str) {
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .expect("admin connection");
    admin
        .execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = admin.close().await;
}

pub(crate) fn test_server() -> Option<String> {
    std::env::var(TEST_DATABASE_URL)
        .ok()
        .filter(|u| !u.is_empty())
}

/// A name no other test process uses.
pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{}", std::process::id(), now_ms())
}

/// `url` signing in as `user` with `password` instead of its own credentials.
pub(crate) fn as_user(url: &str, user: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{user}:{password}@{host}")
}
