//! Assisted mode's model call: given the scenario, the failed command (as written, with `$HAYMAKER_*`
//! variables — never their values) and its redacted error, ask the Anthropic Messages API
//! (`POST {base}/v1/messages`) for one corrected `az` command. The answer is only a suggestion:
//! [`super::guard`] decides whether it runs.

use std::time::Duration;

use serde_json::{json, Value};

use super::inputs::ModelSettings;

/// The API version header the Messages API requires.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";
const TIMEOUT: Duration = Duration::from_secs(60);
const MAX_TOKENS: u32 = 1024;

/// Why no suggestion came back.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AssistError {
    #[error("cannot reach the model API at {url}: {detail}")]
    Transport { url: String, detail: String },
    #[error("the model API answered {status}: {detail}")]
    Status { status: u16, detail: String },
    #[error("the model API's answer has no text: {0}")]
    Shape(String),
}

/// What the model is told about the failure.
#[derive(Debug, Clone)]
pub struct FailedStep<'a> {
    pub scenario: &'a str,
    pub resource_group: &'a str,
    pub location: &'a str,
    /// The command as written in the document (variables as `$NAME`).
    pub command: &'a str,
    /// The redacted error output.
    pub error: &'a str,
}

/// The Messages API client.
pub struct ModelClient {
    http: reqwest::Client,
    settings: ModelSettings,
}

const SYSTEM: &str = "You repair Azure CLI commands for an automated agent. Answer with exactly one corrected `az` command in a ```bash block and nothing else. Use only plain arguments and quotes: no pipes, `;`, `&&`, redirections, `$(...)` or backticks. You may use these variables: $HAYMAKER_RUN_ID, $HAYMAKER_SCENARIO, $HAYMAKER_RESOURCE_GROUP, $HAYMAKER_LOCATION, $HAYMAKER_SUFFIX, $HAYMAKER_PASSWORD. Act only inside --resource-group \"$HAYMAKER_RESOURCE_GROUP\"; a creating command must carry --tags haymaker-managed=true haymaker-run-id=$HAYMAKER_RUN_ID haymaker-scenario=$HAYMAKER_SCENARIO.";

impl ModelClient {
    pub fn new(settings: ModelSettings) -> Result<Self, AssistError> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| AssistError::Transport {
                url: settings.base_url.to_string(),
                detail: e.to_string(),
            })?;
        Ok(Self { http, settings })
    }

    fn url(&self) -> String {
        format!(
            "{}/v1/messages",
            self.settings.base_url.as_str().trim_end_matches('/')
        )
    }

    /// The request body (no secret in it).
    pub fn request_body(&self, failed: &FailedStep<'_>) -> Value {
        let prompt = format!(
            "Scenario `{}` (resource group {}, region {}). This step failed:\n```bash\n{}\n```\nError:\n```\n{}\n```\nGive the corrected command.",
            failed.scenario, failed.resource_group, failed.location, failed.command, failed.error
        );
        json!({
            "model": self.settings.model,
            "max_tokens": MAX_TOKENS,
            "system": SYSTEM,
            "messages": [{"role": "user", "content": prompt}],
        })
    }

    /// Asks for a corrected command; returns the command text (the fenced block's content, else the
    /// whole answer).
    pub async fn suggest(&self, failed: &FailedStep<'_>) -> Result<String, AssistError> {
        let url = self.url();
        let response = self
            .http
            .post(&url)
            .header("x-api-key", self.settings.api_key.expose())
            .header("anthropic-version", ANTHROPIC_VERSION)
            .header("content-type", "application/json")
            .body(self.request_body(failed).to_string())
            .send()
            .await
            .map_err(|e| AssistError::Transport {
                url: url.clone(),
                detail: e.without_url().to_string(),
            })?;
        let status = response.status();
        let text = response.text().await.map_err(|e| AssistError::Transport {
            url: url.clone(),
            detail: e.without_url().to_string(),
        })?;
        if !status.is_success() {
            let detail = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| text.chars().take(300).collect());
            return Err(AssistError::Status {
                status: status.as_u16(),
                detail,
            });
        }
        let value: Value =
            serde_json::from_str(&text).map_err(|e| AssistError::Shape(e.to_string()))?;
        let answer: String = value["content"]
            .as_array()
            .map(|blocks| {
                blocks
                    .iter()
                    .filter(|b| b["type"] == "text")
                    .filter_map(|b| b["text"].as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        if answer.trim().is_empty() {
            return Err(AssistError::Shape("no text content".into()));
        }
        Ok(command_text(&answer))
    }
}

/// The content of the first fenced block, else the answer itself.
pub fn command_text(answer: &str) -> String {
    let mut lines = answer.lines();
    while let Some(l) = lines.next() {
        if l.trim_start().starts_with("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.trim_start().starts_with("```"))
                .collect();
            return body.join("\n").trim().to_string();
        }
    }
    answer.trim().to_string()
}
