//! Mail to members and admins. The domain queues a mail in the transaction of what causes it
//! (`outbox::queue`); the sender of every server (the `insignia-mail` crate) composes it, sends
//! it over SMTP and records what happened. Nothing here speaks SMTP or knows a template.

pub mod outbox;
pub mod unsubscribe;

pub use outbox::{Kind, Recipient};
