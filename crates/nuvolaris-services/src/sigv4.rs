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

//! AWS Signature Version 4 in the `Authorization` header, with the payload hash signed
//! (`x-amz-content-sha256`): what the MinIO admin API requires (it rejects presigned URLs, the
//! only form `rusty-s3` produces). Both directions: [`sign`] for the client, [`verify`] for the
//! admin stand-in. Checked against AWS's published example and, through the stand-in, against the
//! signer of PyPI `minio`.

use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

/// The signing algorithm name.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// SHA-256 hex of the empty payload.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// RFC 3986 unreserved characters stay, everything else is `%XX` (AWS's `UriEncode`).
const AWS_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// AWS's `UriEncode` of a query name or value.
pub fn uri_encode(text: &str) -> String {
    utf8_percent_encode(text, AWS_ENCODE).to_string()
}

/// SHA-256 hex of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// `amz-date` (`20130524T000000Z`) of `time`.
pub fn amz_date(time: Timestamp) -> String {
    time.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// The canonical query string of a raw (encoded) query: pairs decoded, re-encoded with
/// [`uri_encode`], sorted by name then value. A name without `=` has an empty value.
pub fn canonical_query(raw: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (uri_encode(&decode(name)), uri_encode(&decode(value)))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical request. `headers` are the signed headers as (lowercase name, value), sorted by
/// name; values are trimmed and inner runs of blanks collapsed.
pub fn canonical_request(
    method: &str,
    path: &str,
    raw_query: &str,
    headers: &[(String, String)],
    payload_sha256: &str,
) -> String {
    let canonical_headers: String = headers
        .iter()
        .map(|(name, value)| {
            format!(
                "{name}:{}\n",
                value.split_whitespace().collect::<Vec<_>>().join(" ")
            )
        })
        .collect();
    let signed: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    format!(
        "{method}\n{}\n{}\n{canonical_headers}\n{}\n{payload_sha256}",
        if path.is_empty() { "/" } else { path },
        canonical_query(raw_query),
        signed.join(";")
    )
}

/// The hex signature of `canonical_request` at `amz_date` (`YYYYMMDDTHHMMSSZ`) for the scope
/// `<date>/<region>/<service>/aws4_request`.
pub fn signature(
    secret_key: &str,
    amz_date: &str,
    region: &str,
    service: &str,
    canonical_request: &str,
) -> String {
    let day = &amz_date[..amz_date.len().min(8)];
    let scope = format!("{day}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let key = [
        day.as_bytes(),
        region.as_bytes(),
        service.as_bytes(),
        b"aws4_request",
    ]
    .iter()
    .fold(format!("AWS4{secret_key}").into_bytes(), |key, part| {
        hmac(&key, part)
    });
    hex::encode(hmac(&key, string_to_sign.as_bytes()))
}

/// What to sign.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// HTTP method, e.g. `PUT`.
    pub method: &'a str,
    /// The URL exactly as it will be sent (its path and query are signed as they are).
    pub url: &'a url::Url,
    /// Headers to sign besides `host`, `x-amz-date` and `x-amz-content-sha256` (lowercase names).
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub payload: &'a [u8],
}

/// Credentials and scope.
#[derive(Clone)]
pub struct Signer<'a> {
    /// Access key.
    pub access_key: &'a str,
    /// Secret key.
    pub secret_key: &'a str,
    /// Region, e.g. `us-east-1`.
    pub region: &'a str,
    /// Service, `s3` for S3 and the MinIO admin API.
    pub service: &'a str,
}

/// The `Host` header value of `url` (port only when not the scheme's default).
pub fn host_header(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Signs `request` at `time`: the headers to send, `authorization` included (lowercase names).
pub fn sign(signer: &Signer<'_>, request: &Request<'_>, time: Timestamp) -> Vec<(String, String)> {
    let date = amz_date(time);
    let payload_sha256 = sha256_hex(request.payload);
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), host_header(request.url)),
        ("x-amz-content-sha256".into(), payload_sha256.clone()),
        ("x-amz-date".into(), date.clone()),
    ];
    headers.extend(
        request
            .headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_owned())),
    );
    headers.sort();
    let canonical = canonical_request(
        request.method,
        request.url.path(),
        request.url.query().unwrap_or(""),
        &headers,
        &payload_sha256,
    );
    let signature = signature(
        signer.secret_key,
        &date,
        signer.region,
        signer.service,
        &canonical,
    );
    let signed: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    let authorization = format!(
        "{ALGORITHM} Credential={}/{}/{}/{}/aws4_request, SignedHeaders={}, Signature={signature}",
        signer.access_key,
        &date[..8],
        signer.region,
        signer.service,
        signed.join(";")
    );
    headers.retain(|(n, _)| n != "host");
    headers.push(("authorization".into(), authorization));
    headers
}

