//! Files compiled into the binary: static assets (CSS, vendored scripts, built-in icons).

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
pub struct StaticAssets;
