//! Insignia's mail: how to reach the owner's SMTP server (`settings`), what each mail says
//! (`letters`) and the sender that empties the outbox (`sender`). What to send, and when, is
//! the core's (`insignia_core::mail`): this crate only composes and delivers.

pub mod letters;
pub mod sender;
pub mod settings;
pub mod smtp;

pub use sender::Sender;
pub use settings::{MailFrom, Settings, SmtpUrl};
