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

//! The service-account signing key of the envtest backend, in a format `kube-apiserver` reads.
//!
//! `--service-account-key-file` goes through client-go's `keyutil.ParsePublicKeysPEM`, which
//! accepts PKCS#1 RSA keys (or RSA inside PKCS#8), SEC1 EC keys (`EC PRIVATE KEY`, the curve named
//! in the key) and public keys, but not an EC key inside PKCS#8 (`PRIVATE KEY`, what `rcgen`
//! writes). So the P-256 key `rcgen` generates is rewritten as SEC1 with its named curve.

use crate::{Error, Result};
use base64::Engine as _;

/// DER of the OID `prime256v1` (P-256), with its tag and length.
const P256_OID: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// A new P-256 key as a SEC1 `EC PRIVATE KEY` PEM block (usable for both
/// `--service-account-key-file` and `--service-account-signing-key-file`).
pub fn service_account_key_pem() -> Result<String> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| Error::Check(format!("generate the service account key: {e}")))?;
    let sec1 = sec1_from_pkcs8(&key.serialize_der(), key.public_key_raw())
        .ok_or_else(|| Error::Check("rcgen wrote a P-256 PKCS#8 key we cannot read".into()))?;
    Ok(pem("EC PRIVATE KEY", &sec1))
}

/// The SEC1 `ECPrivateKey` (RFC 5915) of a P-256 PKCS#8 key: version 1, the private scalar, the
/// named curve and the public point.
pub fn sec1_from_pkcs8(pkcs8: &[u8], public_point: &[u8]) -> Option<Vec<u8>> {
    // PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, privateKey OCTET STRING }
    let (0x30, info, _) = der::tlv(pkcs8)? else {
        return None;
    };
    let (0x02, _, rest) = der::tlv(info)? else {
        return None;
    };
    let (0x30, _alg, rest) = der::tlv(rest)? else {
        return None;
    };
    let (0x04, inner, _) = der::tlv(rest)? else {
        return None;
    };
    // the inner ECPrivateKey: SEQUENCE { version 1, privateKey OCTET STRING, ... }
    let (0x30, ec, _) = der::tlv(inner)? else {
        return None;
    };
    let (0x02, _, rest) = der::tlv(ec)? else {
        return None;
    };
    let (0x04, scalar, _) = der::tlv(rest)? else {
        return None;
    };
    let mut body = vec![0x02, 0x01, 0x01];
    body.extend(der::encode(0x04, scalar));
    body.extend(der::encode(0xa0, &P256_OID));
    let mut bits = vec![0x00]; // no unused bits
    bits.extend_from_slice(public_point);
    body.extend(der::encode(0xa1, &der::encode(0x03, &bits)));
    Some(der::encode(0x30, &body))
}

/// A PEM block with 64-column base64 lines.
fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Just enough DER for the keys above (definite lengths up to 64 KiB).
pub mod der {
    /// Splits one TLV off `input`: `(tag, content, rest)`.
    pub fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = match first {
            n if n < 0x80 => (n as usize, rest),
            0x81 => (*rest.first()? as usize, &rest[1..]),
            0x82 => (
                ((*rest.first()? as usize) << 8) | *rest.get(1)? as usize,
                rest.get(2..)?,
            ),
            _ => return None,
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }

