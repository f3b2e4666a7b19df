//! One hash per blob, taken on the bytes as they are uploaded: no separate hashing pass, and
//! a blob sent to several registries is hashed once, not once per registry.
//!
//! Design, "the leading stream hashes": the publish makes one [`BlobHash`] per blob some
//! target lacks (a sha256 state and the offset hashed so far). Every stream the uploads read
//! of that blob goes through [`Verifying`], which feeds the hash the part of each read beyond
//! the hashed offset: the stream that is ahead does the work, the others skip with one atomic
//! load, so each byte is hashed exactly once, by whichever stream reads it first, and no
//! stream ever waits for another (a slow registry keeps its pace, a fast one keeps its own).
//! Every stream of a blob reads it from its start (the source readers have no seek; a resumed
//! window reads and drops the bytes before its offset, see [`super::resume`]), so the bytes a
//! stream reads are always contiguous from 0 and the hash never has a gap.
//!
//! A read that reaches the blob's last byte has, by then, been hashed up to the end (by this
//! stream or an earlier one), so the verdict is final: on a match the last bytes are handed on,
//! on a mismatch the read fails instead, and the request body ends in an error before its last
//! byte, so the registry never completes that upload (a monolithic `PUT` is cut short, a
//! chunked upload's last `PATCH` is, and its final `PUT ?digest=` is never sent). Every other
//! stream of that blob fails at its next read. The executor turns that into a fatal error (no
//! retry) naming the blob and where it was read from, on every target.
//!
//! A blob no target lacks is never read; `push: false` keeps its own full pass
//! ([`crate::plan::BlobReader::verify_blob`]). Memory: one sha256 state per blob to upload,
//! nothing buffered. Must not open anything itself nor speak to a registry.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, ReadBuf};

use crate::plan::{Blob, BlobReader, BlobStream, Digest, VerifyError};

/// What the hashed content says about a blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Its bytes hash to its digest.
    Match,
    /// They do not (the words say how).
    Mismatch(String),
}

/// The hash state behind the lock.
struct State {
    hasher: Sha256,
    /// Bytes hashed so far.
    at: u64,
    verdict: Option<Verdict>,
}

/// The one hash of one blob, shared by every upload stream of it.
pub struct BlobHash {
    digest: Digest,
    size: u64,
    /// Where the blob is read from, for messages.
    origin: Option<String>,
    /// Bytes hashed so far, published after the hasher took them (and after the verdict when
    /// it reaches `size`): a stream behind it skips without taking the lock.
    hashed: AtomicU64,
    failed: AtomicBool,
    /// Bytes given to the hasher in all (each byte once: the tests count it).
    work: AtomicU64,
    state: Mutex<State>,
}

impl BlobHash {
    /// The hash of `blob`, read from `origin`. An empty blob has its verdict at once (no
    /// upload reads it).
    #[must_use]
    pub fn new(blob: &Blob, origin: Option<String>) -> Self {
        let hash = Self {
            digest: blob.digest.clone(),
            size: blob.size,
            origin,
            hashed: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            work: AtomicU64::new(0),
            state: Mutex::new(State {
                hasher: Sha256::new(),
                at: 0,
                verdict: None,
            }),
        };
        if blob.size == 0
            && let Ok(mut st) = hash.state.lock()
        {
            hash.conclude(&mut st);
        }
        hash
    }

    /// Feeds the bytes at `[offset, offset + bytes.len())` of the blob: only the part beyond
    /// what is hashed already is hashed. Bytes past the declared size make the verdict a
    /// mismatch.
    pub fn feed(&self, offset: u64, bytes: &[u8]) {
        let end = offset + bytes.len() as u64;
        if end <= self.hashed.load(Ordering::Acquire) {
            return;
        }
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        // The part beyond what is hashed; a gap (this stream is ahead of the hash without
        // having fed it) cannot happen with streams read from the start, and is left
        // unhashed: the verdict then never comes and the upload fails closed.
        if end <= st.at || offset > st.at || st.verdict.is_some() {
            return;
        }
        let skip = usize::try_from(st.at - offset).unwrap_or(usize::MAX);
        let fresh = &bytes[skip..];
        let room = usize::try_from(self.size - st.at).unwrap_or(usize::MAX);
        if fresh.len() > room {
            self.set_mismatch(
                &mut st,
                format!("the source holds more than its {} bytes", self.size),
            );
            return;
        }
        st.hasher.update(fresh);
        st.at += fresh.len() as u64;
        self.work.fetch_add(fresh.len() as u64, Ordering::Relaxed);
        if st.at == self.size {
            self.conclude(&mut st);
        }
        self.hashed.store(st.at, Ordering::Release);
    }

