//! `Array.prototype.sort(comparefn)` exactly as V8 runs it in node 20 (V8
//! 11.3) and node 24 (V8 13.6), the `TimSort` of
//! `third_party/v8/builtins/array-sort.tq`: natural runs (`CountAndMakeRun`)
//! extended to minrun by binary insertion, a pending-run stack with the
//! `TimSort` invariants, and galloping merges with an adaptive `minGallop`.
//! Newer V8 (after 13.6) sends arrays shorter than 10 straight to a binary
//! insertion sort without counting a run first; node 20 and 24 do not
//! (checked by counting comparator calls), so neither does this module.
//!
//! Owns: reproducing the *same sequence of comparator calls* and therefore
//! the same final order as node, even for inconsistent comparators (the
//! reference sorts tag rules by `Number(priority)` where `NaN` compares
//! "equal" to everything). Must not: know what is being sorted.
//!
//! Only the sign of the comparator matters to V8 (`order < 0`), so
//! [`Ordering::Less`] stands for a negative result and both `Equal` and
//! `Greater` for a non-negative one.

use std::cmp::Ordering;

/// Initial (and reference) threshold for entering galloping mode.
const MIN_GALLOP_WINS: usize = 7;

/// Sorts `v` in place exactly like V8's `v.sort((a, b) => cmp(a, b))`:
/// same comparisons in the same order with the same arguments, so the same
/// result whatever `cmp` returns (stable for a consistent `cmp`).
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let n = v.len();
    if n < 2 {
        return;
    }
    let order = {
        let items: &[T] = v;
        let mut state = TimSort {
            work: (0..n).collect(),
            less: |a: usize, b: usize| cmp(&items[a], &items[b]) == Ordering::Less,
            runs: Vec::new(),
            min_gallop: MIN_GALLOP_WINS,
        };
        state.sort_runs(n);
        state.work
    };
    // `order[i]` is the original index of the element that ends at `i`;
    // `target[k]` is where the element now at `k` must go. Each swap puts
    // one element in its final place.
    let mut target = vec![0; n];
    for (i, &k) in order.iter().enumerate() {
        target[k] = i;
    }
    for start in 0..n {
        while target[start] != start {
            let t = target[start];
            v.swap(start, t);
            target.swap(start, t);
        }
    }
}

/// Sort state over a work array of element indices; `less(x, y)` is V8's
/// `Compare(x, y) < 0`.
struct TimSort<F: FnMut(usize, usize) -> bool> {
    work: Vec<usize>,
    less: F,
    /// Pending runs as `(base, length)`.
    runs: Vec<(usize, usize)>,
    min_gallop: usize,
}

enum MergeExit {
    /// Copy what is left of the temp run back.
    Succeed,
    /// One element of the temp run is left and belongs at the far end.
    CopyOther,
}

impl<F: FnMut(usize, usize) -> bool> TimSort<F> {
    /// `[low, start)` is sorted; insert each of `[start, high)` after the
    /// last element not greater than it (binary search).
    fn binary_insertion_sort(&mut self, low: usize, start_arg: usize, high: usize) {
        let start = if low == start_arg {
            start_arg + 1
        } else {
            start_arg
        };
        for start in start..high {
            let mut left = low;
            let mut right = start;
            let pivot = self.work[right];
            while left < right {
                let mid = left + ((right - left) >> 1);
                if (self.less)(pivot, self.work[mid]) {
                    right = mid;
                } else {
                    left = mid + 1;
                }
            }
            self.work.copy_within(left..start, left + 1);
            self.work[left] = pivot;
        }
    }

    /// Length of the run starting at `low_arg` (non-descending, or strictly
    /// descending and then reversed).
    fn count_and_make_run(&mut self, low_arg: usize, high: usize) -> usize {
        let low = low_arg + 1;
        if low == high {
            return 1;
        }
        let mut run_length = 2;
        let element_low = self.work[low];
        let is_descending = (self.less)(element_low, self.work[low - 1]);
        let mut previous = element_low;
        for idx in low + 1..high {
            let current = self.work[idx];
            let lt = (self.less)(current, previous);
            if is_descending != lt {
                break;
            }
            previous = current;
            run_length += 1;
        }
        if is_descending {
            self.work[low_arg..low_arg + run_length].reverse();
        }
        run_length
    }

