//! The answer to an envelope invocation: `{"Outputs":{…},"Logs":[…],"ReturnValue":…}`.

use serde::Serialize;
use serde_json::{Map, Value};

/// What a function hands back to the host.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct InvocationResponse {
    pub outputs: Map<String, Value>,
    pub logs: Vec<String>,
    pub return_value: Value,
}

impl InvocationResponse {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a line the host writes to the function's log.
    pub fn log(mut self, line: impl Into<String>) -> Self {
        self.logs.push(line.into());
        self
    }

    /// Appends one message to an output binding. Output values are always JSON objects or arrays:
    /// the host tries to base64-decode bare strings (azure-functions-host issue 8352).
    pub fn push_output<T: Serialize>(mut self, binding: &str, message: &T) -> Result<Self, String> {
        let value = serde_json::to_value(message).map_err(|e| e.to_string())?;
        if !(value.is_object() || value.is_array()) {
            return Err(format!(
                "output `{binding}` must be a JSON object or array, not {value}"
            ));
        }
        let slot = self
            .outputs
            .entry(binding.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = slot {
            items.push(value);
        }
        Ok(self)
    }

    /// Sets an output binding that takes one object (an HTTP `res`).
    pub fn push_single_output(mut self, binding: &str, value: Value) -> Self {
        self.outputs.insert(binding.to_string(), value);
        self
    }

    pub fn returning(mut self, value: Value) -> Self {
        self.return_value = value;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialises_in_the_hosts_shape() {
        let r = InvocationResponse::new()
            .log("hello")
            .push_output("out", &json!({"kind": "x"}))
            .unwrap()
            .push_output("out", &json!({"kind": "y"}))
            .unwrap();
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"Outputs": {"out": [{"kind": "x"}, {"kind": "y"}]}, "Logs": ["hello"], "ReturnValue": null})
        );
    }

    #[test]
    fn bare_strings_are_refused_as_outputs() {
        let err = InvocationResponse::new()
            .push_output("out", &"short")
            .unwrap_err();
        assert!(err.contains("must be a JSON object or array"), "{err}");
    }
}
