//! The order tags may move in: which tags of one target must have moved before another may
//! start, derived from the tag names alone (the registry layer receives a plain ordered list),
//! and [`run_in_order`], which runs one job per tag within a bound in that order. Owns no I/O:
//! the jobs are the caller's.
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

/// Runs `start(i)` for every tag `i` not in `skip`, at most `limit` at once, each only after
/// every one of its `predecessors` is done (a skipped tag counts as done at once); tags become
/// ready in list order. `done(i, outcome)` records each job as it ends and says whether to go
/// on: after `false` nothing more starts, and the jobs already running finish and are recorded.
/// Bounded: each tag starts at most once.
pub async fn run_in_order<T, Fut>(
    predecessors: &[Vec<usize>],
    limit: usize,
    skip: &[bool],
    mut start: impl FnMut(usize) -> Fut,
    mut done: impl FnMut(usize, T) -> bool,
) where
    Fut: std::future::Future<Output = T>,
{
    use futures_util::StreamExt as _;
    let count = predecessors.len();
    let mut waiting: Vec<usize> = predecessors.iter().map(Vec::len).collect();
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (j, before) in predecessors.iter().enumerate() {
        for &i in before {
            successors[i].push(j);
        }
    }
    let mut ready: std::collections::VecDeque<usize> =
        (0..count).filter(|&j| waiting[j] == 0).collect();
    let mut release = |i: usize, ready: &mut std::collections::VecDeque<usize>| {
        for &j in &successors[i] {
            waiting[j] -= 1;
            if waiting[j] == 0 {
                ready.push_back(j);
            }
        }
    };
    let mut running = futures_util::stream::FuturesUnordered::new();
    let mut go_on = true;
    loop {
        while go_on && running.len() < limit.max(1) {
            let Some(i) = ready.pop_front() else { break };
            if skip.get(i).copied().unwrap_or(false) {
                release(i, &mut ready);
                continue;
            }
            let job = start(i);
            running.push(async move { (i, job.await) });
        }
        let Some((i, outcome)) = running.next().await else {
            break;
        };
        if done(i, outcome) {
            release(i, &mut ready);
        } else {
            go_on = false;
        }
    }
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
    /// Runs `run_in_order` over `tags` with jobs that yield `i % 3` times; `fail` ends in
    /// failure. Returns the start order, the end order and the most jobs running at once.
    fn schedule(
        tags: &[&str],
        limit: usize,
        skip: &[bool],
        fail: Option<usize>,
    ) -> (Vec<usize>, Vec<usize>, usize) {
        use std::cell::RefCell;
        let predecessors = preds(tags);
        let started = RefCell::new(Vec::new());
        let ended = RefCell::new(Vec::new());
        let running = RefCell::new((0_usize, 0_usize));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(run_in_order(
            &predecessors,
            limit,
            skip,
            |i| {
                // Every predecessor has ended when a tag starts.
                for &p in &predecessors[i] {
                    assert!(ended.borrow().contains(&p) || skip[p], "{i} before {p}");
                }
                started.borrow_mut().push(i);
                let mut r = running.borrow_mut();
                r.0 += 1;
                r.1 = r.1.max(r.0);
                let running = &running;
                async move {
                    for _ in 0..i % 3 {
                        tokio::task::yield_now().await;
                    }
                    running.borrow_mut().0 -= 1;
                    Some(i) != fail
                }
            },
            |i, ok| {
                ended.borrow_mut().push(i);
                ok
            },
        ));
        let most = running.borrow().1;
        (started.into_inner(), ended.into_inner(), most)
    }

    #[test]
    fn jobs_run_within_the_bound_and_in_family_order() {
        let mut tags = vec!["1", "latest", "1.2", "1.2.3"];
        let builds: Vec<String> = (0..20).map(|i| format!("build-{i}")).collect();
        tags.extend(builds.iter().map(String::as_str));
        let skip = vec![false; tags.len()];
        let (started, ended, most) = schedule(&tags, 4, &skip, None);
        assert_eq!(most, 4);
        assert_eq!(started.len(), tags.len());
        assert_eq!(ended.len(), tags.len());
        let at = |i| started.iter().position(|&s| s == i).expect("started");
        assert!(at(3) < at(2) && at(2) < at(0) && at(0) < at(1));
    }

    #[test]
    fn a_failure_starts_nothing_more_and_lets_the_running_jobs_end() {
        let tags = [
            "1", "latest", "1.2", "1.2.3", "a1", "a2", "a4", "a5", "a7", "a8",
        ];
        let skip = vec![false; tags.len()];
        // `1.2.3` fails: its family (`1.2`, `1`, `latest`) never starts.
        let (started, ended, _) = schedule(&tags, 3, &skip, Some(3));
        for family in [0, 1, 2] {
            assert!(!started.contains(&family), "{family} started: {started:?}");
        }
        let mut s = started.clone();
        let mut e = ended.clone();
        s.sort_unstable();
        e.sort_unstable();
        assert_eq!(s, e, "every started job ends");
        assert!(started.len() < tags.len());
        // A skipped tag counts as done: its family goes on.
        let mut skip = vec![false; tags.len()];
        skip[3] = true;
        let (started, _, _) = schedule(&tags, 3, &skip, None);
        assert!(!started.contains(&3));
        assert_eq!(started.len(), tags.len() - 1);
    }
}
