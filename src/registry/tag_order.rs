//! The order tags may move in: which tags of one target must have moved before another may
//! start, derived from the tag names alone (the registry layer receives a plain ordered list).
//! Pure; owns no I/O.
//!
//! A tag is either *versioned* (its first run of digits, with the `.digits` runs that follow,
//! is its version: `v1.2.3-alpine` is `v` + `1.2.3` + `-alpine`) or *floating* (no digit:
//! `latest`, `edge`, `latest-alpine`). A tag family is what one release moves together, and
//! the rule is that a less specific tag never moves before a more specific one of its family:
//!
//! - a versioned tag whose version is a proper prefix of another's (`1.2` of `1.2.3`), with the
//!   same text before the version and the same text after it (or none: `1.2` of `1.2.3-rc.1`),
//!   moves after that one;
//! - a floating tag moves after every versioned tag of the target, and after the floating tags
//!   listed before it.
//!
//! Every other pair is unrelated and may move concurrently (`1.2.3` and `1.3.0`, `pr-12` and
//! `sha-860c190`). The derivation is conservative: when names cannot be told apart it orders
//! them. The relation is acyclic by construction (edges go from longer versions to shorter
//! ones, from versioned to floating, and between floating tags in list order).

/// A tag name split around its version.
#[derive(Debug, PartialEq, Eq)]
enum Shape<'a> {
    /// No digit at all.
    Floating,
    /// Text before the version, the version's numeric parts, text after it.
    Versioned {
        before: &'a str,
        parts: Vec<&'a str>,
        after: &'a str,
    },
}

fn shape(tag: &str) -> Shape<'_> {
    let bytes = tag.as_bytes();
    let Some(start) = bytes.iter().position(u8::is_ascii_digit) else {
        return Shape::Floating;
    };
    let mut end = start;
    let mut parts = Vec::new();
    loop {
        let from = end;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
        parts.push(&tag[from..end]);
        let more = end + 1 < bytes.len() && bytes[end] == b'.' && bytes[end + 1].is_ascii_digit();
        if !more {
            break;
        }
        end += 1;
    }
    Shape::Versioned {
        before: &tag[..start],
        parts,
        after: &tag[end..],
    }
}

/// Whether `a` (at index `i`) must have moved before `b` (at index `j`) may start.
fn precedes(a: &Shape<'_>, i: usize, b: &Shape<'_>, j: usize) -> bool {
    match (a, b) {
        (Shape::Floating, Shape::Floating) => i < j,
        (Shape::Versioned { .. }, Shape::Floating) => true,
        (Shape::Floating, Shape::Versioned { .. }) => false,
        (
            Shape::Versioned {
                before: ab,
                parts: ap,
                after: aa,
            },
            Shape::Versioned {
                before: bb,
                parts: bp,
                after: ba,
            },
        ) => ab == bb && bp.len() < ap.len() && ap.starts_with(bp) && (aa == ba || ba.is_empty()),
    }
}

/// For each tag of `tags` (by index), the tags that must have moved before it may start.
pub fn predecessors(tags: &[String]) -> Vec<Vec<usize>> {
    let shapes: Vec<Shape<'_>> = tags.iter().map(|t| shape(t)).collect();
    shapes
        .iter()
        .enumerate()
        .map(|(j, b)| {
            shapes
                .iter()
                .enumerate()
                .filter(|&(i, a)| i != j && precedes(a, i, b, j))
                .map(|(i, _)| i)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preds(tags: &[&str]) -> Vec<Vec<usize>> {
        predecessors(&tags.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn a_tag_splits_around_its_first_version() {
        assert_eq!(shape("latest"), Shape::Floating);
        assert_eq!(
            shape("v1.2.3-alpine3.19"),
            Shape::Versioned {
                before: "v",
                parts: vec!["1", "2", "3"],
                after: "-alpine3.19"
            }
        );
        assert_eq!(
            shape("1."),
            Shape::Versioned {
                before: "",
                parts: vec!["1"],
                after: "."
            }
        );
    }

    #[test]
    fn less_specific_tags_of_a_release_wait_for_the_more_specific_ones() {
        // metadata-action's usual release: 1.2.3, 1.2, 1, latest.
        assert_eq!(
            preds(&["1.2.3", "1.2", "1", "latest"]),
            [vec![], vec![0], vec![0, 1], vec![0, 1, 2]]
        );
        // Written least specific first, the order still follows specificity.
        assert_eq!(
            preds(&["1", "latest", "1.2", "1.2.3"]),
            [vec![2, 3], vec![0, 2, 3], vec![3], vec![]]
        );
        // Flavor prefix and suffix are part of the family.
        assert_eq!(
            preds(&["v1.2.3-alpine", "v1.2-alpine", "v1.2.3", "v1.2"]),
            [vec![], vec![0], vec![], vec![0, 2]]
        );
        // A bare `1.2` waits for a suffixed `1.2.3-rc.1` (conservative).
        assert_eq!(preds(&["1.2.3-rc.1", "1.2"]), [vec![], vec![0]]);
    }

    #[test]
    fn unrelated_tags_are_free_and_floating_tags_go_last_in_list_order() {
        assert_eq!(
            preds(&["1.2.3", "1.3.0", "sha-860c190", "pr-12"]),
            vec![Vec::<usize>::new(); 4]
        );
        assert_eq!(
            preds(&["edge", "sha-1a", "latest"]),
            [vec![1], vec![], vec![0, 1]]
        );
        assert_eq!(preds(&["r1", "r2", "r10"]), vec![Vec::<usize>::new(); 3]);
    }

    #[test]
    fn the_order_is_acyclic_for_any_list() {
        let tags = [
            "latest",
            "1",
            "1.2",
            "1.2.3",
            "v1",
            "edge",
            "1.2.3-rc.1",
            "1.2-rc.1",
            "x",
            "2",
        ];
        let p = preds(&tags);
        // Kahn's algorithm finishes only on a DAG.
        let mut done = vec![false; tags.len()];
        for _ in 0..tags.len() {
            let next = (0..tags.len())
                .find(|&j| !done[j] && p[j].iter().all(|&i| done[i]))
                .expect("a cycle");
            done[next] = true;
        }
    }
}
