//! Push progress as the log shows it: on a terminal one live line per target (bytes, rate,
//! blobs done); elsewhere (a runner's log, a pipe) a target's line when a blob completes and
//! otherwise at most every 10 s. Consumes the events of `crate::progress`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::github::commands::Log;
use crate::progress::{Event, Progress};

/// How often a line is printed when not on a terminal.
const LOG_EVERY: Duration = Duration::from_secs(10);
/// How often the live lines are redrawn on a terminal.
const REDRAW_EVERY: Duration = Duration::from_millis(200);

#[derive(Debug)]
struct TargetState {
    blobs: usize,
    blobs_done: usize,
    bytes: u64,
    sent: u64,
    mounted: usize,
    started: Instant,
    last_line: Instant,
    state: &'static str,
}

#[derive(Debug, Default)]
struct State {
    order: Vec<String>,
    targets: HashMap<String, TargetState>,
    drawn: usize,
    last_draw: Option<Instant>,
}

/// Renders progress events: live lines on a terminal, periodic lines elsewhere.
#[derive(Clone, Debug)]
pub struct Renderer {
    live: bool,
    log: Log,
    state: Arc<Mutex<State>>,
}

/// `1.5 MiB`-style sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    #[allow(clippy::cast_precision_loss)]
    let mut v = n as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

fn line(image: &str, t: &TargetState, now: Instant) -> String {
    let secs = now.duration_since(t.started).as_secs_f64().max(0.001);
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let rate = (t.sent as f64 / secs) as u64;
    let mounted = if t.mounted > 0 {
        format!(", {} mounted", t.mounted)
    } else {
        String::new()
    };
    format!(
        "{image}: {} blobs {}/{}{mounted}, {} of {} ({}/s)",
        t.state,
        t.blobs_done,
        t.blobs,
        human_bytes(t.sent),
        human_bytes(t.bytes),
        human_bytes(rate)
    )
}

impl Renderer {
    /// A renderer printing through `log`; `live` for a terminal (local runs only).
    pub fn new(log: &Log, live: bool) -> Self {
        Self {
            live: live && log.cli,
            log: log.clone(),
            state: Arc::default(),
        }
    }

    /// The progress sink that feeds this renderer (no-op when the log is quiet).
    pub fn progress(&self) -> Progress {
        if self.log.quiet {
            return Progress::default();
        }
        let me = self.clone();
        Progress::new(move |e| me.on(e))
    }

    fn on(&self, event: &Event<'_>) {
        let now = Instant::now();
        let mut st = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (image, force) = match *event {
            Event::Start {
                image,
                blobs,
                bytes,
            } => {
                if !st.targets.contains_key(image) {
                    st.order.push(image.to_owned());
                }
                st.targets.insert(
                    image.to_owned(),
                    TargetState {
                        blobs,
                        blobs_done: 0,
                        bytes,
                        sent: 0,
                        mounted: 0,
                        started: now,
                        last_line: now,
                        state: "pushing",
                    },
                );
                (image, true)
            }
            Event::Bytes { image, n } => {
                if let Some(t) = st.targets.get_mut(image) {
                    t.sent += n;
                }
                (image, false)
            }
            Event::BlobDone {
                image,
                size,
                mounted,
            } => {
                if let Some(t) = st.targets.get_mut(image) {
                    t.blobs_done = (t.blobs_done + 1).min(t.blobs);
                    if mounted {
                        t.bytes = t.bytes.saturating_sub(size);
                        t.mounted += 1;
                    }
                }
                (image, true)
            }
            Event::Done { image, ok } => {
                if let Some(t) = st.targets.get_mut(image) {
                    t.state = if ok { "done," } else { "failed," };
                }
                (image, true)
            }
        };
        if self.live {
            self.draw(&mut st, now, force);
        } else if let Some(t) = st.targets.get_mut(image)
            && (force || now.duration_since(t.last_line) >= LOG_EVERY)
        {
            t.last_line = now;
            let text = line(image, t, now);
            drop(st);
            self.log.info(&text);
        }
    }

    /// Redraws every target's line in place (ANSI cursor up, clear line).
    fn draw(&self, st: &mut State, now: Instant, force: bool) {
        if !force
            && st
                .last_draw
                .is_some_and(|t| now.duration_since(t) < REDRAW_EVERY)
        {
            return;
        }
        st.last_draw = Some(now);
        let out = self.log.secrets.scrub(&frame(st, now));
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), out.as_bytes());
    }
}

/// One redraw: back up over the lines drawn last time, then one cleared line per target.
fn frame(st: &mut State, now: Instant) -> String {
    let mut out = String::new();
    if st.drawn > 0 {
        let _ = write!(out, "\x1b[{}A", st.drawn);
    }
    for image in &st.order {
        if let Some(t) = st.targets.get(image) {
            out.push_str("\r\x1b[2K");
            out.push_str(&line(image, t, now));
            out.push('\n');
        }
    }
    st.drawn = st.order.len();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_sizes() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }

    #[test]
    fn a_target_line_counts_blobs_and_bytes() {
        let now = Instant::now();
        let t = TargetState {
            blobs: 4,
            blobs_done: 2,
            bytes: 2048,
            sent: 1024,
            mounted: 0,
            started: now.checked_sub(Duration::from_secs(2)).unwrap_or(now),
            last_line: now,
            state: "pushing",
        };
        let l = line("r/app", &t, now);
        assert!(
            l.starts_with("r/app: pushing blobs 2/4, 1.0 KiB of 2.0 KiB ("),
            "{l}"
        );
    }

    #[test]
    fn a_terminal_frame_redraws_every_target_in_place() {
        let now = Instant::now();
        let mut st = State::default();
        for image in ["a/x", "b/x"] {
            st.order.push(image.to_owned());
            st.targets.insert(
                image.to_owned(),
                TargetState {
                    blobs: 2,
                    blobs_done: 1,
                    bytes: 10,
                    sent: 5,
                    mounted: 0,
                    started: now,
                    last_line: now,
                    state: "pushing",
                },
            );
        }
        let first = frame(&mut st, now);
        assert!(
            first.starts_with("\r\x1b[2Ka/x: pushing blobs 1/2"),
            "{first:?}"
        );
        assert_eq!(first.matches('\n').count(), 2);
        let second = frame(&mut st, now);
        assert!(second.starts_with("\x1b[2A\r\x1b[2Ka/x"), "{second:?}");
    }
}
