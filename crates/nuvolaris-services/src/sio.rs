// Licensed to the Apache Software Foundation (ASF) under one
// or more contributor license agreements.  See the NOTICE file
// distributed with this work for additional information
// regarding copyright ownership.  The ASF licenses this file
// to you under the Apache License, Version 2.0 (the
// "License"); you may not use this file except in compliance
// with the License.  You may obtain a copy of the License at
//
//   http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing,
// software distributed under the License is distributed on an
// "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY
// KIND, either express or implied.  See the License for the
// specific language governing permissions and limitations
// under the License.

//! madmin's encrypted admin bodies (MinIO `add-user`, `idp/builtin/policy/attach`, `list-users`,
//! ...): the key is Argon2id (t=1, m=64 MiB, p=4, 32 bytes) of the admin secret key and a random
//! 32-byte salt; the payload is in the "sio" DARE format, AES-256-GCM (id 0) or
//! ChaCha20-Poly1305 (id 1). The reference is `minio/crypto.py` of PyPI `minio` and
//! `encrypt.go` of madmin-go.
//!
//! ```text
//! | salt (32) | AEAD id (1) | nonce (8) | chunk 1 | ... | chunk n |
//! chunk i  = AEAD(key, nonce || u32le(i), ad_i, <= 16 KiB plaintext) || tag (16)
//! ad_i     = flag || AEAD-tag(key, nonce || u32le(0), empty message, empty ad)
//! flag     = 0x00, or 0x80 on the last chunk
//! ```

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::Aes256Gcm;
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::ChaCha20Poly1305;
use rand::RngCore;

/// Length of the Argon2id salt.
pub const SALT_LEN: usize = 32;
/// Length of the stream nonce (the per-chunk nonce appends a 4-byte counter).
pub const NONCE_LEN: usize = 8;
/// Length of the header: salt, AEAD id, nonce.
pub const HEADER_LEN: usize = SALT_LEN + 1 + NONCE_LEN;
/// Plaintext bytes per chunk.
pub const CHUNK_SIZE: usize = 16 * 1024;
/// Authentication tag bytes per chunk.
pub const TAG_LEN: usize = 16;

/// The AEAD of a sio stream, by its id byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aead {
    /// `0x00`: AES-256-GCM (what madmin and PyPI `minio` send).
    Aes256Gcm,
    /// `0x01`: ChaCha20-Poly1305 (madmin on CPUs without AES instructions).
    ChaCha20Poly1305,
}

impl Aead {
    /// The id byte in the header.
    pub fn id(self) -> u8 {
        match self {
            Aead::Aes256Gcm => 0,
            Aead::ChaCha20Poly1305 => 1,
        }
    }

    /// The AEAD of id byte `id`.
    pub fn from_id(id: u8) -> Result<Self, SioError> {
        match id {
            0 => Ok(Aead::Aes256Gcm),
            1 => Ok(Aead::ChaCha20Poly1305),
            other => Err(SioError::UnsupportedAead(other)),
        }
    }
}

/// Why a body could not be encrypted or decrypted. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SioError {
    /// Shorter than a header.
    #[error("encrypted data is {0} bytes, shorter than the {HEADER_LEN}-byte header")]
    TooShort(usize),
    /// Unknown AEAD id (2 is madmin's PBKDF2 variant for FIPS builds, not supported here).
    #[error("unsupported AEAD id {0}")]
    UnsupportedAead(u8),
    /// A chunk failed authentication (wrong secret key or tampered data).
    #[error("chunk {0} failed authentication (wrong secret key or corrupted data)")]
    Authentication(u32),
    /// The stream ends in a chunk shorter than a tag.
    #[error("chunk {0} is truncated")]
    Truncated(u32),
    /// The key derivation failed.
    #[error("key derivation failed: {0}")]
    Kdf(String),
}

/// The 32-byte Argon2id key of `secret` and `salt` (t=1, m=64 MiB, p=4, version 0x13).
pub fn derive_key(secret: &[u8], salt: &[u8]) -> Result<[u8; 32], SioError> {
    let params = Params::new(65536, 1, 4, Some(32)).map_err(|e| SioError::Kdf(e.to_string()))?;
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(secret, salt, &mut key)
        .map_err(|e| SioError::Kdf(e.to_string()))?;
    Ok(key)
}

