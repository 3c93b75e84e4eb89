fn main() {
    // askama and rust-embed read these folders at compile time.
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=static");
}