    /// The hash reached the end: the verdict.
    fn conclude(&self, st: &mut State) {
        let actual = Digest::from_sha256(&std::mem::take(&mut st.hasher).finalize());
        if actual == self.digest {
            st.verdict = Some(Verdict::Match);
        } else {
            self.set_mismatch(st, format!("its content hashes to {actual}"));
        }
    }

    fn set_mismatch(&self, st: &mut State, why: String) {
        st.verdict = Some(Verdict::Mismatch(why));
        self.failed.store(true, Ordering::Release);
    }

    /// The verdict, once the whole blob is hashed.
    pub fn verdict(&self) -> Option<Verdict> {
        self.state.lock().ok().and_then(|st| st.verdict.clone())
    }

    /// Whether the blob is known not to match its digest (one atomic load).
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// The message of a failed verdict: the blob, how it differs, where it was read from.
    pub fn failure(&self) -> Option<String> {
        if !self.failed() {
            return None;
        }
        let Some(Verdict::Mismatch(why)) = self.verdict() else {
            return None;
        };
        Some(self.message(&why))
    }

    fn message(&self, why: &str) -> String {
        match &self.origin {
            Some(o) => format!("blob {} is corrupt: {why} (read from {o})", self.digest),
            None => format!("blob {} is corrupt: {why}", self.digest),
        }
    }

    /// Bytes given to the hasher so far (each byte of the blob once, at most).
    pub fn hashed_bytes(&self) -> u64 {
        self.work.load(Ordering::Relaxed)
    }
}

/// The [`BlobHash`] of every blob to upload, by digest.
pub type Hashes = HashMap<Digest, Arc<BlobHash>>;

/// Makes the hashes of `blobs`, each naming where `reader` reads it from.
pub fn hashes<'a>(reader: &dyn BlobReader, blobs: impl IntoIterator<Item = &'a Blob>) -> Hashes {
    blobs
        .into_iter()
        .map(|b| {
            let origin = reader.blob_origin(&b.digest);
            (b.digest.clone(), Arc::new(BlobHash::new(b, origin)))
        })
        .collect()
}

/// A [`BlobReader`] whose streams feed each blob's [`BlobHash`] and hold back a blob's last
/// bytes unless it matches its digest. A blob without a hash is refused (it was not planned
/// for upload: nothing unverified is ever sent).
pub struct Verifying<'a> {
    inner: &'a dyn BlobReader,
    hashes: &'a Hashes,
}

impl<'a> Verifying<'a> {
    /// Wraps `inner` with `hashes`.
    #[must_use]
    pub fn new(inner: &'a dyn BlobReader, hashes: &'a Hashes) -> Self {
        Self { inner, hashes }
    }
}

impl BlobReader for Verifying<'_> {
    fn open_blob(&self, digest: &Digest) -> std::io::Result<BlobStream> {
        let Some(hash) = self.hashes.get(digest) else {
            return Err(std::io::Error::other(format!(
                "blob {digest} was not planned for upload"
            )));
        };
        Ok(Box::pin(Tap {
            inner: self.inner.open_blob(digest)?,
            hash: Arc::clone(hash),
            at: 0,
        }))
    }

    fn verify_blob(&self, blob: &Blob) -> Result<(), VerifyError> {
        self.inner.verify_blob(blob)
    }

    fn blob_origin(&self, digest: &Digest) -> Option<String> {
        self.inner.blob_origin(digest)
    }
}

/// One stream of a blob, from its start, feeding the blob's hash.
struct Tap {
    inner: BlobStream,
    hash: Arc<BlobHash>,
    /// The offset of the next byte read.
    at: u64,
}

impl Tap {
    fn corrupt(&self, why: &str) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, self.hash.message(why))
    }
}

