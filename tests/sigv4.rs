//! SigV4 known answers: AWS's published signing test vectors (tests/fixtures/sigv4/,
//! from the aws-c-auth suite that `aws-sigv4` ships) against benefind's signer and the
//! fake AWS's verifier. Both use `aws-sigv4`, so checking one against the other cannot
//! catch a canonicalisation bug they share; these signatures were computed by AWS.

use std::path::Path;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use benefind::cloud::aws;

/// The vectors copied into tests/fixtures/sigv4/: plain GETs and POSTs, query ordering,
/// header sorting, case and whitespace, a UTF-8 path and a signed form body.
const VECTORS: &[&str] = &[
    "get-vanilla",
    "get-vanilla-query-order-key-case",
    "get-header-value-trim",
    "get-utf8",
    "post-vanilla",
    "post-vanilla-query",
    "post-header-key-sort",
    "post-header-value-case",
    "post-x-www-form-urlencoded",
];

struct Request {
    method: String,
    path_and_query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// `METHOD PATH HTTP/1.1`, `Name:value` lines, a blank line, then the body.
fn parse_request(text: &str) -> Request {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let first = lines.next().expect("request line");
    let (method, rest) = first.split_once(' ').expect("method");
    let path_and_query = rest
        .strip_suffix(" HTTP/1.1")
        .expect("HTTP/1.1")
        .to_string();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').expect("Name:value");
            (n.to_string(), v.to_string())
        })
        .collect();
    Request {
        method: method.into(),
        path_and_query,
        headers,
        body: body.as_bytes().to_vec(),
    }
}

struct Vector {
    name: &'static str,
    credentials: Credentials,
    region: String,
    service: String,
    time: SystemTime,
    request: Request,
    signed: Request,
}

fn load(name: &'static str) -> Vector {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sigv4")
        .join(name);
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("fixture");
    let context: serde_json::Value = serde_json::from_str(&read("context.json")).unwrap();
    let c = &context["credentials"];
    // Every vector here is signed at 2015-08-30T12:36:00Z.
    assert_eq!(context["timestamp"], "2015-08-30T12:36:00Z");
    Vector {
        name,
        credentials: Credentials::new(
            c["access_key_id"].as_str().unwrap(),
            c["secret_access_key"].as_str().unwrap(),
            None,
            None,
            "aws-test-suite",
        ),
        region: context["region"].as_str().unwrap().into(),
        service: context["service"].as_str().unwrap().into(),
        time: SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160),
        request: parse_request(&read("request.txt")),
        signed: parse_request(&read("header-signed-request.txt")),
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} header"))
}

fn verify(v: &Vector, headers: &[(String, String)]) -> Result<(), aws::SignatureError> {
    aws::verify(
        &v.credentials,
        &v.region,
        &v.service,
        &v.signed.method,
        &v.signed.path_and_query,
        headers,
        &v.signed.body,
        v.time,
    )
}

#[test]
fn the_signer_reproduces_aws_published_signatures() {
    for name in VECTORS {
        let v = load(name);
        let url = format!(
            "https://{}{}",
            header(&v.request.headers, "host"),
            v.request.path_and_query
        );
        // What the test suite signs: the request's headers plus, for a signed body, its
        // x-amz-content-sha256 (carried over from the signed request).
        let mut headers: Vec<(&str, &str)> = v
            .request
            .headers
            .iter()
            .map(|(n, val)| (n.as_str(), val.as_str()))
            .collect();
        if let Some((n, val)) = v
            .signed
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
        {
            headers.push((n, val));
        }
        let out = aws::sign(
            &v.credentials,
            &v.region,
            &v.service,
            &v.request.method,
            &url,
            &headers,
            &v.request.body,
            v.time,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(
            header(&out, "authorization"),
            header(&v.signed.headers, "authorization"),
            "{}: Authorization differs from AWS's",
            v.name
        );
    }
}

#[test]
fn the_fake_accepts_aws_signed_requests_and_refuses_any_change() {
    for name in VECTORS {
        let v = load(name);
        verify(&v, &v.signed.headers).unwrap_or_else(|e| panic!("{}: {e}", v.name));

        // One hex digit of AWS's signature changed.
        let mut tampered = v.signed.headers.clone();
        let auth = tampered
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            .unwrap();
        let last = auth.1.pop().unwrap();
        auth.1.push(if last == '0' { '1' } else { '0' });
        assert!(
            verify(&v, &tampered) == Err(aws::SignatureError::Mismatch),
            "{}: a changed signature passed",
            v.name
        );

        // A signed header's value changed (the host, which every vector signs).
        let mut moved = v.signed.headers.clone();
        for (n, val) in moved.iter_mut() {
            if n.eq_ignore_ascii_case("host") {
                *val = "example.amazonaws.com.evil.example".into();
            }
        }
        assert!(
            verify(&v, &moved).is_err(),
            "{}: another host passed",
            v.name
        );

        // Another secret key.
        let wrong = Vector {
            credentials: Credentials::new(
                v.credentials.access_key_id(),
                "not-the-example-secret",
                None,
                None,
                "test",
            ),
            ..load(name)
        };
        assert!(verify(&wrong, &wrong.signed.headers).is_err(), "{}", v.name);
    }
}