enum Cipher {
    Aes(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

impl Cipher {
    fn new(aead: Aead, key: &[u8; 32]) -> Self {
        match aead {
            Aead::Aes256Gcm => Cipher::Aes(Box::new(Aes256Gcm::new(key.into()))),
            Aead::ChaCha20Poly1305 => Cipher::ChaCha(Box::new(ChaCha20Poly1305::new(key.into()))),
        }
    }

    /// Encrypts `buffer` in place, returning the tag.
    fn seal(&self, nonce: &[u8; 12], ad: &[u8], buffer: &mut [u8]) -> [u8; TAG_LEN] {
        let tag = match self {
            Cipher::Aes(c) => c.encrypt_inout_detached(nonce.into(), ad, buffer.into()),
            Cipher::ChaCha(c) => c.encrypt_inout_detached(nonce.into(), ad, buffer.into()),
        };
        tag.expect("a sio chunk is far below the AEAD size limits")
            .into()
    }

    /// Decrypts `buffer` in place; `false` when `tag` does not authenticate it.
    fn open(&self, nonce: &[u8; 12], ad: &[u8], buffer: &mut [u8], tag: &[u8; TAG_LEN]) -> bool {
        match self {
            Cipher::Aes(c) => c.decrypt_inout_detached(nonce.into(), ad, buffer.into(), tag.into()),
            Cipher::ChaCha(c) => {
                c.decrypt_inout_detached(nonce.into(), ad, buffer.into(), tag.into())
            }
        }
        .is_ok()
    }
}

fn chunk_nonce(nonce: &[u8; NONCE_LEN], seq: u32) -> [u8; 12] {
    let mut full = [0u8; 12];
    full[..NONCE_LEN].copy_from_slice(nonce);
    full[NONCE_LEN..].copy_from_slice(&seq.to_le_bytes());
    full
}

/// The associated data of the stream: `0x00 || tag of the empty message under nonce || 0`.
fn stream_ad(cipher: &Cipher, nonce: &[u8; NONCE_LEN]) -> [u8; 1 + TAG_LEN] {
    let mut ad = [0u8; 1 + TAG_LEN];
    ad[1..].copy_from_slice(&cipher.seal(&chunk_nonce(nonce, 0), &[], &mut []));
    ad
}

/// Encrypts `payload` for the holder of `secret` with a random salt and nonce (AES-256-GCM, as
/// madmin and PyPI `minio` do).
pub fn encrypt(payload: &[u8], secret: &str) -> Result<Vec<u8>, SioError> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut salt);
    rand::rng().fill_bytes(&mut nonce);
    encrypt_with(payload, secret, Aead::Aes256Gcm, &salt, &nonce)
}

/// Encrypts `payload` with the given AEAD, salt and nonce (deterministic: for tests and the
/// stand-in; a salt or nonce must never be reused with the same secret).
pub fn encrypt_with(
    payload: &[u8],
    secret: &str,
    aead: Aead,
    salt: &[u8; SALT_LEN],
    nonce: &[u8; NONCE_LEN],
) -> Result<Vec<u8>, SioError> {
    let key = derive_key(secret.as_bytes(), salt)?;
    let cipher = Cipher::new(aead, &key);
    let mut ad = stream_ad(&cipher, nonce);
    let chunks = payload.len().div_ceil(CHUNK_SIZE).max(1);
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + chunks * TAG_LEN);
    out.extend_from_slice(salt);
    out.push(aead.id());
    out.extend_from_slice(nonce);
    // An empty payload is one empty final chunk (madmin's sio writes one; Python reads it).
    let pieces: Vec<&[u8]> = if payload.is_empty() {
        vec![&[]]
    } else {
        payload.chunks(CHUNK_SIZE).collect()
    };
    for (index, piece) in pieces.iter().enumerate() {
        if index + 1 == pieces.len() {
            ad[0] = 0x80;
        }
        let seq = u32::try_from(index + 1).expect("admin bodies are far below 2^32 chunks");
        let start = out.len();
        out.extend_from_slice(piece);
        let tag = cipher.seal(&chunk_nonce(nonce, seq), &ad, &mut out[start..]);
        out.extend_from_slice(&tag);
    }
    Ok(out)
}

