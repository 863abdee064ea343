//! The protocols of devices other than sargs' own tag: off-the-shelf GPS trackers (Teltonika's
//! Codec 8 and 8 Extended), phones (OsmAnd HTTP) and positions forwarded by a Traccar server.
//!
//! Like `firmware-proto` for our tag, this is the protocols alone, as pure functions: bytes
//! and times in, decoded reports and answers out, no I/O and no clock. Ingest's adapters read
//! and write the connections, and commit before they answer. Every decoder gives the one
//! [`ForeignReport`], which [`transcribe`] writes down as the messages of our own protocol so
//! that everything after ingest reads one kind of observation.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod fields;
pub mod osmand;
mod report;
pub mod teltonika;
pub mod traccar;

pub use fields::{MAX_NAME_CHARS, name};
pub use report::{ForeignError, ForeignFix, ForeignReport, flags, transcribe};
