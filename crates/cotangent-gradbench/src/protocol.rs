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
