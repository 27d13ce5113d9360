//! Field-by-field differences between two versions of a declaration. Products are matched by name
//! and model, indicators by name; lists of objects are compared key by key.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

#[derive(Serialize, Debug, Clone, PartialEq, utoipa::ToSchema)]
pub struct FieldChange {
    pub field: String,
    #[schema(value_type = Object)]
    pub from: Value,
    #[schema(value_type = Object)]
    pub to: Value,
}

#[derive(Serialize, Debug, Clone, PartialEq, utoipa::ToSchema)]
pub struct ItemChange {
    /// The matching key: the name (products: name and model).
    pub key: String,
    pub changes: Vec<FieldChange>,
}

#[derive(Serialize, Debug, Clone, PartialEq, Default, utoipa::ToSchema)]
pub struct ListDiff {
    #[schema(value_type = Vec<Object>)]
    pub added: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub removed: Vec<Value>,
    pub changed: Vec<ItemChange>,
}

impl ListDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Compares two flat objects (the declaration's scalar fields).
pub fn fields(from: &Value, to: &Value, names: &[&str]) -> Vec<FieldChange> {
    names
        .iter()
        .filter_map(|n| {
            let a = from.get(*n).cloned().unwrap_or(Value::Null);
            let b = to.get(*n).cloned().unwrap_or(Value::Null);
            (a != b).then(|| FieldChange { field: (*n).to_string(), from: a, to: b })
        })
        .collect()
}

fn object_changes(a: &Value, b: &Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let am = a.as_object().unwrap_or(&empty);
    let bm = b.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = am.keys().chain(bm.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let x = am.get(k).cloned().unwrap_or(Value::Null);
            let y = bm.get(k).cloned().unwrap_or(Value::Null);
            (x != y).then(|| FieldChange { field: k.clone(), from: x, to: y })
        })
        .collect()
}

/// Compares two lists of objects, matching items by `key_of`. Items with the same key appear in
/// order (the second `电动自行车` matches the second one).
pub fn list(from: &[Value], to: &[Value], key_of: impl Fn(&Value) -> String) -> ListDiff {
    let mut index: BTreeMap<(String, usize), &Value> = BTreeMap::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for v in from {
        let k = key_of(v);
        let n = seen.entry(k.clone()).or_default();
        index.insert((k, *n), v);
        *n += 1;
    }
    let mut out = ListDiff::default();
    let mut seen_to: BTreeMap<String, usize> = BTreeMap::new();
    for v in to {
        let k = key_of(v);
        let n = seen_to.entry(k.clone()).or_default();
        match index.remove(&(k.clone(), *n)) {
            Some(old) => {
                let changes = object_changes(old, v);
                if !changes.is_empty() {
                    out.changed.push(ItemChange { key: k, changes });
                }
            }
            None => out.added.push(v.clone()),
        }
        *n += 1;
    }
    out.removed = index.into_values().cloned().collect();
    out
}

/// Products match by name and model.
pub fn product_key(v: &Value) -> String {
    let name = v.get("name").and_then(Value::as_str).unwrap_or_default();
    match v.get("model").and_then(Value::as_str) {
        Some(m) => format!("{name}（{m}）"),
        None => name.to_string(),
    }
}

/// Indicators match by name.
pub fn indicator_key(v: &Value) -> String {
    v.get("name").and_then(Value::as_str).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_match_by_key() {
        let a = vec![json!({"name": "电动自行车", "model": "A1"}), json!({"name": "充电器"}), json!({"name": "头盔"})];
        let b = vec![
            json!({"name": "电动自行车", "model": "A1", "brand": "山城"}),
            json!({"name": "头盔"}),
            json!({"name": "电池"}),
        ];
        let d = list(&a, &b, product_key);
        assert_eq!(d.added, vec![json!({"name": "电池"})]);
        assert_eq!(d.removed, vec![json!({"name": "充电器"})]);
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.changed[0].key, "电动自行车（A1）");
        assert_eq!(
            d.changed[0].changes,
            vec![FieldChange { field: "brand".into(), from: Value::Null, to: json!("山城") }]
        );
    }

    #[test]
    fn scalar_fields() {
        let a = json!({"title": "x", "summary": null});
        let b = json!({"title": "y", "summary": null});
        let c = fields(&a, &b, &["title", "summary"]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, "title");
        assert!(list(&[json!({"name": "a"})], &[json!({"name": "a"})], indicator_key).is_empty());
    }
}
