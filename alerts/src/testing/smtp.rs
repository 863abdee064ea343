//! A small but real SMTP server (RFC 5321, no TLS, no AUTH) that keeps what it receives, so
//! the e-mail channel is tested against the protocol rather than a mock. It can refuse
//! recipients with 451 or 550, stop listening, or go silent after accepting a connection.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

/// One message as the server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The MAIL FROM address, without brackets.
    pub from: String,
    /// The RCPT TO addresses, without brackets.
    pub to: Vec<String>,
    /// The message after dot-unstuffing: headers and body, lines ending in CRLF.
    pub data: String,
}

impl ReceivedMail {
    /// The value of the first header called `name` (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim_start().to_string());
            }
        }
        value
    }

    /// The body: everything after the blank line that ends the headers.
    pub fn body(&self) -> &str {
        self.data
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body)
    }
}

/// How the server answers RCPT TO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RcptReply {
    /// 250: accepted.
    Accept,
    /// 451: try again later.
    Temporary,
    /// 550: no such mailbox.
    Permanent,
}

struct State {
    messages: Mutex<Vec<ReceivedMail>>,
    arrived: Notify,
    rcpt: AtomicU8,
    silent: AtomicBool,
}

/// The server; it stops when dropped.
pub struct TestSmtpServer {
    addr: SocketAddr,
    state: Arc<State>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl TestSmtpServer {
    /// Listens on 127.0.0.1 on a free port. Panics if it cannot bind (a test setup failure).
    pub async fn start() -> TestSmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the test SMTP server");
        let addr = listener
            .local_addr()
            .expect("the test SMTP server's address");
        let state = Arc::new(State {
            messages: Mutex::new(Vec::new()),
            arrived: Notify::new(),
            rcpt: AtomicU8::new(0),
            silent: AtomicBool::new(false),
        });
        let task = tokio::spawn(accept_loop(listener, state.clone()));
        TestSmtpServer {
            addr,
            state,
            task: Mutex::new(Some(task)),
        }
    }

    /// The address it listens on, for the email channel's `smtp` URL in the test.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `smtp://127.0.0.1:PORT`, for an `EmailConfig`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        lock(&self.state.messages).clone()
    }

    /// Waits until at least `n` messages have arrived or `timeout` passes, and returns all
    /// received by then (check the length).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.state.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            {
                let messages = lock(&self.state.messages);
                if messages.len() >= n {
                    return messages.clone();
                }
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.messages();
            }
        }
    }

    /// How to answer RCPT TO from now on.
    pub fn set_rcpt_reply(&self, reply: RcptReply) {
        let v = match reply {
            RcptReply::Accept => 0,
            RcptReply::Temporary => 1,
            RcptReply::Permanent => 2,
        };
        self.state.rcpt.store(v, Ordering::SeqCst);
    }

    /// When true, new connections are accepted but never answered (a hung server).
    pub fn set_silent(&self, silent: bool) {
        self.state.silent.store(silent, Ordering::SeqCst);
    }

    /// Stops listening and drops every open connection: afterwards connecting is refused.
    pub async fn stop(&self) {
        let task = lock(&self.task).take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for TestSmtpServer {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    // Owning the connections here means aborting this task ends them too.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                if state.silent.load(Ordering::SeqCst) {
                    connections.spawn(async move {
                        let _held = stream;
                        std::future::pending::<()>().await;
                    });
                } else {
                    connections.spawn(session(stream, state.clone()));
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Text of an address argument: `FROM:<a@b> SIZE=10` gives `a@b`.
fn address_arg(arg: &str) -> Option<String> {
    let (_, rest) = arg.split_once(':')?;
    let rest = rest.trim_start();
    let addr = match rest.strip_prefix('<') {
        Some(inner) => inner.split_once('>')?.0,
        None => rest.split_whitespace().next().unwrap_or(""),
    };
    Some(addr.to_string())
}

/// One SMTP conversation.
async fn session(stream: TcpStream, state: Arc<State>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();

    macro_rules! reply {
        ($text:expr) => {
            if write.write_all($text.as_bytes()).await.is_err() {
                return;
            }
        };
    }

    reply!("220 sargs-test ESMTP ready\r\n");
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let (verb, arg) = command.split_once(' ').unwrap_or((command, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => reply!("250-sargs-test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"),
            "HELO" => reply!("250 sargs-test\r\n"),
            "MAIL" => match address_arg(arg) {
                Some(a) if arg.to_ascii_uppercase().starts_with("FROM:") => {
                    from = Some(a);
                    to.clear();
                    reply!("250 2.1.0 OK\r\n");
                }
                _ => reply!("501 5.5.4 syntax: MAIL FROM:<address>\r\n"),
            },
            "RCPT" => {
                if from.is_none() {
                    reply!("503 5.5.1 MAIL first\r\n");
                    continue;
                }
                let Some(a) =
                    address_arg(arg).filter(|_| arg.to_ascii_uppercase().starts_with("TO:"))
                else {
                    reply!("501 5.5.4 syntax: RCPT TO:<address>\r\n");
                    continue;
                };
                match state.rcpt.load(Ordering::SeqCst) {
                    1 => reply!("451 4.3.0 try again later\r\n"),
                    2 => reply!("550 5.1.1 no such mailbox\r\n"),
                    _ => {
                        to.push(a);
                        reply!("250 2.1.5 OK\r\n");
                    }
                }
            }
            "DATA" => {
                let Some(sender) = from.clone() else {
                    reply!("503 5.5.1 MAIL first\r\n");
                    continue;
                };
                if to.is_empty() {
                    reply!("554 5.5.1 no valid recipients\r\n");
                    continue;
                }
                reply!("354 end with <CRLF>.<CRLF>\r\n");
                let mut data = String::new();
                loop {
                    line.clear();
                    match lines.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let text = line.trim_end_matches(['\r', '\n']);
                    if text == "." {
                        break;
                    }
                    data.push_str(text.strip_prefix('.').unwrap_or(text));
                    data.push_str("\r\n");
                }
                lock(&state.messages).push(ReceivedMail {
                    from: sender,
                    to: std::mem::take(&mut to),
                    data,
                });
                from = None;
                state.arrived.notify_waiters();
                reply!("250 2.0.0 queued\r\n");
            }
            "RSET" => {
                from = None;
                to.clear();
                reply!("250 2.0.0 OK\r\n");
            }
            "NOOP" => reply!("250 2.0.0 OK\r\n"),
            "QUIT" => {
                reply!("221 2.0.0 bye\r\n");
                return;
            }
            "" => reply!("500 5.5.2 empty command\r\n"),
            _ => reply!("502 5.5.1 not implemented\r\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_args() {
        assert_eq!(
            address_arg("FROM:<a@b> BODY=8BITMIME").as_deref(),
            Some("a@b")
        );
        assert_eq!(address_arg("TO: <c@d>").as_deref(), Some("c@d"));
        assert_eq!(address_arg("FROM:<>").as_deref(), Some(""));
        assert_eq!(address_arg("nothing"), None);
    }

    #[test]
    fn headers_unfold() {
        let m = ReceivedMail {
            from: "a".into(),
            to: vec![],
            data: "Subject: one\r\n two\r\nTo: x\r\n\r\nbody\r\n".into(),
        };
        assert_eq!(m.header("subject").as_deref(), Some("one two"));
        assert_eq!(m.header("To").as_deref(), Some("x"));
        assert_eq!(m.header("From"), None);
        assert_eq!(m.body(), "body\r\n");
    }
}
