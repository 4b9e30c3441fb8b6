// The binary embeds scenarios/, functions/ and host.json (include_dir!/include_str!); tell cargo to
// rebuild when they change, which it cannot see through the macros on its own.
fn main() {
    println!("cargo:rerun-if-changed=scenarios");
    println!("cargo:rerun-if-changed=functions");
    println!("cargo:rerun-if-changed=host.json");
}