/// A parsed `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The access key.
    pub access_key: String,
    /// The scope date (`YYYYMMDD`).
    pub date: String,
    /// The scope region (may be empty: PyPI `minio`'s admin client signs with region "").
    pub region: String,
    /// The scope service.
    pub service: String,
    /// Signed header names, in order.
    pub signed_headers: Vec<String>,
    /// The hex signature.
    pub signature: String,
}

impl Authorization {
    /// Parses the header value; `None` when it is not a SigV4 header authorization.
    pub fn parse(value: &str) -> Option<Self> {
        let rest = value.strip_prefix(ALGORITHM)?.trim_start();
        let mut credential = None;
        let mut signed = None;
        let mut sig = None;
        for part in rest.split(',') {
            let (name, v) = part.trim().split_once('=')?;
            match name {
                "Credential" => credential = Some(v),
                "SignedHeaders" => signed = Some(v),
                "Signature" => sig = Some(v),
                _ => {}
            }
        }
        let mut scope = credential?.rsplitn(5, '/');
        let terminator = scope.next()?;
        let service = scope.next()?.to_owned();
        let region = scope.next()?.to_owned();
        let date = scope.next()?.to_owned();
        let access_key = scope.next()?.to_owned();
        (terminator == "aws4_request").then_some(())?;
        Some(Self {
            access_key,
            date,
            region,
            service,
            signed_headers: signed?.split(';').map(str::to_owned).collect(),
            signature: sig?.to_owned(),
        })
    }
}

/// Why [`verify`] refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// No or a malformed `Authorization` header.
    #[error("missing or malformed SigV4 Authorization header")]
    Malformed,
    /// The access key is unknown.
    #[error("unknown access key {0}")]
    UnknownAccessKey(String),
    /// `x-amz-content-sha256` is missing or does not match the body.
    #[error("x-amz-content-sha256 is missing or does not match the body")]
    PayloadHash,
    /// A signed header is missing, or `host`/`x-amz-date` are not signed.
    #[error("signed header {0} is missing or required header not signed")]
    Header(String),
    /// The signature does not match.
    #[error("signature does not match")]
    Signature,
}

