//! Fuzz target: a scenario document. The input's first line is the file name (the parser checks
//! the name against the metadata), the rest is the document. Every problem must be a
//! `Diagnostic`, never a panic.
#![no_main]

use haymaker::scenarios::{parse_document, Library};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let (file, text) = input.split_once('\n').unwrap_or(("fuzz.md", input));
    if let Ok(scenario) = parse_document(file, text) {
        let _ = scenario.area();
    }
    let library = Library::from_documents("fuzz", [(file.to_string(), text.to_string())]);
    let _ = (library.scenarios().len(), library.problems().len());
});
