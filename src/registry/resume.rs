//! What a resumable blob upload needs beside the requests themselves (which stay in
//! [`super::endpoint`]): the upload session one attempt hands to the next ([`UploadSession`]),
//! the parse of a registry's `Range: 0-<last>` answer ([`parse_range`]), and the windows on a
//! blob stream ([`Cursor`], [`Window`]) that request bodies are made of.
//!
//! Sources give a stream from the start of a blob ([`crate::plan::BlobReader`]): the chunks of
//! one upload read it once, front to back (each chunk's body hands the stream on to the next);
//! a window that starts elsewhere (a resume, a request rebuilt after a 401) opens the blob again
//! and skips to its offset by reading and dropping the bytes before it (streamed, a 64 KiB
//! scratch buffer, never the blob in memory; no source seeks today). The streams are those of
//! [`super::verify::Verifying`]: every byte read, skipped ones included, feeds the blob's one
//! hash, and a window's last bytes go out only once the blob matches its digest.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};

use reqwest::Url;
use tokio::io::{AsyncRead, ReadBuf};

use crate::plan::{BlobReader, BlobStream, Digest};

/// The upload URL of a blob upload in progress, kept by the retry of one upload operation so
/// that an attempt cut by the transport is resumed by the next one, not started over.
#[derive(Debug, Default)]
pub struct UploadSession(std::sync::Mutex<Option<Url>>);

impl UploadSession {
    /// Takes the URL (the session is then empty).
    pub fn take(&self) -> Option<Url> {
        self.0.lock().map_or(None, |mut u| u.take())
    }

    /// Records the URL to resume from.
    pub fn set(&self, url: Url) {
        if let Ok(mut u) = self.0.lock() {
            *u = Some(url);
        }
    }
}

/// The offset to resume from given a `Range: 0-<last>` header: `last + 1`; `0-0` counts as
/// nothing received (distribution answers `0-0` for an empty session, so one byte is re-sent
/// at worst). `None` when the header is not of that form.
pub fn parse_range(value: &str) -> Option<u64> {
    let (start, last) = value.trim().split_once('-')?;
    if start.trim() != "0" {
        return None;
    }
    let last: u64 = last.trim().parse().ok()?;
    if last == 0 {
        Some(0)
    } else {
        last.checked_add(1)
    }
}

/// Where a finished window leaves its stream, and the offset the stream is at.
type Home = Arc<Mutex<Option<(BlobStream, u64)>>>;

/// The source stream of one upload attempt, handed from each window that reads it to its end
/// to the next window, so that consecutive chunks read the blob once.
#[derive(Default)]
pub struct Cursor(Home);

impl Cursor {
    /// The window `[offset, offset + len)` of `digest`: the stream the previous window left
    /// when it stopped at `offset`, else the blob opened again and skipped to `offset`.
    ///
    /// # Errors
    /// The blob cannot be opened.
    pub fn window(
        &self,
        reader: &dyn BlobReader,
        digest: &Digest,
        offset: u64,
        len: u64,
    ) -> std::io::Result<Window> {
        let held = self.0.lock().ok().and_then(|mut h| h.take());
        let (stream, skip) = match held {
            Some((stream, at)) if at == offset => (stream, 0),
            _ => (reader.open_blob(digest)?, offset),
        };
        let mut w = Window::new(stream, skip, len);
        w.home = Some((Arc::clone(&self.0), offset + len));
        Ok(w)
    }
}

/// `len` bytes of a blob stream from `offset`: the bytes before `offset` are read and dropped;
/// a stream that ends early is an error (the source shrank). A window from a [`Cursor`] hands
/// its stream back to it when its last byte is read.
pub struct Window {
    inner: Option<BlobStream>,
    skip: u64,
    left: u64,
    scratch: Vec<u8>,
    home: Option<(Home, u64)>,
}

impl Window {
    /// The window `[offset, offset + len)` of `inner`.
    #[must_use]
    pub fn new(inner: BlobStream, offset: u64, len: u64) -> Self {
        Self {
            inner: Some(inner),
            skip: offset,
            left: len,
            scratch: Vec::new(),
            home: None,
        }
    }

