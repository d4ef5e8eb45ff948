//! What changed between two canonical documents: the paths (for history and severity rules) and
//! an RFC 6902 patch (for the API's version diff). Both come from one walk, so they always agree.
//!
//! Objects are compared member by member. Arrays are compared after dropping their common
//! prefix and suffix: in a sorted set one added or removed element is then one `add` or
//! `remove`, not a `replace` of every element after it. What is left in the middle is compared
//! position by position, and the longer side's remainder is added or removed. Anything else
//! that differs (including a change of type) is replaced whole.

use json_patch::jsonptr::PointerBuf;
use json_patch::{AddOperation, Patch, PatchOperation, RemoveOperation, ReplaceOperation};
use serde_json::{Map, Value};

/// The JSON Pointers of the smallest subtrees that differ, sorted (as strings) and without
/// duplicates. Empty exactly when the documents are equal. A resource that appears or
/// disappears (`Null` on one side) has the single path `""`, the whole document.
pub fn changed_paths(old: &Value, new: &Value) -> Vec<String> {
    let mut paths = Vec::new();
    walk(old, new, &mut PointerBuf::new(), &mut |_, at| {
        paths.push(at.as_str().to_owned());
    });
    paths.sort();
    paths.dedup();
    paths
}

/// An RFC 6902 patch that turns `old` into `new` when applied in order.
pub fn json_patch(old: &Value, new: &Value) -> Patch {
    let mut ops = Vec::new();
    walk(old, new, &mut PointerBuf::new(), &mut |op, at| {
        let path = at.to_owned();
        ops.push(match op {
            Op::Add(value) => PatchOperation::Add(AddOperation {
                path,
                value: value.clone(),
            }),
            Op::Remove => PatchOperation::Remove(RemoveOperation { path }),
            Op::Replace(value) => PatchOperation::Replace(ReplaceOperation {
                path,
                value: value.clone(),
            }),
        });
    });
    Patch(ops)
}

enum Op<'a> {
    Add(&'a Value),
    Remove,
    Replace(&'a Value),
}

type Emit<'e, 'a> = dyn FnMut(Op<'a>, &PointerBuf) + 'e;

fn walk<'a>(old: &'a Value, new: &'a Value, at: &mut PointerBuf, emit: &mut Emit<'_, 'a>) {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => objects(old, new, at, emit),
        (Value::Array(old), Value::Array(new)) => arrays(old, new, at, emit),
        _ if old == new => {}
        _ => emit(Op::Replace(new), at),
    }
}

fn objects<'a>(
    old: &'a Map<String, Value>,
    new: &'a Map<String, Value>,
    at: &mut PointerBuf,
    emit: &mut Emit<'_, 'a>,
) {
    for (key, old_value) in old {
        at.push_back(key);
        match new.get(key) {
            Some(new_value) => walk(old_value, new_value, at, emit),
            None => emit(Op::Remove, at),
        }
        at.pop_back();
    }
    for (key, new_value) in new {
        if !old.contains_key(key) {
            at.push_back(key);
            emit(Op::Add(new_value), at);
            at.pop_back();
        }
    }
}

fn arrays<'a>(old: &'a [Value], new: &'a [Value], at: &mut PointerBuf, emit: &mut Emit<'_, 'a>) {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let old_middle = &old[prefix..old.len() - suffix];
    let new_middle = &new[prefix..new.len() - suffix];
    let common = old_middle.len().min(new_middle.len());
    for (offset, (a, b)) in old_middle.iter().zip(new_middle).enumerate() {
        at.push_back(prefix + offset);
        walk(a, b, at, emit);
        at.pop_back();
    }
    // Removed from the end backwards, so that each index is still right when applied.
    for index in (prefix + common..prefix + old_middle.len()).rev() {
        at.push_back(index);
        emit(Op::Remove, at);
        at.pop_back();
    }
    for (offset, value) in new_middle[common..].iter().enumerate() {
        at.push_back(prefix + common + offset);
        emit(Op::Add(value), at);
        at.pop_back();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn applied(old: &Value, new: &Value) -> Value {
        let mut doc = old.clone();
        json_patch::patch(&mut doc, &json_patch(old, new)).unwrap();
        doc
    }

    #[test]
    fn equal_documents_have_no_changes() {
        let doc = json!({"a": [1, {"b": null}]});
        assert!(changed_paths(&doc, &doc).is_empty());
        assert!(json_patch(&doc, &doc).0.is_empty());
    }

    #[test]
    fn paths_name_the_smallest_changed_subtrees() {
        let old = json!({"state": "enabled", "conditions": {"users": {"includeUsers": ["All"]}, "platforms": null}, "gone": 1});
        let new = json!({"state": "disabled", "conditions": {"users": {"includeUsers": ["All"]}, "platforms": {"includePlatforms": ["all"]}}, "added": true});
        assert_eq!(
            changed_paths(&old, &new),
            ["/added", "/conditions/platforms", "/gone", "/state"]
        );
        assert_eq!(applied(&old, &new), new);
    }

    #[test]
    fn keys_are_escaped() {
        let old = json!({"a/b": 1, "c~d": {"x": 1}});
        let new = json!({"a/b": 2, "c~d": {"x": 2}});
        assert_eq!(changed_paths(&old, &new), ["/a~1b", "/c~0d/x"]);
        assert_eq!(applied(&old, &new), new);
    }

    #[test]
    fn one_element_added_to_a_sorted_set_is_one_add() {
        let old = json!({"excludeUsers": ["a", "c", "d"]});
        let new = json!({"excludeUsers": ["a", "b", "c", "d"]});
        assert_eq!(changed_paths(&old, &new), ["/excludeUsers/1"]);
        assert_eq!(
            serde_json::to_value(json_patch(&old, &new)).unwrap(),
            json!([{"op": "add", "path": "/excludeUsers/1", "value": "b"}])
        );
        assert_eq!(changed_paths(&new, &old), ["/excludeUsers/1"]);
        assert_eq!(applied(&new, &old), old);
    }

    #[test]
    fn arrays_changed_in_the_middle_replace_then_add_or_remove() {
        let old = json!([1, 2, 3, 4, 9]);
        let new = json!([1, 5, 9]);
        assert_eq!(changed_paths(&old, &new), ["/1", "/2", "/3"]);
        assert_eq!(applied(&old, &new), new);
        assert_eq!(applied(&new, &old), old);
        let nested = json!([{"a": 1}, {"a": 2}]);
        let changed = json!([{"a": 1}, {"a": 3}, {"a": 4}]);
        assert_eq!(changed_paths(&nested, &changed), ["/1/a", "/2"]);
        assert_eq!(applied(&nested, &changed), changed);
    }

    #[test]
    fn a_resource_that_appears_or_disappears_changes_at_the_root() {
        let doc = json!({"a": 1});
        assert_eq!(changed_paths(&Value::Null, &doc), [""]);
        assert_eq!(changed_paths(&doc, &Value::Null), [""]);
        assert_eq!(applied(&Value::Null, &doc), doc);
        assert_eq!(applied(&doc, &json!([1])), json!([1]));
    }
}
