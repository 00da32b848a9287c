//! The GradBench protocol: one JSON message per line in, one JSON response per line out, with
//! the same `id`. `define` says whether a module is implemented, `evaluate` runs a function
//! (the module measures each run), and every other kind (`start`, `analysis`, …) is answered
//! with the `id` alone (plus the tool's name for `start`).

use std::io::{self, BufRead, Write};
use std::panic::{self, AssertUnwindSafe};

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::modules;

/// The fields of a message this tool reads; the rest are ignored.
#[derive(Deserialize)]
struct Message {
    id: Value,
    kind: String,
    #[serde(default)]
    module: Option<String>,
    #[serde(default)]
    function: Option<String>,
    #[serde(default)]
    input: Value,
}

/// The response to one message line (without the newline). A line that is not a message is
/// an error: the protocol has no way to answer it.
pub fn respond(line: &str) -> Result<Value, String> {
    let msg: Message = serde_json::from_str(line).map_err(|e| format!("bad message: {e}"))?;
    let mut out = Map::new();
    out.insert("id".into(), msg.id);
    match msg.kind.as_str() {
        "start" => {
            out.insert("tool".into(), json!("cotangent"));
        }
        "define" => {
            let module = msg.module.unwrap_or_default();
            let known = modules::is_known(&module);
            out.insert("success".into(), json!(known));
            if !known {
                out.insert("error".into(), json!(format!("no module {module:?}")));
            }
        }
        "evaluate" => {
            let module = msg.module.unwrap_or_default();
            let function = msg.function.unwrap_or_default();
            match evaluate_catching(&module, &function, &msg.input) {
                Ok(e) => {
                    out.insert("success".into(), json!(true));
                    out.insert("output".into(), e.output);
                    let timings: Vec<Value> = e
                        .timings
                        .iter()
                        .map(|ns| json!({"name": "evaluate", "nanoseconds": ns}))
                        .collect();
                    out.insert("timings".into(), Value::Array(timings));
                }
                Err(error) => {
                    out.insert("success".into(), json!(false));
                    out.insert("error".into(), json!(error));
                }
            }
        }
        _ => {}
    }
    Ok(Value::Object(out))
}

/// Runs an evaluation, turning a panic inside the library into an error response.
fn evaluate_catching(
    module: &str,
    function: &str,
    input: &Value,
) -> Result<modules::Evaluation, String> {
    panic::catch_unwind(AssertUnwindSafe(|| {
        modules::evaluate(module, function, input)
    }))
    .unwrap_or_else(|p| {
        let what = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        Err(format!("panicked: {what}"))
    })
}

/// Answers every message line of `input` on `output`, flushing after each, until end of input.
pub fn serve(input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let response = respond(&line).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        serde_json::to_writer(&mut output, &response)?;
        output.write_all(b"\n")?;
        output.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(line: &str) -> Value {
        respond(line).unwrap()
    }

    #[test]
    fn start_names_the_tool() {
        let r = ask(r#"{"id": 0, "kind": "start", "eval": "hello"}"#);
        assert_eq!(r, json!({"id": 0, "tool": "cotangent"}));
    }

    #[test]
    fn define_says_which_modules_exist() {
        let r = ask(r#"{"id": 1, "kind": "define", "module": "gmm"}"#);
        assert_eq!(r, json!({"id": 1, "success": true}));
        let r = ask(r#"{"id": 2, "kind": "define", "module": "nosuch"}"#);
        assert_eq!(r["success"], json!(false));
        assert!(r["error"].as_str().unwrap().contains("nosuch"));
    }

    #[test]
    fn evaluate_returns_output_and_one_timing_per_run() {
        let r = ask(
            r#"{"id": 3, "kind": "evaluate", "module": "hello", "function": "double", "input": 2.5}"#,
        );
        assert_eq!(r["id"], json!(3));
        assert_eq!(r["success"], json!(true));
        assert_eq!(r["output"], json!(5.0));
        let t = r["timings"].as_array().unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0]["name"], json!("evaluate"));
        assert!(t[0]["nanoseconds"].is_u64());

        let r = ask(
            r#"{"id": 4, "kind": "evaluate", "module": "lse", "function": "primal",
                "input": {"x": [0.0, 0.0], "min_runs": 5, "min_seconds": 0}}"#,
        );
        assert!((r["output"].as_f64().unwrap() - 2f64.ln()).abs() < 1e-15);
        assert_eq!(r["timings"].as_array().unwrap().len(), 5);
    }

    #[test]
    fn evaluate_failures_are_responses() {
        let r = ask(
            r#"{"id": 5, "kind": "evaluate", "module": "lse", "function": "nope", "input": {"x": [1.0]}}"#,
        );
        assert_eq!(r["success"], json!(false));
        assert!(r["error"].as_str().unwrap().contains("nope"));
        let r = ask(
            r#"{"id": 6, "kind": "evaluate", "module": "lse", "function": "primal", "input": {"y": 1}}"#,
        );
        assert_eq!(r["success"], json!(false));
        assert!(r["error"].as_str().unwrap().contains("bad input"));
    }

    #[test]
    fn other_kinds_get_the_id_alone() {
        let r = ask(r#"{"id": 7, "kind": "analysis", "of": 3, "valid": true}"#);
        assert_eq!(r, json!({"id": 7}));
        let r = ask(r#"{"id": 8, "kind": "end"}"#);
        assert_eq!(r, json!({"id": 8}));
    }

    #[test]
    fn a_line_that_is_not_a_message_is_an_error() {
        assert!(respond("not json").is_err());
        assert!(respond(r#"{"kind": "start"}"#).is_err());
    }

    #[test]
    fn serve_answers_each_line_in_order() {
        let input = concat!(
            r#"{"id": 0, "kind": "start"}"#,
            "\n\n",
            r#"{"id": 1, "kind": "define", "module": "hello"}"#,
            "\n",
            r#"{"id": 2, "kind": "evaluate", "module": "hello", "function": "square", "input": 3.0}"#,
            "\n"
        );
        let mut out = Vec::new();
        serve(input.as_bytes(), &mut out).unwrap();
        let lines: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["tool"], json!("cotangent"));
        assert_eq!(lines[1]["success"], json!(true));
        assert_eq!(lines[2]["output"], json!(9.0));
    }
}
