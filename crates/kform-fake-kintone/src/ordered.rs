//! A `properties` object read with the order its fields were written in. kintone's form shows
//! fields in the order the app's designer placed them, and an APPS.json written from a real app
//! lists them so; `serde_json`'s objects sort their keys, so the order is read here, beside the
//! object, and kept for `layout.json`.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// A `properties` object and the codes of its fields, subtables' fields included, in the order
/// they were written.
#[derive(Debug, Default)]
pub(crate) struct Ordered {
    pub(crate) properties: Map<String, Value>,
    pub(crate) order: Vec<String>,
}

impl<'de> de::Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(PropertiesVisitor)
    }
}

struct PropertiesVisitor;

impl<'de> Visitor<'de> for PropertiesVisitor {
    type Value = Ordered;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a properties object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut ordered = Ordered::default();
        while let Some(code) = map.next_key::<String>()? {
            let Property { value, inner } = map.next_value()?;
            ordered.order.push(code.clone());
            ordered.order.extend(inner);
            ordered.properties.insert(code, value);
        }
        Ok(ordered)
    }
}

/// One field's settings, with the order of its `fields` (a subtable's) when it has them.
struct Property {
    value: Value,
    inner: Vec<String>,
}

impl<'de> de::Deserialize<'de> for Property {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(PropertyVisitor)
    }
}

struct PropertyVisitor;

impl<'de> Visitor<'de> for PropertyVisitor {
    type Value = Property;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a field's settings object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Property, A::Error> {
        let mut object = Map::new();
        let mut inner = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "fields" {
                let fields: Ordered = map.next_value()?;
                inner = fields.order;
                object.insert(key, Value::Object(fields.properties));
            } else {
                object.insert(key, map.next_value()?);
            }
        }
        Ok(Property { value: Value::Object(object), inner })
    }
}

/// `keys` sorted by their place in `order`; keys it does not hold keep their own order, last.
pub(crate) fn in_order<'a>(
    keys: impl Iterator<Item = &'a String>,
    order: &[String],
) -> Vec<&'a String> {
    let mut keys: Vec<&String> = keys.collect();
    keys.sort_by_key(|key| order.iter().position(|code| code == *key).unwrap_or(usize::MAX));
    keys
}

#[cfg(test)]
mod tests {
    use super::{Ordered, in_order};

    #[test]
    fn fields_keep_the_order_they_were_written_in() {
        let text = r#"{"b": {"type": "SINGLE_LINE_TEXT"}, "t": {"type": "SUBTABLE", "fields": {"z": {}, "c": {}}}, "a": {"type": "NUMBER"}}"#;
        let ordered: Ordered = serde_json::from_str(text).unwrap();
        assert_eq!(ordered.order, ["b", "t", "z", "c", "a"]);
        assert_eq!(ordered.properties["t"]["fields"]["c"], serde_json::json!({}));
        let keys = in_order(ordered.properties.keys(), &ordered.order);
        assert_eq!(keys, ["b", "t", "a"]);
        assert_eq!(
            in_order(["x", "a", "b"].map(String::from).iter(), &ordered.order),
            ["b", "a", "x"]
        );
    }
}
