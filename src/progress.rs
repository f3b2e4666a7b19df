//! Push progress: the events the registry executor emits ([`Progress`], [`Event`]; a no-op
//! unless a renderer is attached) and the renderer ([`Renderer`]). On a terminal the renderer
//! keeps one live line per target (bytes, rate, blobs done); elsewhere (a runner's log, a pipe)
//! it prints a target's line when a blob completes and otherwise at most every 10 s.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, ReadBuf};

use crate::github::commands::Log;
use crate::plan::{Blob, BlobReader, BlobStream, Digest};

/// What happened in a push, per target (named by its image).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// The target's content phase begins: `blobs` blobs to put in place, `bytes` to upload.
    Start {
        /// The image name.
        image: &'a str,
        /// Blobs in the plan.
        blobs: usize,
        /// Bytes of the blobs the target lacks.
        bytes: u64,
    },
    /// Bytes of a blob were read for upload (a retried upload reads again).
    Bytes {
        /// The image name.
        image: &'a str,
        /// How many.
        n: u64,
    },
    /// One blob is in place (uploaded, mounted or already there).
    BlobDone {
        /// The image name.
        image: &'a str,
        /// Its size.
        size: u64,
        /// Mounted from a sibling repository: counted in `Start`'s bytes but never sent.
        mounted: bool,
    },
    /// The target's content is in place (`ok`) or failed.
    Done {
        /// The image name.
        image: &'a str,
        /// Whether it succeeded.
        ok: bool,
    },
}

type Callback = Arc<dyn Fn(&Event<'_>) + Send + Sync>;

/// Where progress events go: nowhere by default.
#[derive(Clone, Default)]
pub struct Progress(Option<Callback>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(on)"
        } else {
            "Progress(off)"
        })
    }
}

impl Progress {
    /// Progress delivered to `f`.
    pub fn new(f: impl Fn(&Event<'_>) + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(f)))
    }

    /// Delivers one event.
    pub fn emit(&self, event: &Event<'_>) {
        if let Some(f) = &self.0 {
            f(event);
        }
    }

    /// `reader`, with every byte read reported as [`Event::Bytes`] for `image`.
    pub fn reader<'a>(&self, reader: &'a dyn BlobReader, image: &str) -> CountingReader<'a> {
        CountingReader {
            inner: reader,
            image: image.into(),
            progress: self.clone(),
        }
    }
}

/// A [`BlobReader`] that reports the bytes read (see [`Progress::reader`]).
pub struct CountingReader<'a> {
    inner: &'a dyn BlobReader,
    image: Arc<str>,
    progress: Progress,
}

impl BlobReader for CountingReader<'_> {
    fn open_blob(&self, digest: &Digest) -> std::io::Result<BlobStream> {
        let inner = self.inner.open_blob(digest)?;
        if self.progress.0.is_none() {
            return Ok(inner);
        }
        Ok(Box::pin(Counted {
            inner,
            image: Arc::clone(&self.image),
            progress: self.progress.clone(),
        }))
    }

    fn verify_blob(&self, blob: &Blob) -> Result<(), crate::plan::VerifyError> {
        self.inner.verify_blob(blob)
    }
}

struct Counted {
    inner: BlobStream,
    image: Arc<str>,
    progress: Progress,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = self.inner.as_mut().poll_read(cx, buf);
        let n = buf.filled().len() - before;
        if n > 0 {
            self.progress.emit(&Event::Bytes {
                image: &self.image,
                n: n as u64,
            });
        }
        polled
    }
}

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

    #[test]
    fn the_off_progress_emits_nothing_and_the_on_one_counts() {
        Progress::default().emit(&Event::BlobDone {
            image: "x",
            size: 1,
            mounted: false,
        });
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = Arc::clone(&seen);
        let p = Progress::new(move |e| {
            if let Event::Bytes { n, .. } = e {
                s.lock().expect("lock").push(*n);
            }
        });
        p.emit(&Event::Bytes { image: "x", n: 7 });
        p.emit(&Event::BlobDone {
            image: "x",
            size: 1,
            mounted: true,
        });
        assert_eq!(*seen.lock().expect("lock"), vec![7]);
    }
}
