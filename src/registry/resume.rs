//! What a resumable blob upload needs beside the requests themselves (which stay in
//! [`super::endpoint`]): the upload session one attempt hands to the next ([`UploadSession`]),
//! the parse of a registry's `Range: 0-<last>` answer ([`parse_range`]), and a window on a
//! blob stream ([`Window`]) that starts at an offset and stops after a length.
//!
//! Sources give a stream from the start of a blob ([`crate::plan::BlobReader`]); a window skips
//! to its offset by reading and dropping the bytes before it (streamed, a 64 KiB scratch
//! buffer, never the blob in memory). The digest of the source was verified before any upload
//! (the verify pass), so the resumed bytes are the verified ones.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use reqwest::Url;
use tokio::io::{AsyncRead, ReadBuf};

use crate::plan::BlobStream;

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

/// `len` bytes of a blob stream from `offset`: the bytes before `offset` are read and dropped;
/// a stream that ends early is an error (the source shrank).
pub struct Window {
    inner: BlobStream,
    skip: u64,
    left: u64,
    scratch: Vec<u8>,
}

impl Window {
    /// The window `[offset, offset + len)` of `inner`.
    #[must_use]
    pub fn new(inner: BlobStream, offset: u64, len: u64) -> Self {
        Self {
            inner,
            skip: offset,
            left: len,
            scratch: Vec::new(),
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
        while this.skip > 0 {
            if this.scratch.is_empty() {
                this.scratch = vec![0; 64 * 1024];
            }
            let n = usize::try_from(this.skip)
                .unwrap_or(usize::MAX)
                .min(this.scratch.len());
            let mut rb = ReadBuf::new(&mut this.scratch[..n]);
            ready!(this.inner.as_mut().poll_read(cx, &mut rb))?;
            let got = rb.filled().len();
            if got == 0 {
                return Poll::Ready(Err(short()));
            }
            this.skip -= got as u64;
        }
        if this.left == 0 || buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        ready!(this.inner.as_mut().poll_read(cx, buf))?;
        let got = (buf.filled().len() - before) as u64;
        if got == 0 {
            return Poll::Ready(Err(short()));
        }
        if got > this.left {
            // Only `left` bytes belong to the window.
            let keep = before + usize::try_from(this.left).unwrap_or(usize::MAX);
            buf.set_filled(keep);
            this.left = 0;
        } else {
            this.left -= got;
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
