//! hoist: docker/metadata-action's tags, labels and annotations, byte for byte, then one image
//! pushed to every registry in one step. See docs/architecture.md for the module map and the data
//! flow.

pub mod app;
pub mod duration;
pub mod github;
pub mod js;
pub mod meta;
pub mod outputs;
pub mod plan;
pub mod progress;
pub mod push;
pub mod reference;
pub mod registry;
pub mod retention;
pub mod settings;
pub mod source;
