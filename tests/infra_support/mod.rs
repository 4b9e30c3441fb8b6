//! Reading the Bicep under `infra/` for tests/app/infra.rs: pycep-parser's JSON of every file (through
//! `tests/infra/pycep_dump.py`, with the Python `tests/run.sh` installs it into,
//! `target/tools/infra-venv`, or `HAYMAKER_INFRA_PYTHON`), and small accessors into it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// Platform settings the Function App may carry besides haymaker's own (none of them read by
/// haymaker): adding anything else to `hostSettings` must be a deliberate change here.
pub const HOST_SETTINGS: [&str; 3] = [
    "FUNCTIONS_EXTENSION_VERSION",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "WEBSITE_RUN_FROM_PACKAGE",
];

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("HAYMAKER_INFRA_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = root().join("target/tools/infra-venv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: run `bash tests/run.sh` once (it installs pycep-parser and checkov into \
         target/tools/infra-venv), or point HAYMAKER_INFRA_PYTHON at a Python with pycep-parser",
        venv.display()
    );
    venv
}

/// pycep's JSON of every `.bicep` file, by path relative to `infra/`.
pub fn bicep() -> &'static BTreeMap<String, Value> {
    static PARSED: OnceLock<BTreeMap<String, Value>> = OnceLock::new();
    PARSED.get_or_init(|| {
        let out = Command::new(python())
            .arg(root().join("tests/infra/pycep_dump.py"))
            .arg(root().join("infra"))
            .output()
            .expect("run tests/infra/pycep_dump.py");
        assert!(
            out.status.success(),
            "pycep could not parse infra/: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("pycep_dump.py prints JSON")
    })
}

pub fn file(name: &str) -> &'static Value {
    bicep()
        .get(name)
        .unwrap_or_else(|| panic!("infra/{name} is missing"))
}

/// `var <name> = …` of a file.
pub fn var<'a>(f: &'a Value, name: &str) -> &'a Value {
    f.pointer(&format!("/variables/{name}/value"))
        .unwrap_or_else(|| panic!("variable {name} is missing"))
}

/// The default of `param <name>` of a file.
pub fn param_default<'a>(f: &'a Value, name: &str) -> &'a Value {
    f.pointer(&format!("/parameters/{name}/default"))
        .unwrap_or_else(|| panic!("parameter {name} has no default"))
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|s| s.as_str().expect("a string").to_string())
        .collect()
}

pub fn object_keys(v: &Value) -> Vec<String> {
    v.as_object().expect("an object").keys().cloned().collect()
}

/// The resource declared as `resource <name> …` in a file.
pub fn resource<'a>(f: &'a Value, name: &str) -> &'a Value {
    f.pointer(&format!("/resources/{name}"))
        .unwrap_or_else(|| panic!("resource {name} is missing"))
}

pub fn parameters_file(env: &str) -> Value {
    let path = root().join(format!("infra/parameters/{env}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