/// Decrypts `data` encrypted for `secret` (either AEAD). A stream without chunks is empty, as in
/// PyPI `minio`.
pub fn decrypt(data: &[u8], secret: &str) -> Result<Vec<u8>, SioError> {
    if data.len() < HEADER_LEN {
        return Err(SioError::TooShort(data.len()));
    }
    let salt = &data[..SALT_LEN];
    let aead = Aead::from_id(data[SALT_LEN])?;
    let nonce: [u8; NONCE_LEN] = data[SALT_LEN + 1..HEADER_LEN].try_into().expect("8 bytes");
    let key = derive_key(secret.as_bytes(), salt)?;
    let cipher = Cipher::new(aead, &key);
    let mut ad = stream_ad(&cipher, &nonce);
    let body = &data[HEADER_LEN..];
    let mut out = Vec::with_capacity(body.len());
    let chunks: Vec<&[u8]> = body.chunks(CHUNK_SIZE + TAG_LEN).collect();
    for (index, chunk) in chunks.iter().enumerate() {
        let seq = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if chunk.len() < TAG_LEN {
            return Err(SioError::Truncated(seq));
        }
        if index + 1 == chunks.len() {
            ad[0] = 0x80;
        }
        let (sealed, tag) = chunk.split_at(chunk.len() - TAG_LEN);
        let tag: &[u8; TAG_LEN] = tag.try_into().expect("16 bytes");
        let start = out.len();
        out.extend_from_slice(sealed);
        if !cipher.open(&chunk_nonce(&nonce, seq), &ad, &mut out[start..], tag) {
            return Err(SioError::Authentication(seq));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const SALT: [u8; SALT_LEN] = [7; SALT_LEN];
    const NONCE: [u8; NONCE_LEN] = [9; NONCE_LEN];

    #[rstest]
    #[case::empty(0, Aead::Aes256Gcm)]
    #[case::small(40, Aead::Aes256Gcm)]
    #[case::one_full_chunk(CHUNK_SIZE, Aead::Aes256Gcm)]
    #[case::two_chunks(CHUNK_SIZE + 1, Aead::Aes256Gcm)]
    #[case::chacha(CHUNK_SIZE * 2 + 5, Aead::ChaCha20Poly1305)]
    fn frames_and_round_trips(#[case] len: usize, #[case] aead: Aead) {
        let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let sealed = encrypt_with(&payload, "minio123", aead, &SALT, &NONCE).unwrap();
        let chunks = len.div_ceil(CHUNK_SIZE).max(1);
        assert_eq!(sealed.len(), HEADER_LEN + len + chunks * TAG_LEN);
        assert_eq!(&sealed[..SALT_LEN], &SALT);
        assert_eq!(sealed[SALT_LEN], aead.id());
        assert_eq!(&sealed[SALT_LEN + 1..HEADER_LEN], &NONCE);
        assert_eq!(decrypt(&sealed, "minio123").unwrap(), payload);
    }

    #[test]
    fn wrong_secret_or_tampering_fails_authentication() {
        let sealed = encrypt(br#"{"secretKey":"x","status":"enabled"}"#, "minio123").unwrap();
        assert_eq!(decrypt(&sealed, "other"), Err(SioError::Authentication(1)));
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(
            decrypt(&tampered, "minio123"),
            Err(SioError::Authentication(1))
        );
    }

    #[test]
    fn dropping_the_last_chunk_is_detected() {
        let payload = vec![1u8; CHUNK_SIZE * 2];
        let sealed = encrypt_with(&payload, "k", Aead::Aes256Gcm, &SALT, &NONCE).unwrap();
        // the first chunk alone is not marked final: its associated data differs
        let cut = &sealed[..HEADER_LEN + CHUNK_SIZE + TAG_LEN];
        assert_eq!(decrypt(cut, "k"), Err(SioError::Authentication(1)));
    }

    #[rstest]
    #[case(&[0u8; 10], SioError::TooShort(10))]
    #[case(&[[0u8; 32].as_slice(), &[2u8], &[0u8; 8]].concat(), SioError::UnsupportedAead(2))]
    fn rejects_bad_headers(#[case] data: &[u8], #[case] error: SioError) {
        assert_eq!(decrypt(data, "k"), Err(error));
    }

    #[test]
    fn random_salt_and_nonce_each_time() {
        let one = encrypt(b"same", "k").unwrap();
        let two = encrypt(b"same", "k").unwrap();
        assert_ne!(one[..HEADER_LEN], two[..HEADER_LEN]);
    }
}
