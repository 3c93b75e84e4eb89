//! Webhooks: the endpoints events are sent to, in which format, and what happened to each
//! delivery; [`signing`] signs in both formats, [`address`] decides which addresses may be
//! called, and [`worker`] sends. It reads the outbox the core writes (`insignia_core::events`)
//! and knows nothing of the web: the dashboard calls in here.

pub mod address;
pub mod endpoints;
pub mod lanes;
pub mod signing;
pub mod worker;

pub use endpoints::*;