impl AsyncRead for Tap {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if let Some(why) = this.hash.failure() {
            return Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                why,
            )));
        }
        let before = buf.filled().len();
        std::task::ready!(this.inner.as_mut().poll_read(cx, buf))?;
        let got = &buf.filled()[before..];
        if got.is_empty() {
            return Poll::Ready(Ok(()));
        }
        this.hash.feed(this.at, got);
        this.at += got.len() as u64;
        if this.at >= this.hash.size {
            // The last bytes go on only with a matching verdict (hashed up to here by now).
            let refuse = match this.hash.verdict() {
                Some(Verdict::Match) => None,
                Some(Verdict::Mismatch(why)) => Some(why),
                None => Some("its content could not be hashed to the end".to_owned()),
            };
            if let Some(why) = refuse {
                buf.set_filled(before);
                return Poll::Ready(Err(this.corrupt(&why)));
            }
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt as _;

    fn blob(bytes: &[u8]) -> Blob {
        Blob {
            digest: Digest::of(bytes),
            size: bytes.len() as u64,
            media_type: "application/octet-stream".into(),
        }
    }

    fn data(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| u8::try_from(i * 31 % 251).unwrap_or(0))
            .collect()
    }

    #[test]
    fn feeders_at_different_offsets_hash_each_byte_once() {
        let bytes = data(10_000);
        let hash = BlobHash::new(&blob(&bytes), None);
        // Stream A reads ahead in 700-byte reads, stream B follows in 300-byte reads.
        let (mut a, mut b) = (0_usize, 0_usize);
        while a < bytes.len() || b < bytes.len() {
            let end = (a + 700).min(bytes.len());
            hash.feed(a as u64, &bytes[a..end]);
            a = end;
            let end = (b + 300).min(bytes.len());
            hash.feed(b as u64, &bytes[b..end]);
            b = end;
        }
        assert_eq!(hash.verdict(), Some(Verdict::Match));
        assert_eq!(hash.hashed_bytes(), bytes.len() as u64);
    }

    #[test]
    fn concurrent_feeders_hash_each_byte_once() {
        let bytes = Arc::new(data(1 << 20));
        let hash = Arc::new(BlobHash::new(&blob(&bytes), None));
        let threads: Vec<_> = [4096_usize, 1000, 65_536, 333]
            .into_iter()
            .map(|step| {
                let (bytes, hash) = (Arc::clone(&bytes), Arc::clone(&hash));
                std::thread::spawn(move || {
                    let mut at = 0;
                    while at < bytes.len() {
                        let end = (at + step).min(bytes.len());
                        hash.feed(at as u64, &bytes[at..end]);
                        at = end;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("feeder");
        }
        assert_eq!(hash.verdict(), Some(Verdict::Match));
        assert_eq!(hash.hashed_bytes(), bytes.len() as u64);
    }

    #[test]
    fn a_window_beyond_the_hashed_offset_is_not_hashed() {
        let bytes = data(1000);
        let hash = BlobHash::new(&blob(&bytes), None);
        hash.feed(0, &bytes[..100]);
        // A gap: nothing hashed, no verdict (the upload then fails closed).
        hash.feed(500, &bytes[500..]);
        assert_eq!(hash.hashed_bytes(), 100);
        assert_eq!(hash.verdict(), None);
        // Windows out of order, overlapping what is hashed: only the new part counts.
        hash.feed(50, &bytes[50..600]);
        hash.feed(0, &bytes[..300]);
        hash.feed(600, &bytes[600..]);
        assert_eq!(hash.hashed_bytes(), 1000);
        assert_eq!(hash.verdict(), Some(Verdict::Match));
    }

    #[test]
    fn a_flipped_last_byte_is_a_mismatch_naming_the_blob_and_its_origin() {
        let good = data(5000);
        let mut bad = good.clone();
        *bad.last_mut().expect("bytes") ^= 1;
        let hash = BlobHash::new(&blob(&good), Some("/src/blobs/sha256/x".into()));
        hash.feed(0, &bad[..4000]);
        assert!(!hash.failed());
        hash.feed(4000, &bad[4000..]);
        assert!(hash.failed());
        let msg = hash.failure().expect("failed");
        assert_eq!(
            msg,
            format!(
                "blob {} is corrupt: its content hashes to {} (read from /src/blobs/sha256/x)",
                Digest::of(&good),
                Digest::of(&bad)
            )
        );
    }

    #[test]
    fn bytes_past_the_size_are_a_mismatch() {
        let bytes = data(100);
        let hash = BlobHash::new(&blob(&bytes[..50]), None);
        hash.feed(0, &bytes);
        assert!(hash.failed());
        assert_eq!(hash.hashed_bytes(), 0);
    }

    #[test]
    fn an_empty_blob_has_its_verdict_at_once() {
        assert_eq!(
            BlobHash::new(&blob(b""), None).verdict(),
            Some(Verdict::Match)
        );
        let wrong = Blob {
            size: 0,
            ..blob(b"x")
        };
        assert!(BlobHash::new(&wrong, None).failed());
    }

    /// A reader of one in-memory blob.
    struct Mem(Vec<u8>);

    impl BlobReader for Mem {
        fn open_blob(&self, _: &Digest) -> std::io::Result<BlobStream> {
            Ok(Box::pin(std::io::Cursor::new(self.0.clone())))
        }

        fn verify_blob(&self, _: &Blob) -> Result<(), VerifyError> {
            Ok(())
        }
    }

    async fn read_all(reader: &dyn BlobReader, digest: &Digest) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        reader.open_blob(digest)?.read_to_end(&mut out).await?;
        Ok(out)
    }

    #[tokio::test]
    async fn streams_of_a_matching_blob_yield_every_byte_and_hash_it_once() {
        let bytes = data(300_000);
        let b = blob(&bytes);
        let source = Mem(bytes.clone());
        let hashes = hashes(&source, [&b]);
        let reader = Verifying::new(&source, &hashes);
        for _ in 0..3 {
            assert_eq!(read_all(&reader, &b.digest).await.expect("reads"), bytes);
        }
        assert_eq!(hashes[&b.digest].hashed_bytes(), bytes.len() as u64);
    }

    #[tokio::test]
    async fn a_corrupt_blob_withholds_its_last_bytes_from_every_stream() {
        let good = data(300_000);
        let mut bad = good.clone();
        *bad.last_mut().expect("bytes") ^= 0x80;
        let b = blob(&good);
        let source = Mem(bad);
        let hashes = hashes(&source, [&b]);
        let reader = Verifying::new(&source, &hashes);
        // A lagging stream has read part of the blob when the leader finds the mismatch.
        let mut lagging = reader.open_blob(&b.digest).expect("opens");
        let mut head = vec![0; 1000];
        lagging.read_exact(&mut head).await.expect("reads");
        let mut leader = reader.open_blob(&b.digest).expect("opens");
        let mut got = Vec::new();
        let mut chunk = vec![0; 8192];
        let err = loop {
            match leader.read(&mut chunk).await {
                Ok(0) => panic!("the corrupt blob was read to its end"),
                Ok(n) => got.extend_from_slice(&chunk[..n]),
                Err(e) => break e,
            }
        };
        assert!(got.len() < good.len(), "the last bytes were handed on");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert!(err.to_string().contains(&b.digest.to_string()), "{err}");
        let err = lagging.read(&mut chunk).await.expect_err("the verdict");
        assert!(err.to_string().contains("is corrupt"), "{err}");
        // An upload of the blob that starts after the verdict reads nothing.
        assert!(read_all(&reader, &b.digest).await.is_err());
    }

    #[tokio::test]
    async fn resumed_windows_skip_what_is_hashed_and_hash_each_byte_once() {
        use super::super::resume::Cursor;
        let bytes = data(400_000);
        let b = blob(&bytes);
        let source = Mem(bytes.clone());
        let hashes = hashes(&source, [&b]);
        let reader = Verifying::new(&source, &hashes);
        let read = |cursor: &Cursor, offset: u64, len: u64| {
            let mut w = cursor
                .window(&reader, &b.digest, offset, len)
                .expect("opens");
            async move {
                let mut out = Vec::new();
                w.read_to_end(&mut out).await.map(|_| out)
            }
        };
        // Registry 1 sends two chunks, then is cut; registry 2 sends one chunk.
        let one = Cursor::default();
        assert_eq!(
            read(&one, 0, 100_000).await.expect("reads"),
            bytes[..100_000]
        );
        assert_eq!(
            read(&one, 100_000, 100_000).await.expect("reads"),
            bytes[100_000..200_000]
        );
        let two = Cursor::default();
        assert_eq!(read(&two, 0, 50_000).await.expect("reads"), bytes[..50_000]);
        // Registry 2 resumes past what registry 1 hashed, then registry 1 resumes behind it.
        let again = Cursor::default();
        assert_eq!(
            read(&again, 250_000, 150_000).await.expect("reads"),
            bytes[250_000..]
        );
        let hash = &hashes[&b.digest];
        assert_eq!(hash.verdict(), Some(Verdict::Match));
        let late = Cursor::default();
        assert_eq!(
            read(&late, 150_000, 250_000).await.expect("reads"),
            bytes[150_000..]
        );
        assert_eq!(hash.hashed_bytes(), bytes.len() as u64);
    }

    #[test]
    fn a_blob_not_planned_for_upload_is_refused() {
        let source = Mem(Vec::new());
        let hashes = Hashes::new();
        let reader = Verifying::new(&source, &hashes);
        let d = Digest::of(b"x");
        assert!(reader.open_blob(&d).is_err());
    }
}
