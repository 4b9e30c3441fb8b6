//! `haymaker settings`: the settings catalogue as a README table or as `local.settings.example.json`.

use std::process::ExitCode;

use crate::config::SETTINGS;

/// The README's settings table (Markdown).
pub fn markdown_table() -> String {
    let mut out = String::from("| Setting | Default | Secret | Purpose |\n|---|---|---|---|\n");
    for s in SETTINGS {
        let default = match s.default {
            Some(d) if !d.is_empty() => format!("`{d}`"),
            _ => "—".to_string(),
        };
        let secret = if s.secret { "yes" } else { "" };
        out.push_str(&format!(
            "| `{}` | {default} | {secret} | {} |\n",
            s.name, s.purpose
        ));
    }
    out
}

/// The contents of `local.settings.example.json`.
pub fn local_settings_example() -> String {
    let values: serde_json::Map<String, serde_json::Value> = SETTINGS
        .iter()
        .map(|s| {
            (
                s.name.to_string(),
                serde_json::Value::String(s.example.to_string()),
            )
        })
        .collect();
    let doc = serde_json::json!({
        "IsEncrypted": false,
        "Values": values,
        "Host": {"LocalHttpPort": 7071}
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

pub fn run(example_json: bool) -> ExitCode {
    if example_json {
        print!("{}", local_settings_example());
    } else {
        print!("{}", markdown_table());
    }
    ExitCode::SUCCESS
}
