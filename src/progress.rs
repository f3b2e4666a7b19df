//! Push progress events: what the registry executor emits ([`Progress`], [`Event`]; a no-op
//! unless a callback is attached) and the reader that counts the bytes read for upload. A leaf
//! over `plan`: the renderer that turns events into log lines is `outputs::progress`.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

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

    fn blob_origin(&self, digest: &Digest) -> Option<String> {
        self.inner.blob_origin(digest)
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

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
