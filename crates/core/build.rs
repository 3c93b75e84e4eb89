fn main() {
    // embed_migrations! and rust-embed read these folders at compile time.
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=icons");
}
