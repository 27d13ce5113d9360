//! The content-addressed file store (full texts, complaint attachments): each file lives at
//! `data_dir/blobs/<first two hex digits>/<sha256>`, written to a temporary name, synced and renamed,
//! so an acknowledged upload survives a crash and a file is never seen half-written.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Clone, Debug)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    pub fn new(data_dir: &Path) -> Self {
        Self { root: data_dir.join("blobs") }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.root.join(prefix).join(sha256)
    }

    /// Stores bytes; returns their sha256 (hex) and size. Storing the same bytes twice is a no-op.
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<(String, i64)> {
        let sha = hex::encode(Sha256::digest(bytes));
        let path = self.path(&sha);
        if path.exists() {
            return Ok((sha, bytes.len() as i64));
        }
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&dir)?;
        let tmp = dir.join(format!(".{sha}.{}.tmp", uuid::Uuid::new_v4().simple()));
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(&dir)?.sync_all()?;
        Ok((sha, bytes.len() as i64))
    }

    pub fn read(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a sha256"));
        }
        std::fs::read(self.path(sha256))
    }
}

/// Whether bytes are a PDF document (by content, not by name or header).
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.len() > 8 && bytes.starts_with(b"%PDF-")
}

/// The media type of a complaint attachment, recognised by its content (magic bytes): JPEG, PNG,
/// GIF, WebP or PDF; `None` for anything else.
pub fn sniff_evidence(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() < 12 {
        return None;
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if is_pdf(bytes) {
        Some("application/pdf")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_recognised_by_content() {
        assert_eq!(sniff_evidence(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff_evidence(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01"), Some("image/jpeg"));
        assert_eq!(sniff_evidence(b"GIF89a\x01\0\x01\0\0\0"), Some("image/gif"));
        assert_eq!(sniff_evidence(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_evidence(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3"), Some("application/pdf"));
        assert_eq!(sniff_evidence(b"<html><script>alert(1)</script>"), None);
        assert_eq!(sniff_evidence(b"MZ\x90\0\x03\0\0\0\x04\0\0\0"), None);
        assert_eq!(sniff_evidence(b"\x89PNG"), None);
    }
}
