//! `haymaker package`: the zip a Function App is deployed from. Its root holds `host.json`, one folder
//! per function with its `function.json`, and the `haymaker` executable the host starts.

use std::io::Write;
use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use zip::write::SimpleFileOptions;

/// `host.json`, as shipped.
pub const HOST_JSON: &str = include_str!("../host.json");
/// `functions/<Name>/function.json`, as shipped.
pub static FUNCTIONS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/functions");
/// Name of the executable inside the package (host.json's `defaultExecutablePath`).
pub const EXECUTABLE: &str = "haymaker";

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error(
        "binary {0} does not exist; build it with `cargo build --release` or pass --binary PATH"
    )]
    MissingBinary(PathBuf),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the zip: {0}")]
    Zip(#[from] zip::result::ZipError),
}

/// What went into a package.
#[derive(Debug, Clone)]
pub struct PackageSummary {
    pub path: PathBuf,
    pub entries: Vec<String>,
    pub bytes: u64,
}

/// The `(function name, function.json text)` pairs that ship.
pub fn function_definitions() -> Vec<(String, &'static str)> {
    let mut defs: Vec<_> = FUNCTIONS
        .dirs()
        .filter_map(|d| {
            let name = d.path().file_name()?.to_str()?.to_string();
            let file = d.get_file(d.path().join("function.json"))?;
            Some((name, file.contents_utf8()?))
        })
        .collect();
    defs.sort();
    defs
}

/// Writes the package to `out` (atomically: a temporary file renamed into place).
pub fn build(binary: &Path, out: &Path) -> Result<PackageSummary, PackageError> {
    if !binary.is_file() {
        return Err(PackageError::MissingBinary(binary.to_path_buf()));
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PackageError::Io { path, source }
    };
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let tmp = out.with_extension("zip.partial");
    let file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    let mut zip = zip::ZipWriter::new(file);
    let text = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    let mut entries = Vec::new();

    zip.start_file("host.json", text)?;
    zip.write_all(HOST_JSON.as_bytes()).map_err(io(&tmp))?;
    entries.push("host.json".to_string());

    for (name, json) in function_definitions() {
        let entry = format!("{name}/function.json");
        zip.start_file(entry.as_str(), text)?;
        zip.write_all(json.as_bytes()).map_err(io(&tmp))?;
        entries.push(entry);
    }

    let exe = text.unix_permissions(0o755);
    zip.start_file(EXECUTABLE, exe)?;
    let mut src = std::fs::File::open(binary).map_err(io(binary))?;
    std::io::copy(&mut src, &mut zip).map_err(io(&tmp))?;
    entries.push(EXECUTABLE.to_string());

    zip.finish()?;
    std::fs::rename(&tmp, out).map_err(io(out))?;
    let bytes = std::fs::metadata(out).map_err(io(out))?.len();
    Ok(PackageSummary {
        path: out.to_path_buf(),
        entries,
        bytes,
    })
}
