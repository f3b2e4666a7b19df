//! Reproductions of the JavaScript runtime and libraries whose exact behaviour is part of
//! docker/metadata-action's output: csv-parse (list inputs), `Number()` and `trim`, V8's sort,
//! ICU `localeCompare`, moment(-timezone) formatting and V8 date parsing, node-semver,
//! @renovate/pep440, handlebars and ECMAScript regexes. Each is a leaf: pure, no I/O, and knows
//! nothing of metadata-action itself.

pub mod civil;
pub mod collate;
pub mod csv;
pub mod handlebars;
pub mod jsnum;
pub mod moment;
pub mod pep440;
pub mod regex;
pub mod semver;
pub mod v8date;
pub mod v8sort;