    fn sort_runs(&mut self, length: usize) {
        let mut remaining = length;
        let mut low = 0;
        let min_run = compute_min_run_length(remaining);
        while remaining != 0 {
            let mut current = self.count_and_make_run(low, low + remaining);
            if current < min_run {
                let forced = min_run.min(remaining);
                self.binary_insertion_sort(low, low + current, low + forced);
                current = forced;
            }
            self.runs.push((low, current));
            self.merge_collapse();
            low += current;
            remaining -= current;
        }
        self.merge_force_collapse();
    }

    fn run_len(&self, i: usize) -> usize {
        self.runs.get(i).map_or(0, |r| r.1)
    }

    /// `run_length(n - 2) > run_length(n - 1) + run_length(n)`, true for
    /// `n < 2`.
    fn invariant_holds(&self, n: usize) -> bool {
        n < 2 || self.run_len(n - 2) > self.run_len(n - 1) + self.run_len(n)
    }

    fn merge_collapse(&mut self) {
        while self.runs.len() > 1 {
            let mut n = self.runs.len() - 2;
            if !self.invariant_holds(n + 1) || !self.invariant_holds(n) {
                // Only reachable with n >= 1 (the checks hold for n + 1 < 2).
                if n > 0 && self.run_len(n - 1) < self.run_len(n + 1) {
                    n -= 1;
                }
                self.merge_at(n);
            } else if self.run_len(n) <= self.run_len(n + 1) {
                self.merge_at(n);
            } else {
                break;
            }
        }
    }

    fn merge_force_collapse(&mut self) {
        while self.runs.len() > 1 {
            let mut n = self.runs.len() - 2;
            if n > 0 && self.run_len(n - 1) < self.run_len(n + 1) {
                n -= 1;
            }
            self.merge_at(n);
        }
    }

    /// Merges pending runs `i` and `i + 1`.
    fn merge_at(&mut self, i: usize) {
        let (mut base_a, mut length_a) = self.runs[i];
        let (base_b, mut length_b) = self.runs[i + 1];
        self.runs[i].1 = length_a + length_b;
        self.runs.remove(i + 1);

        let key_right = self.work[base_b];
        let k = gallop_right(&mut self.less, &self.work, key_right, base_a, length_a, 0);
        base_a += k;
        length_a -= k;
        if length_a == 0 {
            return;
        }
        let key_left = self.work[base_a + length_a - 1];
        length_b = gallop_left(
            &mut self.less,
            &self.work,
            key_left,
            base_b,
            length_b,
            length_b - 1,
        );
        if length_b == 0 {
            return;
        }
        if length_a <= length_b {
            self.merge_low(base_a, length_a, base_b, length_b);
        } else {
            self.merge_high(base_a, length_a, base_b, length_b);
        }
    }