/// Verifies a header-signed request. `header` looks up a request header by lowercase name;
/// `secret_for` gives the secret of an access key. Returns the parsed authorization.
pub fn verify(
    method: &str,
    path: &str,
    raw_query: &str,
    header: impl Fn(&str) -> Option<String>,
    payload: &[u8],
    secret_for: impl Fn(&str) -> Option<String>,
) -> Result<Authorization, VerifyError> {
    let auth = header("authorization")
        .as_deref()
        .and_then(Authorization::parse)
        .ok_or(VerifyError::Malformed)?;
    let secret = secret_for(&auth.access_key)
        .ok_or_else(|| VerifyError::UnknownAccessKey(auth.access_key.clone()))?;
    let payload_sha256 = header("x-amz-content-sha256").ok_or(VerifyError::PayloadHash)?;
    if payload_sha256 != sha256_hex(payload) {
        return Err(VerifyError::PayloadHash);
    }
    for required in ["host", "x-amz-date", "x-amz-content-sha256"] {
        if !auth.signed_headers.iter().any(|h| h == required) {
            return Err(VerifyError::Header(required.into()));
        }
    }
    let mut headers = Vec::new();
    for name in &auth.signed_headers {
        let value = header(name).ok_or_else(|| VerifyError::Header(name.clone()))?;
        headers.push((name.clone(), value));
    }
    let date = header("x-amz-date").ok_or_else(|| VerifyError::Header("x-amz-date".into()))?;
    if !date.starts_with(&auth.date) {
        return Err(VerifyError::Signature);
    }
    let canonical = canonical_request(method, path, raw_query, &headers, &payload_sha256);
    if signature(&secret, &date, &auth.region, &auth.service, &canonical) != auth.signature {
        return Err(VerifyError::Signature);
    }
    Ok(auth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// AWS's published example "GET Object" (Signature Version 4, header authorization).
    #[test]
    fn aws_get_object_example() {
        let headers = vec![
            (
                "host".to_owned(),
                "examplebucket.s3.amazonaws.com".to_owned(),
            ),
            ("range".to_owned(), "bytes=0-9".to_owned()),
            ("x-amz-content-sha256".to_owned(), EMPTY_SHA256.to_owned()),
            ("x-amz-date".to_owned(), "20130524T000000Z".to_owned()),
        ];
        let canonical = canonical_request("GET", "/test.txt", "", &headers, EMPTY_SHA256);
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
        );
        assert_eq!(
            signature(
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "20130524T000000Z",
                "us-east-1",
                "s3",
                &canonical
            ),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[rstest]
    #[case("", "")]
    #[case("accessKey=nuvolaris", "accessKey=nuvolaris")]
    #[case("name=b&accessKey=a%20b", "accessKey=a%20b&name=b")]
    #[case("policy", "policy=")]
    #[case("k=a~b*c", "k=a~b%2Ac")]
    #[case("b=2&a=1&a=0", "a=0&a=1&b=2")]
    fn canonical_query_encodes_and_sorts(#[case] raw: &str, #[case] canonical: &str) {
        assert_eq!(canonical_query(raw), canonical);
    }

    #[test]
    fn signed_requests_verify_and_tampering_does_not() {
        let url: url::Url = "http://127.0.0.1:9000/minio/admin/v3/add-user?accessKey=nuvolaris"
            .parse()
            .unwrap();
        let signer = Signer {
            access_key: "minio",
            secret_key: "minio123",
            region: "us-east-1",
            service: "s3",
        };
        let body = b"encrypted";
        let request = Request {
            method: "PUT",
            url: &url,
            headers: &[("content-type", "application/octet-stream")],
            payload: body,
        };
        let mut headers = sign(
            &signer,
            &request,
            Timestamp::from_second(1_764_806_400).unwrap(),
        );
        headers.push(("host".into(), "127.0.0.1:9000".into()));
        let lookup = |h: &[(String, String)], name: &str| {
            h.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
        };
        let secrets = |ak: &str| (ak == "minio").then(|| "minio123".to_owned());
        let ok = verify(
            "PUT",
            url.path(),
            url.query().unwrap(),
            |n| lookup(&headers, n),
            body,
            secrets,
        )
        .unwrap();
        assert_eq!(
            (
                ok.access_key.as_str(),
                ok.region.as_str(),
                ok.service.as_str()
            ),
            ("minio", "us-east-1", "s3")
        );
        assert_eq!(
            ok.signed_headers,
            ["content-type", "host", "x-amz-content-sha256", "x-amz-date"]
        );

        assert_eq!(
            verify(
                "PUT",
                url.path(),
                url.query().unwrap(),
                |n| lookup(&headers, n),
                b"other",
                secrets
            ),
            Err(VerifyError::PayloadHash)
        );
        assert_eq!(
            verify(
                "POST",
                url.path(),
                url.query().unwrap(),
                |n| lookup(&headers, n),
                body,
                secrets
            ),
            Err(VerifyError::Signature)
        );
        assert_eq!(
            verify(
                "PUT",
                url.path(),
                "accessKey=x",
                |n| lookup(&headers, n),
                body,
                secrets
            ),
            Err(VerifyError::Signature)
        );
        assert_eq!(
            verify(
                "PUT",
                url.path(),
                url.query().unwrap(),
                |n| lookup(&headers, n),
                body,
                |_| Some("wrong".into())
            ),
            Err(VerifyError::Signature)
        );
        assert_eq!(
            verify(
                "PUT",
                url.path(),
                url.query().unwrap(),
                |n| lookup(&headers, n),
                body,
                |_| None
            ),
            Err(VerifyError::UnknownAccessKey("minio".into()))
        );
        assert_eq!(
            verify("PUT", url.path(), "", |_| None, body, secrets),
            Err(VerifyError::Malformed)
        );
    }

    #[test]
    fn parses_an_empty_region() {
        let auth = Authorization::parse(
            "AWS4-HMAC-SHA256 Credential=minio/20261204//s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        )
        .unwrap();
        assert_eq!(auth.region, "");
        assert_eq!(auth.access_key, "minio");
        assert_eq!(auth.signed_headers, ["host", "x-amz-date"]);
    }
}
