//! STUB
pub fn sort_by<T>(v: &mut [T], cmp: impl FnMut(&T, &T) -> std::cmp::Ordering) {
    v.sort_by(cmp);
}