    /// Merges forwards, run A copied to a temp array (`length_a <= length_b`).
    fn merge_low(
        &mut self,
        base_a: usize,
        mut length_a: usize,
        base_b: usize,
        mut length_b: usize,
    ) {
        let temp: Vec<usize> = self.work[base_a..base_a + length_a].to_vec();
        let work = &mut self.work;
        let less = &mut self.less;
        let mut dest = base_a;
        let mut cursor_temp = 0;
        let mut cursor_b = base_b;

        work[dest] = work[cursor_b];
        dest += 1;
        cursor_b += 1;

        let exit = 'merge: {
            length_b -= 1;
            if length_b == 0 {
                break 'merge MergeExit::Succeed;
            }
            if length_a == 1 {
                break 'merge MergeExit::CopyOther;
            }
            let mut min_gallop = self.min_gallop;
            loop {
                let mut wins_a = 0;
                let mut wins_b = 0;
                loop {
                    if less(work[cursor_b], temp[cursor_temp]) {
                        work[dest] = work[cursor_b];
                        dest += 1;
                        cursor_b += 1;
                        wins_b += 1;
                        length_b -= 1;
                        wins_a = 0;
                        if length_b == 0 {
                            break 'merge MergeExit::Succeed;
                        }
                        if wins_b >= min_gallop {
                            break;
                        }
                    } else {
                        work[dest] = temp[cursor_temp];
                        dest += 1;
                        cursor_temp += 1;
                        wins_a += 1;
                        length_a -= 1;
                        wins_b = 0;
                        if length_a == 1 {
                            break 'merge MergeExit::CopyOther;
                        }
                        if wins_a >= min_gallop {
                            break;
                        }
                    }
                }
                min_gallop += 1;
                let mut first_iteration = true;
                while wins_a >= MIN_GALLOP_WINS || wins_b >= MIN_GALLOP_WINS || first_iteration {
                    first_iteration = false;
                    min_gallop = min_gallop.saturating_sub(1).max(1);
                    self.min_gallop = min_gallop;

                    wins_a = gallop_right(less, &temp, work[cursor_b], cursor_temp, length_a, 0);
                    if wins_a > 0 {
                        work[dest..dest + wins_a]
                            .copy_from_slice(&temp[cursor_temp..cursor_temp + wins_a]);
                        dest += wins_a;
                        cursor_temp += wins_a;
                        length_a -= wins_a;
                        if length_a == 1 {
                            break 'merge MergeExit::CopyOther;
                        }
                        // Impossible for a consistent comparator.
                        if length_a == 0 {
                            break 'merge MergeExit::Succeed;
                        }
                    }
                    work[dest] = work[cursor_b];
                    dest += 1;
                    cursor_b += 1;
                    length_b -= 1;
                    if length_b == 0 {
                        break 'merge MergeExit::Succeed;
                    }

                    wins_b = gallop_left(less, work, temp[cursor_temp], cursor_b, length_b, 0);
                    if wins_b > 0 {
                        work.copy_within(cursor_b..cursor_b + wins_b, dest);
                        dest += wins_b;
                        cursor_b += wins_b;
                        length_b -= wins_b;
                        if length_b == 0 {
                            break 'merge MergeExit::Succeed;
                        }
                    }
                    work[dest] = temp[cursor_temp];
                    dest += 1;
                    cursor_temp += 1;
                    length_a -= 1;
                    if length_a == 1 {
                        break 'merge MergeExit::CopyOther;
                    }
                }
                min_gallop += 1;
                self.min_gallop = min_gallop;
            }
        };
        match exit {
            MergeExit::Succeed => {
                if length_a > 0 {
                    work[dest..dest + length_a]
                        .copy_from_slice(&temp[cursor_temp..cursor_temp + length_a]);
                }
            }
            MergeExit::CopyOther => {
                work.copy_within(cursor_b..cursor_b + length_b, dest);
                work[dest + length_b] = temp[cursor_temp];
            }
        }
    }

    /// Merges backwards, run B copied to a temp array (`length_a >= length_b`).
    /// The cursors here are one past V8's (`dest` is one past the next slot
    /// written), so they never go below zero.
    fn merge_high(
        &mut self,
        base_a: usize,
        mut length_a: usize,
        base_b: usize,
        mut length_b: usize,
    ) {
        let temp: Vec<usize> = self.work[base_b..base_b + length_b].to_vec();
        let work = &mut self.work;
        let less = &mut self.less;
        let mut dest = base_b + length_b;
        let mut cursor_temp = length_b;
        let mut cursor_a = base_a + length_a;

        work[dest - 1] = work[cursor_a - 1];
        dest -= 1;
        cursor_a -= 1;

        let exit = 'merge: {
            length_a -= 1;
            if length_a == 0 {
                break 'merge MergeExit::Succeed;
            }
            if length_b == 1 {
                break 'merge MergeExit::CopyOther;
            }
            let mut min_gallop = self.min_gallop;
            loop {
                let mut wins_a = 0;
                let mut wins_b = 0;
                loop {
                    if less(temp[cursor_temp - 1], work[cursor_a - 1]) {
                        work[dest - 1] = work[cursor_a - 1];
                        dest -= 1;
                        cursor_a -= 1;
                        wins_a += 1;
                        length_a -= 1;
                        wins_b = 0;
                        if length_a == 0 {
                            break 'merge MergeExit::Succeed;
                        }
                        if wins_a >= min_gallop {
                            break;
                        }
                    } else {
                        work[dest - 1] = temp[cursor_temp - 1];
                        dest -= 1;
                        cursor_temp -= 1;
                        wins_b += 1;
                        length_b -= 1;
                        wins_a = 0;
                        if length_b == 1 {
                            break 'merge MergeExit::CopyOther;
                        }
                        if wins_b >= min_gallop {
                            break;
                        }
                    }
                }
                min_gallop += 1;
                let mut first_iteration = true;
                while wins_a >= MIN_GALLOP_WINS || wins_b >= MIN_GALLOP_WINS || first_iteration {
                    first_iteration = false;
                    min_gallop = min_gallop.saturating_sub(1).max(1);
                    self.min_gallop = min_gallop;

                    let k = gallop_right(
                        less,
                        work,
                        temp[cursor_temp - 1],
                        base_a,
                        length_a,
                        length_a - 1,
                    );
                    wins_a = length_a - k;
                    if wins_a > 0 {
                        dest -= wins_a;
                        cursor_a -= wins_a;
                        work.copy_within(cursor_a..cursor_a + wins_a, dest);
                        length_a -= wins_a;
                        if length_a == 0 {
                            break 'merge MergeExit::Succeed;
                        }
                    }
                    work[dest - 1] = temp[cursor_temp - 1];
                    dest -= 1;
                    cursor_temp -= 1;
                    length_b -= 1;
                    if length_b == 1 {
                        break 'merge MergeExit::CopyOther;
                    }

                    let k = gallop_left(less, &temp, work[cursor_a - 1], 0, length_b, length_b - 1);
                    wins_b = length_b - k;
                    if wins_b > 0 {
                        dest -= wins_b;
                        cursor_temp -= wins_b;
                        work[dest..dest + wins_b]
                            .copy_from_slice(&temp[cursor_temp..cursor_temp + wins_b]);
                        length_b -= wins_b;
                        if length_b == 1 {
                            break 'merge MergeExit::CopyOther;
                        }
                        // Impossible for a consistent comparator.
                        if length_b == 0 {
                            break 'merge MergeExit::Succeed;
                        }
                    }
                    work[dest - 1] = work[cursor_a - 1];
                    dest -= 1;
                    cursor_a -= 1;
                    length_a -= 1;
                    if length_a == 0 {
                        break 'merge MergeExit::Succeed;
                    }
                }
                min_gallop += 1;
                self.min_gallop = min_gallop;
            }
        };
        match exit {
            MergeExit::Succeed => {
                if length_b > 0 {
                    work[dest - length_b..dest].copy_from_slice(&temp[..length_b]);
                }
            }
            MergeExit::CopyOther => {
                dest -= length_a;
                cursor_a -= length_a;
                work.copy_within(cursor_a..cursor_a + length_a, dest);
                work[dest - 1] = temp[cursor_temp - 1];
            }
        }
    }
}