    /// Encodes one TLV.
    pub fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match content.len() {
            n if n < 0x80 => out.push(n as u8),
            n if n < 0x100 => out.extend([0x81, n as u8]),
            n => out.extend([0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(content);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::der::tlv;
    use super::*;

    const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    const EC_PUBLIC_KEY_OID: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    /// P-224, P-256, P-384 and P-521: the curves Go's x509 knows.
    const CURVES: [&[u8]; 4] = [
        &[0x2b, 0x81, 0x04, 0x00, 0x21],
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
        &[0x2b, 0x81, 0x04, 0x00, 0x22],
        &[0x2b, 0x81, 0x04, 0x00, 0x23],
    ];

    /// The DER of every PEM block of `text`, in order.
    fn pem_blocks(text: &str) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut body: Option<String> = None;
        for line in text.lines() {
            if line.starts_with("-----BEGIN ") {
                body = Some(String::new());
            } else if line.starts_with("-----END ") {
                if let Some(b) = body.take() {
                    out.push(base64::engine::general_purpose::STANDARD.decode(b).unwrap());
                }
            } else if let Some(b) = body.as_mut() {
                b.push_str(line.trim());
            }
        }
        out
    }

    /// The elements of a DER SEQUENCE.
    fn seq(der: &[u8]) -> Option<Vec<(u8, &[u8])>> {
        let (0x30, mut body, rest) = tlv(der)? else {
            return None;
        };
        if !rest.is_empty() {
            return None;
        }
        let mut items = Vec::new();
        while !body.is_empty() {
            let (t, c, r) = tlv(body)?;
            items.push((t, c));
            body = r;
        }
        Some(items)
    }

    fn oid_of_alg(alg: &[u8]) -> Option<&[u8]> {
        match tlv(alg)? {
            (0x06, oid, _) => Some(oid),
            _ => None,
        }
    }

    /// x509.ParsePKCS1PrivateKey: version 0 and eight more INTEGERs.
    fn pkcs1_rsa(d: &[u8]) -> bool {
        seq(d).is_some_and(|i| i.len() >= 9 && i.iter().all(|(t, _)| *t == 0x02) && i[0].1 == [0])
    }

    /// x509.ParsePKCS8PrivateKey, keeping only RSA (client-go's parseRSAPrivateKey).
    fn pkcs8_rsa(d: &[u8]) -> bool {
        seq(d).is_some_and(|i| {
            i.len() >= 3 && i[1].0 == 0x30 && oid_of_alg(i[1].1) == Some(RSA_OID) && i[2].0 == 0x04
        })
    }

    /// x509.ParseECPrivateKey: version 1, the scalar, and the curve named in `[0]` (a SEC1 key
    /// parsed on its own has nowhere else to take it from).
    fn sec1_ec(d: &[u8]) -> bool {
        let Some(i) = seq(d) else { return false };
        i.len() >= 3
            && i[0] == (0x02, &[1][..])
            && i[1].0 == 0x04
            && i.iter().any(|(t, c)| {
                *t == 0xa0 && matches!(tlv(c), Some((0x06, oid, _)) if CURVES.contains(&oid))
            })
    }

    /// x509.ParsePKIXPublicKey for RSA and EC keys.
    fn public_key(d: &[u8]) -> bool {
        seq(d).is_some_and(|i| {
            i.len() == 2
                && i[0].0 == 0x30
                && i[1].0 == 0x03
                && matches!(oid_of_alg(i[0].1), Some(o) if o == RSA_OID || o == EC_PUBLIC_KEY_OID)
        })
    }

    /// client-go `keyutil.ParsePublicKeysPEM`, as `--service-account-key-file` uses it: every
    /// block is tried as a PKCS#1 (or PKCS#8) RSA key, an RSA public key, a SEC1 EC key or an EC
    /// public key; blocks that are none of these are skipped; no key at all is an error.
    fn kube_apiserver_public_keys(text: &str) -> std::result::Result<usize, String> {
        let n = pem_blocks(text)
            .iter()
            .filter(|d| pkcs1_rsa(d) || pkcs8_rsa(d) || sec1_ec(d) || public_key(d))
            .count();
        if n == 0 {
            return Err("data does not contain any valid RSA or ECDSA public keys".into());
        }
        Ok(n)
    }

    #[test]
    fn the_written_key_is_read_by_kube_apiserver() {
        let pem = service_account_key_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN EC PRIVATE KEY-----\n"), "{pem}");
        assert_eq!(kube_apiserver_public_keys(&pem), Ok(1), "{pem}");
    }

    #[test]
    fn a_pkcs8_ec_key_is_refused_like_kube_apiserver_does() {
        // what the envtest backend used to write
        let old = rcgen::KeyPair::generate().unwrap().serialize_pem();
        assert!(old.contains("BEGIN PRIVATE KEY"));
        assert_eq!(
            kube_apiserver_public_keys(&old),
            Err("data does not contain any valid RSA or ECDSA public keys".into())
        );
    }

    #[test]
    fn public_keys_and_sec1_without_curve() {
        let key = rcgen::KeyPair::generate().unwrap();
        assert_eq!(kube_apiserver_public_keys(&key.public_key_pem()), Ok(1));
        // a SEC1 key that does not name its curve is refused (Go: "unknown elliptic curve")
        let sec1 = sec1_from_pkcs8(&key.serialize_der(), key.public_key_raw()).unwrap();
        let mut items = seq(&sec1).unwrap();
        items.retain(|(t, _)| *t != 0xa0);
        let body: Vec<u8> = items.iter().flat_map(|(t, c)| der::encode(*t, c)).collect();
        let no_curve = pem("EC PRIVATE KEY", &der::encode(0x30, &body));
        assert!(kube_apiserver_public_keys(&no_curve).is_err());
    }

    #[test]
    fn sec1_has_the_shape_openssl_writes_for_p256() {
        let key = rcgen::KeyPair::generate().unwrap();
        let sec1 = sec1_from_pkcs8(&key.serialize_der(), key.public_key_raw()).unwrap();
        // 30 77 02 01 01 04 20 <32> a0 0a <oid> a1 44 03 42 00 <65>
        assert_eq!(sec1.len(), 0x79);
        assert_eq!(&sec1[..7], &[0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20]);
        assert_eq!(&sec1[39..41], &[0xa0, 0x0a]);
        assert_eq!(&sec1[41..51], &P256_OID);
        assert_eq!(&sec1[51..56], &[0xa1, 0x44, 0x03, 0x42, 0x00]);
        assert_eq!(&sec1[56..], key.public_key_raw());
    }
}
