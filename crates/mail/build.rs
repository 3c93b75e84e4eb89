fn main() {
    // askama reads this folder at compile time.
    println!("cargo:rerun-if-changed=templates");
}