/// `n` itself below 64; otherwise a value in `32..=64` such that `n / minrun`
/// is close to, but not above, a power of two.
fn compute_min_run_length(mut n: usize) -> usize {
    let mut r = 0;
    while n >= 64 {
        r |= n & 1;
        n >>= 1;
    }
    n + r
}

/// Position in `arr[base..base + length]` (sorted) at which `key` belongs,
/// left of any equal elements; the search starts at `hint` and gallops.
/// Uses `Compare(element, key)` like V8. V8's `lastOfs` (which may be -1)
/// is kept here as `lo = lastOfs + 1`.
fn gallop_left<F: FnMut(usize, usize) -> bool>(
    less: &mut F,
    arr: &[usize],
    key: usize,
    base: usize,
    length: usize,
    hint: usize,
) -> usize {
    let elem = |i: usize| arr[base + i];
    let mut last_ofs = 0;
    let mut offset = 1;
    let (mut lo, mut hi);
    if less(elem(hint), key) {
        let max_ofs = length - hint;
        while offset < max_ofs {
            if !less(elem(hint + offset), key) {
                break;
            }
            last_ofs = offset;
            offset = (offset << 1) + 1;
        }
        offset = offset.min(max_ofs);
        lo = hint + last_ofs + 1;
        hi = hint + offset;
    } else {
        let max_ofs = hint + 1;
        while offset < max_ofs {
            if less(elem(hint - offset), key) {
                break;
            }
            last_ofs = offset;
            offset = (offset << 1) + 1;
        }
        offset = offset.min(max_ofs);
        lo = hint + 1 - offset;
        hi = hint - last_ofs;
    }
    while lo < hi {
        let m = lo + ((hi - lo) >> 1);
        if less(elem(m), key) {
            lo = m + 1;
        } else {
            hi = m;
        }
    }
    hi
}

