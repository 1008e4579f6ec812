//! Random apps and random values: kform-core and the fake kintone (written independently) must
//! give the same verdict and the same kintone error paths. A disagreement is a bug in one of
//! them; each one found is kept as a fixed case in `contract.rs`.
//!
//! The generator stays where kform is meant to agree with kintone: kform's deliberate extra
//! strictness (input hints, LINK formats, non-numbers inside tables, closed user lists) is not
//! generated. Fields are sometimes left out of the request, and text fields often carry a
//! `minLength` and get `""`, since kintone checks `minLength` on empty and left-out values.

use kform_core::{AppFields, FormSpec, Values};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};

use crate::verdicts::{self, Verdict};

/// One generated field: a kind, whether it is required, two limit seeds, which sample value it
/// gets, and whether it is left out of the request.
#[derive(Clone, Debug)]
struct Gen {
    kind: u8,
    required: bool,
    low: u8,
    high: u8,
    pick: usize,
    absent: bool,
}

const TEXTS: [&str; 7] = ["", "a", "abcde", "あいうえおかきくけこ", "😀😀", " ", "x\ny"];
const NUMBERS: [&str; 16] = [
    "",
    "0",
    "-1",
    "1.5",
    "1e3",
    "abc",
    "1,000",
    " 42 ",
    "9999999999999",
    "+3",
    ".5",
    "1e",
    "１",
    "-0.0001",
    "123456789012",
    "5.",
];
const CHOICES: [&str; 4] = ["", "A", "B", "Z"];
const DATES: [&str; 8] =
    ["", "2026-02-28", "2026-02-30", "2026-2-3", "2026", "26-01-01", "abc", "2024-02-29"];
const TIMES: [&str; 8] = ["", "09:30", "9:30", "24:00", "12:60", "12:30:15", "x", "00:00"];

fn lists() -> Vec<Value> {
    vec![
        json!([]),
        json!(["A"]),
        json!(["A", "B"]),
        json!(["Z"]),
        json!([""]),
        json!(["", "A"]),
        json!(["B", "Z", "A"]),
    ]
}

fn text_value(pick: usize, table: &[&str]) -> Value {
    json!(table[pick % table.len()])
}

/// The field's `fields.json` property and the value sent for it.
fn field(code: &str, spec: &Gen) -> (Value, Value) {
    let options = json!({ "A": {"label": "A", "index": "0"}, "B": {"label": "B", "index": "1"} });
    let (low, high) = (spec.low % 6, spec.low % 6 + spec.high % 8);
    // Text fields get "" one time in three, on top of the "" among the samples.
    let text =
        |pick: usize| if pick.is_multiple_of(3) { json!("") } else { text_value(pick / 3, &TEXTS) };
    let limit = |seed: u8, text: String| if seed.is_multiple_of(3) { String::new() } else { text };
    match spec.kind % 9 {
        0 => (
            json!({ "type": "SINGLE_LINE_TEXT", "code": code, "label": code, "noLabel": false,
                    "required": spec.required, "unique": false,
                    "minLength": limit(spec.low, low.to_string()),
                    "maxLength": limit(spec.high, high.to_string()),
                    "defaultValue": "", "expression": "", "hideExpression": false }),
            text(spec.pick),
        ),
        1 => (
            json!({ "type": "NUMBER", "code": code, "label": code, "noLabel": false,
                    "required": spec.required, "unique": false,
                    "minValue": limit(spec.low, format!("-{low}")),
                    "maxValue": limit(spec.high, format!("{high}.5")),
                    "digit": false, "displayScale": "", "unit": "", "unitPosition": "BEFORE",
                    "defaultValue": "" }),
            text_value(spec.pick, &NUMBERS),
        ),
        2 => (
            json!({ "type": "DROP_DOWN", "code": code, "label": code, "noLabel": false,
                    "required": spec.required, "defaultValue": "", "options": options }),
            text_value(spec.pick, &CHOICES),
        ),
        3 => (
            json!({ "type": "RADIO_BUTTON", "code": code, "label": code, "noLabel": false,
                    "required": spec.required, "defaultValue": "A", "options": options,
                    "align": "HORIZONTAL" }),
            text_value(spec.pick, &CHOICES),
        ),
        4 | 5 => {
            let kind = if spec.kind % 9 == 4 { "CHECK_BOX" } else { "MULTI_SELECT" };
            let lists = lists();
            (
                json!({ "type": kind, "code": code, "label": code, "noLabel": false,
                        "required": spec.required, "defaultValue": [], "options": options }),
                lists[spec.pick % lists.len()].clone(),
            )
        }
        6 => (
            json!({ "type": "DATE", "code": code, "label": code, "noLabel": false,
                    "required": spec.required, "unique": false, "defaultValue": "",
                    "defaultNowValue": false }),
            text_value(spec.pick, &DATES),
        ),
        7 => (
            json!({ "type": "TIME", "code": code, "label": code, "noLabel": false,
                    "required": spec.required, "defaultValue": "", "defaultNowValue": false }),
            text_value(spec.pick, &TIMES),
        ),
        _ => (
            json!({ "type": "MULTI_LINE_TEXT", "code": code, "label": code, "noLabel": false,
                    "required": spec.required, "defaultValue": "" }),
            text_value(spec.pick, &TEXTS),
        ),
    }
}

fn apps() -> impl Strategy<Value = Vec<Gen>> {
    prop::collection::vec(
        (any::<u8>(), any::<bool>(), any::<u8>(), any::<u8>(), any::<usize>(), any::<u8>())
            .prop_map(|(kind, required, low, high, pick, absent)| Gen {
                kind,
                required,
                low,
                high,
                pick,
                absent: absent % 5 == 0,
            }),
        1..6,
    )
}

/// Both verdicts for one generated app and record, and the request body sent.
async fn verdicts(specs: &[Gen]) -> (Verdict, Verdict, Value) {
    let mut properties = Map::new();
    let mut record = Map::new();
    let mut values = Map::new();
    let mut items = Vec::new();
    for (index, spec) in specs.iter().enumerate() {
        let code = format!("f{index}");
        let (property, value) = field(&code, spec);
        properties.insert(code.clone(), property);
        items.push(json!({ "field": code }));
        if spec.absent {
            continue;
        }
        record.insert(code.clone(), json!({ "value": value }));
        values.insert(code.clone(), value);
    }
    let fields_json = json!({ "properties": properties, "revision": "1" }).to_string();
    let fields = AppFields::from_kintone_json(&fields_json).unwrap();
    let form: FormSpec =
        serde_json::from_value(json!({ "format": 1, "id": "p", "app": 1, "items": items }))
            .unwrap();
    let submitted: Values = serde_json::from_value(Value::Object(values)).unwrap();
    let core = verdicts::core(&fields, &form, &submitted);
    let body = json!({ "app": 1, "record": record });
    let kintone = verdicts::kintone(&verdicts::fake(properties), record).await;
    (core, kintone, body)
}

#[test]
fn core_and_kintone_agree_on_random_apps() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let mut runner = TestRunner::new(Config { cases: 256, ..Config::default() });
    runner
        .run(&apps(), |gens| {
            let (core, kintone, body) = runtime.block_on(verdicts(&gens));
            if core == kintone {
                Ok(())
            } else {
                Err(TestCaseError::fail(format!(
                    "core {core:?} vs kintone {kintone:?} for {body} with {gens:?}"
                )))
            }
        })
        .unwrap();
}