    /// Hands the stream back to its cursor (the window is done).
    fn give_back(&mut self) {
        if let (Some(stream), Some((home, at))) = (self.inner.take(), self.home.take())
            && let Ok(mut h) = home.lock()
        {
            *h = Some((stream, at));
        }
    }
}

fn short() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "the blob ended before its size",
    )
}

impl AsyncRead for Window {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.left == 0 {
            this.give_back();
            return Poll::Ready(Ok(()));
        }
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(Err(short()));
        };
        if this.scratch.is_empty() {
            this.scratch = vec![0; 64 * 1024];
        }
        while this.skip > 0 {
            let n = usize::try_from(this.skip)
                .unwrap_or(usize::MAX)
                .min(this.scratch.len());
            let mut rb = ReadBuf::new(&mut this.scratch[..n]);
            ready!(inner.as_mut().poll_read(cx, &mut rb))?;
            let got = rb.filled().len();
            if got == 0 {
                return Poll::Ready(Err(short()));
            }
            this.skip -= got as u64;
        }
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        // Never read past the window: the stream goes on to the next window (through the
        // scratch buffer, as `ReadBuf` cannot be narrowed without `unsafe`).
        let n = usize::try_from(this.left)
            .unwrap_or(usize::MAX)
            .min(this.scratch.len())
            .min(buf.remaining());
        let mut rb = ReadBuf::new(&mut this.scratch[..n]);
        ready!(inner.as_mut().poll_read(cx, &mut rb))?;
        let got = rb.filled().len();
        if got == 0 {
            return Poll::Ready(Err(short()));
        }
        buf.put_slice(rb.filled());
        this.left -= got as u64;
        if this.left == 0 {
            this.give_back();
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn window(data: &'static [u8], offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
        let mut w = Window::new(Box::pin(data), offset, len);
        let mut out = Vec::new();
        w.read_to_end(&mut out).await?;
        Ok(out)
    }

    #[tokio::test]
    async fn a_window_skips_to_its_offset_and_stops_after_its_length() {
        assert_eq!(window(b"0123456789", 3, 4).await.unwrap(), b"3456");
        assert_eq!(window(b"0123456789", 0, 10).await.unwrap(), b"0123456789");
        assert_eq!(window(b"0123456789", 10, 0).await.unwrap(), b"");
    }

    #[tokio::test]
    async fn a_source_shorter_than_the_window_is_an_error() {
        let e = window(b"0123", 2, 5).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
        let e = window(b"0123", 6, 1).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
    }

    /// A reader counting how often each blob is opened.
    struct Opens(std::sync::atomic::AtomicUsize);

    impl BlobReader for Opens {
        fn open_blob(&self, _: &Digest) -> std::io::Result<BlobStream> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Box::pin(&b"0123456789"[..]))
        }

        fn verify_blob(&self, _: &crate::plan::Blob) -> Result<(), crate::plan::VerifyError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn consecutive_windows_of_a_cursor_read_the_blob_once() {
        let reader = Opens(std::sync::atomic::AtomicUsize::new(0));
        let digest = Digest::parse(&format!("sha256:{}", "a".repeat(64))).unwrap();
        let cursor = Cursor::default();
        let mut all = Vec::new();
        for (offset, len) in [(0, 4), (4, 4), (8, 2)] {
            let mut w = cursor.window(&reader, &digest, offset, len).unwrap();
            w.read_to_end(&mut all).await.unwrap();
        }
        assert_eq!(all, b"0123456789");
        assert_eq!(reader.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        // A window elsewhere (a resume) opens the blob again and skips.
        let mut again = Vec::new();
        let mut w = cursor.window(&reader, &digest, 6, 3).unwrap();
        w.read_to_end(&mut again).await.unwrap();
        assert_eq!(again, b"678");
        assert_eq!(reader.0.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn ranges_give_the_next_offset() {
        assert_eq!(parse_range("0-1023"), Some(1024));
        assert_eq!(parse_range(" 0-0 "), Some(0));
        assert_eq!(parse_range("bytes=0-9"), None);
        assert_eq!(parse_range("5-9"), None);
        assert_eq!(parse_range("0-x"), None);
        assert_eq!(parse_range("0-18446744073709551615"), None);
    }
}