/// Like [`gallop_left`] but right of any equal elements; uses
/// `Compare(key, element)` like V8.
fn gallop_right<F: FnMut(usize, usize) -> bool>(
    less: &mut F,
    arr: &[usize],
    key: usize,
    base: usize,
    length: usize,
    hint: usize,
) -> usize {
    let elem = |i: usize| arr[base + i];
    let mut last_ofs = 0;
    let mut offset = 1;
    let (mut lo, mut hi);
    if less(key, elem(hint)) {
        let max_ofs = hint + 1;
        while offset < max_ofs {
            if !less(key, elem(hint - offset)) {
                break;
            }
            last_ofs = offset;
            offset = (offset << 1) + 1;
        }
        offset = offset.min(max_ofs);
        lo = hint + 1 - offset;
        hi = hint - last_ofs;
    } else {
        let max_ofs = length - hint;
        while offset < max_ofs {
            if less(key, elem(hint + offset)) {
                break;
            }
            last_ofs = offset;
            offset = (offset << 1) + 1;
        }
        offset = offset.min(max_ofs);
        lo = hint + last_ofs + 1;
        hi = hint + offset;
    }
    while lo < hi {
        let m = lo + ((hi - lo) >> 1);
        if less(key, elem(m)) {
            hi = m;
        } else {
            lo = m + 1;
        }
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::super::jsnum::js_number;
    use super::*;

    /// mulberry32, the same generator the node scripts used.
    fn mulberry(seed: u32) -> impl FnMut() -> u32 {
        let mut s = seed;
        move || {
            s = s.wrapping_add(0x6D2B_79F5);
            let mut t = s;
            t = (t ^ (t >> 15)).wrapping_mul(t | 1);
            t ^= t.wrapping_add((t ^ (t >> 7)).wrapping_mul(t | 0x3d));
            t ^ (t >> 14)
        }
    }

    fn joined(v: &[usize]) -> String {
        v.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
    }

    // Expected values printed by node 24.19 (V8 13.6) and node 20.20 (V8
    // 11.3), which agree; random runs of 3000 arrays per comparator kind (up to
    // 5000 elements) matched as well.
    /// (seed, n, comparator calls, final order) for a comparator returning
    /// `mulberry32(seed)` values mod 3 minus 1, ignoring its arguments.
    const STREAM: &[(u32, usize, usize, &str)] = &[
        (1000, 2, 1, "1,0"),
        (1001, 3, 2, "2,1,0"),
        (1002, 4, 6, "1,3,2,0"),
        (1003, 5, 8, "3,4,2,1,0"),
        (1004, 8, 14, "0,1,5,7,4,2,3,6"),
        (1005, 9, 17, "1,3,5,4,0,2,6,7,8"),
        (1006, 10, 21, "1,3,0,4,7,2,9,8,5,6"),
        (1007, 11, 25, "9,0,10,1,6,5,4,7,3,8,2"),
        (1008, 16, 42, "3,0,1,14,12,9,11,4,10,2,5,8,7,6,13,15"),
        (
            1009,
            31,
            101,
            "0,7,1,2,3,4,26,13,5,17,8,25,6,9,24,10,11,22,16,23,28,27,14,12,15,20,19,21,30,18,29",
        ),
        (
            1010,
            32,
            110,
            "0,5,13,7,18,20,3,4,24,23,1,9,21,8,15,2,26,6,10,11,12,31,16,30,14,17,22,19,25,27,28,29",
        ),
        (
            1011,
            33,
            113,
            "0,1,6,3,14,9,25,10,17,23,16,8,2,24,4,12,21,7,19,18,26,5,29,11,32,28,20,13,15,22,31,27,30",
        ),
        (
            1012,
            63,
            279,
            "0,41,8,52,20,26,1,2,19,42,17,44,38,33,36,3,9,18,16,25,53,29,4,50,57,31,34,15,55,7,5,14,10,23,24,22,32,6,11,35,39,12,28,58,46,45,21,48,61,27,37,13,54,60,40,43,51,62,30,59,47,49,56",
        ),
        (
            1013,
            64,
            252,
            "7,32,5,22,0,1,9,3,12,29,30,25,4,19,28,17,16,27,10,2,23,14,31,6,18,13,38,33,41,15,42,8,21,43,39,34,36,45,47,20,26,24,11,55,35,54,60,52,49,37,40,63,50,48,58,51,44,46,53,56,62,57,61,59",
        ),
        (
            1014,
            65,
            275,
            "33,0,1,14,25,23,2,17,5,9,3,27,13,18,20,7,41,34,4,38,21,35,56,36,46,6,8,52,19,37,10,15,39,50,26,57,32,59,43,40,11,42,44,22,45,12,64,24,49,16,53,28,29,47,51,63,58,48,61,62,55,60,30,54,31",
        ),
        (
            1015,
            66,
            282,
            "4,33,34,32,3,5,8,10,48,7,35,17,2,19,15,26,31,36,12,13,1,43,16,20,29,0,59,63,6,23,9,58,11,21,22,44,25,24,37,28,14,41,39,42,38,53,40,18,46,27,51,45,55,49,61,52,47,62,57,50,60,56,54,64,65,30",
        ),
        (
            1016,
            100,
            450,
            "1,0,14,28,2,5,20,17,46,19,27,32,45,6,51,11,59,4,61,65,36,66,62,60,52,3,63,7,10,25,68,56,23,22,42,49,29,26,8,33,9,12,47,40,30,13,34,15,37,39,43,31,24,41,44,16,18,21,35,48,38,73,64,91,57,50,80,85,82,81,74,92,90,83,72,54,53,75,77,84,55,87,67,58,95,69,98,94,71,97,96,79,86,99,76,70,88,78,89,93",
        ),
        (
            1017,
            129,
            645,
            "2,1,23,30,0,35,3,13,21,7,34,41,4,33,15,17,40,31,38,39,8,20,61,5,37,6,19,9,10,70,99,66,69,76,80,67,90,74,85,84,79,82,88,11,68,52,29,71,86,73,93,44,109,45,12,111,100,78,104,87,103,43,16,28,59,115,97,22,14,58,50,83,26,51,105,116,32,117,18,25,124,121,106,98,24,48,42,47,107,75,112,89,122,36,57,101,102,108,77,72,65,54,53,56,120,110,96,81,49,127,60,46,128,113,123,114,91,55,92,63,64,95,62,118,125,119,126,27,94",
        ),
        (
            1018,
            200,
            1131,
            "1,150,102,51,0,107,131,3,18,50,34,9,25,106,101,21,147,11,2,54,108,48,52,105,45,28,16,148,13,29,4,38,5,6,33,40,37,112,12,135,100,15,70,10,8,117,144,139,116,113,123,90,55,136,56,7,129,127,22,85,66,133,91,125,61,14,74,19,17,141,132,31,118,32,103,47,42,46,110,104,151,179,69,194,65,142,114,44,160,53,119,183,20,27,23,152,167,36,24,30,84,26,196,41,59,79,166,39,109,153,83,43,78,49,60,154,58,57,99,158,81,186,197,168,62,67,76,86,93,89,180,170,188,63,87,138,68,75,73,82,77,140,164,95,163,71,143,192,94,97,64,80,130,155,198,137,175,96,191,159,72,88,92,35,156,161,172,126,184,199,162,182,178,111,121,190,120,181,157,115,193,165,146,174,176,169,171,124,134,195,173,122,145,187,128,149,185,177,98,189",
        ),
        (
            1019,
            257,
            1371,
            "0,66,33,132,69,1,76,70,74,12,16,9,81,2,79,7,30,13,85,8,4,67,21,3,78,68,24,10,32,6,11,26,40,72,5,77,62,93,52,14,25,27,36,34,92,19,51,96,80,35,28,82,39,48,57,87,73,83,37,50,88,59,56,15,94,22,23,31,91,38,75,41,29,17,47,18,198,86,98,133,71,138,171,134,135,53,44,136,148,147,20,141,139,143,137,140,144,146,154,142,55,58,174,43,95,156,42,165,177,63,182,149,187,46,84,166,157,167,97,45,151,175,162,90,185,99,54,159,168,64,164,161,100,170,150,173,114,195,160,49,60,172,152,101,61,169,163,102,120,145,197,213,219,226,199,128,119,200,103,225,104,231,217,201,112,215,189,124,113,105,232,202,153,233,183,194,243,203,204,236,205,206,248,207,234,186,249,192,239,208,178,180,209,158,111,184,181,229,210,221,211,115,106,216,224,212,214,228,220,155,223,196,107,222,218,108,227,251,122,109,250,117,235,245,252,131,237,129,116,126,238,190,246,121,253,110,127,255,244,118,130,240,125,188,241,256,176,191,242,179,123,89,247,254,230,65,193",
        ),
    ];

    /// (priorities, final order) for metadata-action's tag comparator.
    const PRIORITY: &[(&[&str], &str)] = &[
        (&["1000", "600", "600", "600", "abc"], "0,1,2,3,4"),
        (&["200", "x", "900", "100"], "0,1,2,3"),
        (&["x", "200", "900", "100", "600"], "0,2,4,1,3"),
        (
            &[
                "200", "200", "abc", "1000", "900", "800", "700", "600", "200", "100",
            ],
            "0,1,2,3,4,5,6,7,8,9",
        ),
        (
            &[
                "100", "", "900", " ", "1e3", "0x10", "NaN", "600", "700", "200", "800",
            ],
            "4,2,10,8,7,9,0,5,1,3,6",
        ),
        (
            &[
                "900", "abc", "900", "abc", "200", "def", "600", "600", "100", "x", "y", "1000",
            ],
            "0,1,2,3,4,5,6,7,8,9,10,11",
        ),
        (
            &[
                "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "nan", "12", "13", "14",
                "15", "16", "17", "18", "19", "20",
            ],
            "20,19,18,17,16,15,14,13,12,10,9,8,7,6,5,4,3,2,1,0,11",
        ),
        (
            &[
                "1000", "x", "100", "200", "1000", "1000", "800", "200", "900", "900", "700",
                "200", "200", "x", "x", "1000", "900", "700", "x", "100", "900", "100", "700", "x",
                "100", "700", "700", "700", "600", "600", "900", "600", "700", "100", "900", "100",
                "x", "100", "600", "1000",
            ],
            "0,1,4,5,15,39,8,9,16,20,30,34,6,10,17,25,26,32,28,38,3,7,11,12,2,13,14,18,22,27,29,31,19,21,23,24,33,35,36,37",
        ),
        (
            &[
                "600", "1000", "800", "700", "700", "200", "200", "700", "1000", "900", "800",
                "600", "900", "600", "600", "100", "900", "200", "800", "800", "800", "600", "200",
                "800", "900", "200", "1000", "600", "x", "900", "700", "100", "1000", "600", "600",
                "600", "x", "600", "900", "100", "800", "600", "700", "x", "600", "600", "600",
                "800", "200", "600", "x", "700", "1000", "100", "700", "1000", "1000", "x", "1000",
                "900", "600", "200", "900", "800",
            ],
            "1,8,26,32,52,55,56,58,9,12,16,24,29,38,62,2,10,18,19,20,23,40,3,4,7,30,42,51,54,0,11,13,14,21,27,33,34,35,5,6,17,22,25,15,28,36,59,47,63,37,41,45,46,49,60,61,39,43,44,48,31,50,53,57",
        ),
        (
            &[
                "900", "1000", "900", "600", "600", "800", "200", "200", "1000", "900", "100",
                "900", "100", "700", "1000", "1000", "x", "x", "600", "700", "700", "1000", "200",
                "600", "700", "600", "200", "700", "600", "600", "600", "800", "100", "200", "100",
                "700", "900", "1000", "1000", "1000", "100", "600", "200", "1000", "900", "600",
                "900", "700", "1000", "800", "100", "900", "200", "800", "100", "600", "600",
                "700", "1000", "200", "200", "700", "600", "x", "900",
            ],
            "1,8,14,15,21,0,2,9,11,5,31,13,19,20,24,27,3,4,18,23,25,28,29,30,6,7,10,12,16,17,37,38,39,43,48,58,36,44,46,51,64,49,53,35,47,57,61,41,45,55,56,62,22,26,33,42,52,59,60,32,34,40,50,54,63",
        ),
        (
            &[
                "200", "800", "800", "x", "900", "600", "600", "1000", "700", "700", "x", "600",
                "600", "200", "600", "800", "100", "700", "100", "200", "600", "x", "600", "100",
                "200", "800", "1000", "800", "100", "600", "700", "900", "700", "1000", "x", "600",
                "700", "1000", "700", "100", "700", "700", "800", "200", "x", "900", "700", "x",
                "700", "600", "1000", "1000", "700", "100", "900", "1000", "1000", "x", "700",
                "600", "700", "200", "1000", "700", "100", "900", "900", "600", "600", "900",
                "800", "100", "200", "200", "100", "800", "800", "1000", "1000", "x", "900", "700",
                "700", "600", "100", "x", "900", "1000", "1000", "200",
            ],
            "7,26,33,37,4,31,1,2,15,25,27,42,8,17,30,32,36,38,40,41,6,12,14,20,22,0,3,9,5,10,11,29,35,13,19,24,16,18,21,23,28,34,43,39,44,45,46,47,50,51,55,56,62,77,78,87,88,54,65,66,69,80,86,70,75,76,48,52,58,60,63,81,82,49,67,83,72,73,89,53,57,59,68,61,64,71,74,79,84,85",
        ),
    ];

    /// (seed, n, comparator calls) for a consistent comparator on generated
    /// keys with long runs and duplicates (galloping merges).
    const STRUCTURED: &[(u32, usize, usize)] = &[
        (1, 100, 293),
        (2, 500, 1775),
        (3, 1000, 4185),
        (4, 2000, 7978),
        (5, 4000, 22008),
        (6, 333, 345),
    ];

    #[test]
    fn same_calls_and_order_as_v8_for_arbitrary_comparator() {
        for &(seed, n, want_calls, want) in STREAM {
            let mut next = mulberry(seed);
            let mut calls = 0;
            let mut v: Vec<usize> = (0..n).collect();
            sort_by(&mut v, |_, _| {
                calls += 1;
                match next() % 3 {
                    0 => Ordering::Less,
                    1 => Ordering::Equal,
                    _ => Ordering::Greater,
                }
            });
            assert_eq!(calls, want_calls, "seed {seed} n {n}");
            assert_eq!(joined(&v), want, "seed {seed} n {n}");
        }
    }

    #[test]
    fn tag_priority_comparator_with_nan_matches_v8() {
        for &(prios, want) in PRIORITY {
            let mut v: Vec<(usize, f64)> =
                prios.iter().copied().map(js_number).enumerate().collect();
            sort_by(&mut v, |a, b| {
                if a.1 < b.1 {
                    Ordering::Greater
                } else if a.1 > b.1 {
                    Ordering::Less
                } else {
                    Ordering::Equal
                }
            });
            let ids: Vec<usize> = v.iter().map(|x| x.0).collect();
            assert_eq!(joined(&ids), want, "{prios:?}");
        }
    }

    #[test]
    fn galloping_merges_match_v8_call_counts_and_are_stable() {
        for &(seed, n, want_calls) in STRUCTURED {
            let mut r = mulberry(seed);
            let mut keys: Vec<i64> = Vec::with_capacity(n);
            while keys.len() < n {
                let kind = r() % 4;
                let len = 1 + i64::from(r() % 200);
                let base = i64::from(r() % 1000);
                let mut j = 0;
                while j < len && keys.len() < n {
                    keys.push(match kind {
                        0 => base + j,
                        1 => base - j,
                        2 => base,
                        _ => i64::from(r() % 50),
                    });
                    j += 1;
                }
            }
            let mut v: Vec<(i64, usize)> = keys.iter().copied().zip(0..).collect();
            let mut calls = 0;
            sort_by(&mut v, |a, b| {
                calls += 1;
                a.0.cmp(&b.0)
            });
            let mut stable: Vec<(i64, usize)> = keys.iter().copied().zip(0..).collect();
            stable.sort_by_key(|x| x.0);
            assert_eq!(v, stable, "seed {seed}");
            assert_eq!(calls, want_calls, "seed {seed} n {n}");
        }
    }

    #[test]
    fn trivial_lengths() {
        let mut empty: Vec<u8> = Vec::new();
        sort_by(&mut empty, Ord::cmp);
        assert!(empty.is_empty());
        let mut one = vec![1];
        sort_by(&mut one, |_, _| unreachable!());
        assert_eq!(one, [1]);
        let mut words = vec!["b", "a", "c", "a"];
        sort_by(&mut words, Ord::cmp);
        assert_eq!(words, ["a", "a", "b", "c"]);
    }

    #[test]
    fn never_panics_on_inconsistent_comparators() {
        for seed in 0..200u32 {
            let mut next = mulberry(seed);
            let n = (seed as usize * 37) % 700;
            let mut v: Vec<usize> = (0..n).collect();
            sort_by(&mut v, |_, _| match next() % 5 {
                0 | 1 => Ordering::Less,
                2 => Ordering::Equal,
                _ => Ordering::Greater,
            });
            let mut sorted = v.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "a permutation");
        }
    }
}
