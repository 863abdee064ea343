//! Real servers on 127.0.0.1 for tests: an SMTP server and an HTTP receiver that record what
//! the channels send and can be told to fail, so tests exercise the real wire protocols
//! instead of mocks. Behind the `test-support` feature; other crates enable it in their
//! dev-dependencies.

pub mod http;
pub mod smtp;

pub use http::{RecordedRequest, TestHttpServer};
pub use smtp::{RcptReply, ReceivedMail, TestSmtpServer};

pub mod seed;
